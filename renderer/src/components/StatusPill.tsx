import { useTranslation } from 'react-i18next';
import type { BotView } from '@shared/contract';

export type PillKind = 'connected' | 'connecting' | 'reconnecting' | 'paused' | 'failed' | 'stopped';

/** What the pill says: a paused bot is "Paused" whatever its socket is doing. */
export function pillKind(bot: Pick<BotView, 'enabled' | 'status'>): PillKind {
  if (!bot.enabled) return 'paused';
  return bot.status.state;
}

/** Text plus a coloured dot: the colour is never the only signal. */
export function StatusPill({ kind }: { kind: PillKind }) {
  const { t } = useTranslation();
  return (
    <span className={`pill pill--${kind}`}>
      <span className="pill__dot" aria-hidden="true" />
      {t(`status.${kind}`)}
    </span>
  );
}
