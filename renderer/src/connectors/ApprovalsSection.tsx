import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TFunction } from 'i18next';
import { RpcError, type BotView, type MethodInput, type PendingApproval } from '@shared/contract';
import { useClient } from '../api/ClientContext';
import { RelativeTime } from '../components/RelativeTime';
import { errorText } from '../lib/errors';
import { botName } from './BotItem';
import './connectors.css';

type Decision = MethodInput<'approvals.decide'>['decision'];

/** The anchor of the section (`#/connectors/approvals` scrolls to it). */
export const APPROVALS_SECTION_ID = 'approvals';

interface ApprovalsSectionProps {
  approvals: PendingApproval[];
  bots: BotView[] | null;
  /** A request was decided here: it leaves the list. */
  onDecided: (approval: PendingApproval) => void;
}

/**
 * "Waiting for approval": the tool calls the bots' agents ask consent for, each with Allow, Deny
 * and (when the agent offers it) Always allow. Deciding here works like the card's buttons in the
 * chat; the card then says the bot's owner decided.
 */
export function ApprovalsSection({ approvals, bots, onDecided }: ApprovalsSectionProps) {
  const { t } = useTranslation();
  const headingId = useId();
  return (
    <section id={APPROVALS_SECTION_ID} className="approvals" aria-labelledby={headingId}>
      <header className="approvals__header">
        <h2 id={headingId} className="approvals__title" tabIndex={-1}>
          {t('approvals.heading', { count: approvals.length })}
        </h2>
        <p className="approvals__hint">{t('approvals.intro')}</p>
      </header>
      <ul className="approvals__list" aria-labelledby={headingId}>
        {approvals.map((approval) => (
          <ApprovalItem
            key={`${approval.botId}/${approval.requestId}`}
            approval={approval}
            bot={bots?.find((b) => b.id === approval.botId)}
            onDecided={() => onDecided(approval)}
          />
        ))}
      </ul>
    </section>
  );
}

/** Scrolls to the section and puts the keyboard at its heading; false when it is not shown. */
export function showApprovalsSection(): boolean {
  const section = document.getElementById(APPROVALS_SECTION_ID);
  if (section === null) return false;
  section.scrollIntoView({ block: 'start' });
  section.querySelector<HTMLElement>('h2')?.focus({ preventScroll: true });
  return true;
}

/** What a failed decision says: the core's own words for a request that is gone or a daemon that did not take it. */
function decisionError(t: TFunction, err: unknown): string {
  if (err instanceof RpcError && (err.code === 'not_found' || err.code === 'internal')) return err.message;
  return errorText(t, err);
}

function ApprovalItem({ approval, bot, onDecided }: { approval: PendingApproval; bot: BotView | undefined; onDecided: () => void }) {
  const { t } = useTranslation();
  const client = useClient();
  const titleId = useId();
  const errorId = useId();
  const [deciding, setDeciding] = useState<Decision | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { tool, askerOpenId: person } = approval;

  const decide = async (decision: Decision) => {
    setDeciding(decision);
    setError(null);
    try {
      await client.call('approvals.decide', { botId: approval.botId, requestId: approval.requestId, decision });
      onDecided();
    } catch (err) {
      setError(decisionError(t, err));
      setDeciding(null);
    }
  };

  const where =
    approval.chatType === 'p2p' ? t('approvals.directChat', { id: approval.chatId }) : t('approvals.groupChat', { id: approval.chatId });
  const busy = deciding !== null;

  return (
    <li className="approval" aria-labelledby={titleId} aria-busy={busy || undefined}>
      <h3 id={titleId} className="approval__title">
        <span className="mono">{tool}</span>
        {approval.title && approval.title !== tool && <span>: {approval.title}</span>}
      </h3>
      <dl className="approval__facts">
        <div>
          <dt>{t('approvals.bot')}</dt>
          <dd>{bot ? botName(bot) : approval.botId}</dd>
        </div>
        <div>
          <dt>{t('approvals.where')}</dt>
          <dd>{where}</dd>
        </div>
        <div>
          <dt>{t('approvals.person')}</dt>
          <dd className="mono">{person}</dd>
        </div>
        <div>
          <dt>{t('approvals.since')}</dt>
          <dd>
            <RelativeTime at={approval.since} />
          </dd>
        </div>
      </dl>
      {approval.question && (
        <p className="approval__question">
          <span className="approval__label">{t('approvals.question')}</span> <q>{approval.question}</q>
        </p>
      )}
      {approval.detail && (
        <pre className="approval__detail" aria-label={t('approvals.detail', { tool })}>
          {approval.detail}
        </pre>
      )}
      {(approval.hidden > 0 || approval.invisible > 0) && (
        <p className="approval__notes small muted">
          {approval.hidden > 0 && t('approvals.hidden', { count: approval.hidden })}{' '}
          {approval.invisible > 0 && t('approvals.invisible', { count: approval.invisible })}
        </p>
      )}
      <div className="approval__actions" role="group" aria-label={t('approvals.actionsFor', { tool, person })}>
        <button
          type="button"
          className="button button--small button--primary"
          disabled={busy}
          aria-describedby={error ? errorId : undefined}
          aria-label={t('approvals.allowFor', { tool, person })}
          onClick={() => void decide('allow')}
        >
          {deciding === 'allow' ? t('approvals.allowing') : t('approvals.allow')}
        </button>
        <button
          type="button"
          className="button button--small button--danger-ghost"
          disabled={busy}
          aria-describedby={error ? errorId : undefined}
          aria-label={t('approvals.denyFor', { tool, person })}
          onClick={() => void decide('deny')}
        >
          {deciding === 'deny' ? t('approvals.denying') : t('approvals.deny')}
        </button>
        {approval.alwaysAllowOffered && (
          <button
            type="button"
            className="button button--small"
            disabled={busy}
            aria-describedby={error ? errorId : undefined}
            aria-label={t('approvals.alwaysAllowFor', { tool, person })}
            onClick={() => void decide('always_allow')}
          >
            {deciding === 'always_allow' ? t('approvals.allowing') : t('approvals.alwaysAllow')}
          </button>
        )}
        {error && (
          <p id={errorId} className="approval__error" role="alert">
            {error}
          </p>
        )}
      </div>
    </li>
  );
}
