import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BotActivity, BotView } from '@shared/contract';
import { useClient } from '../../api/ClientContext';
import { Icon } from '../../components/Icon';
import { errorText } from '../../lib/errors';
import { PeoplePicker } from '../AccessSection';
import '../setup/setup.css';

/**
 * "You in Feishu/Lark", in the live checklist of a bot whose agent asks before it runs tools (a
 * Kocoro agent): the bot's first approver, who may allow those tools. Picked by name (the same
 * directory search as the approvers field), or in one click as the sender of the first message —
 * the person setting the bot up usually writes to it first. Until there is one, every request
 * waits for the owner in the app.
 */
export function OwnerItem({ bot, firstMessage }: { bot: BotView; firstMessage: BotActivity | undefined }) {
  const { t } = useTranslation();
  const client = useClient();
  const [approvers, setApprovers] = useState(bot.approvers);
  const [error, setError] = useState<string | null>(null);
  const platform = t(`platform.${bot.platform}`);
  const sender = firstMessage?.senderOpenId;

  const save = async (next: string[]) => {
    setError(null);
    try {
      const saved = await client.call('bots.update', { id: bot.id, approvers: next });
      setApprovers(saved.approvers);
    } catch (err) {
      setError(errorText(t, err));
    }
  };

  const done = approvers.length > 0;
  return (
    <li className={`live__item live__item--${done ? 'done' : 'todo'}`}>
      <Icon name={done ? 'check' : 'circle'} className={`live__icon live__icon--${done ? 'done' : 'todo'}`} />
      <div className="live__body stack">
        <p className="live__title">{t('addBot.live.owner.title', { platform })}</p>
        <p className="live__text">{done ? t('addBot.live.owner.done') : t('addBot.live.owner.todo')}</p>
        {!done && sender !== undefined && (
          <button type="button" className="button button--small" onClick={() => void save([sender])}>
            {t('addBot.live.owner.thatsMe', { preview: firstMessage?.preview ?? '' })}
          </button>
        )}
        <PeoplePicker botId={bot.id} label={t('addBot.live.owner.pick', { platform })} ids={approvers} onChange={(ids) => void save(ids)} />
        {error !== null && (
          <p className="field__error" role="alert">
            {error}
          </p>
        )}
      </div>
    </li>
  );
}
