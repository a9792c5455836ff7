import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AgentView, BotView } from '@shared/contract';
import { useClient } from '../api/ClientContext';
import { Badge } from '../components/Badge';
import { ExternalLink } from '../components/ExternalLink';
import { Icon } from '../components/Icon';
import { RelativeTime } from '../components/RelativeTime';
import { pillKind, StatusPill } from '../components/StatusPill';
import { errorText } from '../lib/errors';
import { routeHref } from '../shell/route';
import { BotReplicas } from './BotReplicas';
import { HeldDialog } from './HeldDialog';
import { RequestUrl } from './RequestUrl';
import { useWebhookContext } from './useWebhookSetup';
import { SetupDialog } from './setup/SetupDialog';
import type { BotFigures } from './useBotFigures';
import './connectors.css';

/** The core's reasons start lower-case ("connection lost, reconnecting"): show them as a sentence. */
export function sentence(text: string | undefined): string {
  if (!text) return '';
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function botName(bot: Pick<BotView, 'displayName' | 'appId'>): string {
  return bot.displayName?.trim() || bot.appId;
}

interface BotItemProps {
  bot: BotView;
  agent: AgentView | undefined;
  agentsLoaded: boolean;
  lastActivity: number | undefined;
  figures: BotFigures | undefined;
  /** Tool approvals this bot's agent waits for. */
  approvalsWaiting: number;
  /** Scrolls to the "Waiting for approval" section. */
  onShowApprovals: () => void;
  onEdit: () => void;
  /** Opens the preview chat with this bot's settings. */
  onPreview: () => void;
  onRemove: () => void;
}

export function BotItem({
  bot,
  agent,
  agentsLoaded,
  lastActivity,
  figures,
  approvalsWaiting,
  onShowApprovals,
  onEdit,
  onPreview,
  onRemove,
}: BotItemProps) {
  const { t } = useTranslation();
  const client = useClient();
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reviewing, setReviewing] = useState(false);
  const [checkingSetup, setCheckingSetup] = useState(false);
  const setupProblems = bot.status.setupProblems ?? 0;
  const name = botName(bot);
  const kind = pillKind(bot);
  const lastAt = Math.max(bot.status.lastMessageAt ?? 0, lastActivity ?? 0) || undefined;
  const showReason = bot.status.reason && (kind === 'failed' || kind === 'reconnecting' || kind === 'connecting');
  const readOnly = bot.managedBy === 'config';
  const { publicUrl } = useWebhookContext();

  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      await client.call('bots.setEnabled', { id: bot.id, enabled: !bot.enabled });
    } catch (err) {
      setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className={`bot bot--${kind}`} aria-labelledby={titleId}>
      <div className="bot__main">
        <div className="bot__title-row">
          <h3 id={titleId} className="bot__name">
            {name}
          </h3>
          <StatusPill kind={kind} />
          {readOnly && <Badge>{t('common.managedByConfig')}</Badge>}
          {approvalsWaiting > 0 && (
            <a
              className="bot__approvals"
              href={routeHref('connectors', 'approvals')}
              onClick={(e) => {
                e.preventDefault();
                onShowApprovals();
              }}
            >
              <Badge>{t('connectors.approvalsWaiting', { count: approvalsWaiting })}</Badge>
            </a>
          )}
          {setupProblems > 0 && (
            <button type="button" className="bot__setup" onClick={() => setCheckingSetup(true)}>
              <Icon name="warning" />
              {t('connectors.setupIncomplete', { count: setupProblems })}
            </button>
          )}
        </div>
        <p className="bot__meta">
          <span>
            {agent
              ? t('connectors.agent', { name: agent.name })
              : agentsLoaded
                ? t('connectors.agentMissing', { id: bot.agentId })
                : t('connectors.agent', { name: bot.agentId })}
          </span>
          {bot.displayName && <span className="mono">{bot.appId}</span>}
          <span>{lastAt ? <LastMessage at={lastAt} /> : t('connectors.noMessages')}</span>
        </p>
        {figures && (figures.answersToday > 0 || figures.queued > 0) && <FiguresLine figures={figures} />}
        {bot.status.replicas && <BotReplicas replicas={bot.status.replicas} />}
        {bot.receive === 'webhook' && <RequestUrl botId={bot.id} publicUrl={publicUrl} />}
        {showReason && (
          <p className={kind === 'failed' ? 'bot__reason bot__reason--failed' : 'bot__reason'}>{sentence(bot.status.reason)}</p>
        )}
        {bot.status.notice && (
          <p className="bot__reason bot__notice">
            {sentence(bot.status.notice.message)}
            {bot.status.notice.link && (
              <>
                {' '}
                <ExternalLink href={bot.status.notice.link}>{t('connectors.noticeLink')}</ExternalLink>
              </>
            )}
          </p>
        )}
        {(bot.status.held ?? 0) > 0 && (
          <p className="bot__reason bot__notice">
            {t('connectors.held', { count: bot.status.held })}{' '}
            <button type="button" className="button button--small" onClick={() => setReviewing(true)}>
              {t('connectors.heldReview')}
            </button>
          </p>
        )}
        {reviewing && <HeldDialog bot={bot} onClose={() => setReviewing(false)} />}
        {checkingSetup && <SetupDialog bot={bot} onClose={() => setCheckingSetup(false)} />}
        {error && (
          <p className="bot__reason bot__reason--failed" role="alert">
            {error}
          </p>
        )}
      </div>
      {readOnly && <p className="bot__managed">{t('common.managedByConfigHint')}</p>}
      <div className="bot__actions" role="group" aria-label={t('connectors.actionsFor', { name })}>
        {!readOnly && (
          <button type="button" className="button button--small" onClick={() => void toggle()} disabled={busy}>
            {bot.enabled ? t('connectors.pause') : t('connectors.resume')}
          </button>
        )}
        <button type="button" className="button button--small" onClick={onPreview} aria-label={t('preview.openFor', { name })}>
          {t('preview.open')}
        </button>
        <button type="button" className="button button--small" onClick={() => setCheckingSetup(true)}>
          {t('connectors.setup')}
        </button>
        {!readOnly && (
          <>
            <button type="button" className="button button--small" onClick={onEdit}>
              {t('common.edit')}
            </button>
            <button type="button" className="button button--small button--danger-ghost" onClick={onRemove}>
              {t('common.remove')}
            </button>
          </>
        )}
      </div>
    </li>
  );
}

/** "12 answers today · median 3.4 s · 2 queued": what a team's bot is doing, at a glance. */
function FiguresLine({ figures }: { figures: BotFigures }) {
  const { t } = useTranslation();
  const parts = [t('connectors.answersToday', { count: figures.answersToday })];
  if (figures.medianAnswerMs !== undefined)
    parts.push(t('connectors.medianAnswer', { seconds: (figures.medianAnswerMs / 1000).toFixed(1) }));
  if (figures.queued > 0) parts.push(t('connectors.queued', { count: figures.queued }));
  return (
    <p className="bot__meta bot__figures" aria-label={t('connectors.figuresLabel')}>
      {parts.map((part) => (
        <span key={part}>{part}</span>
      ))}
    </p>
  );
}

/** "Last message 2 min ago", with the time as a <time> element. */
function LastMessage({ at }: { at: number }) {
  const { t } = useTranslation();
  const marker = '\u0000';
  const [before = '', after = ''] = t('connectors.lastMessage', { time: marker }).split(marker);
  return (
    <>
      {before}
      <RelativeTime at={at} />
      {after}
    </>
  );
}
