import { lazy, startTransition, Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { AgentView, BotView, PendingApproval } from '@shared/contract';
import type { PreviewOf } from '../preview/PreviewDialog';
import type { Platform } from '@shared/config-schema';
import { PREVIEW_ECHO_AGENT } from '@shared/preview';
import { useClient } from '../api/ClientContext';
import { useAgents } from '../agents/useAgents';
import { Banner } from '../components/Banner';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Icon, Spinner } from '../components/Icon';
import { errorText } from '../lib/errors';
import { parseSection, routeHref } from '../shell/route';
import { APPROVALS_SECTION_ID, ApprovalsSection, showApprovalsSection } from './ApprovalsSection';
import { BotItem, botName } from './BotItem';
import { EditBotDialog } from './EditBotDialog';
import { useBotFigures, type BotFigures } from './useBotFigures';
import { useApprovals } from './useApprovals';
import { useBots } from './useBots';
import { useWebhookSetup, WebhookSetupContext } from './useWebhookSetup';
import './connectors.css';

const PLATFORMS: readonly Platform[] = ['lark', 'feishu'];

// Add Bot is the largest dialog and not part of the first paint: its chunk (and stylesheet) is
// fetched when it is first opened.
const AddBotDialog = lazy(() => import('./add-bot/AddBotDialog').then((m) => ({ default: m.AddBotDialog })));
// The preview chat brings the card renderer: also fetched when first opened.
const PreviewDialog = lazy(() => import('../preview/PreviewDialog').then((m) => ({ default: m.PreviewDialog })));

export function ConnectorsPage() {
  const { t, i18n } = useTranslation();
  const client = useClient();
  const { bots, error, lastActivity, reload } = useBots();
  const figures = useBotFigures();
  const { agents } = useAgents();
  const [adding, setAdding] = useState<Platform | null>(null);
  /** The agent Try it's next step chose for the Add Bot dialog. */
  const [addingAgent, setAddingAgent] = useState<string | undefined>(undefined);
  const [previewing, setPreviewing] = useState<PreviewOf | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [removing, setRemoving] = useState<BotView | null>(null);
  const { approvals, removeApproval, jumpToApprovals } = useApprovalsSection();
  const webhook = useWebhookSetup();

  const editingBot = bots?.find((b) => b.id === editing) ?? null;
  const waiting = new Map<string, number>();
  for (const a of approvals ?? []) waiting.set(a.botId, (waiting.get(a.botId) ?? 0) + 1);

  return (
    <WebhookSetupContext.Provider value={webhook}>
      <div className="page">
        <header className="page__header">
          <div>
            <h1 className="page__title" tabIndex={-1}>
              {t('connectors.title')}
            </h1>
            <p className="page__lede">{t('connectors.lede')}</p>
          </div>
        </header>

        {error !== null && bots === null && (
          <Banner tone="error" title={t('errors.loadBots')}>
            <p>{errorText(t, error)}</p>
            <button type="button" className="button button--small" onClick={reload}>
              {t('app.retry')}
            </button>
          </Banner>
        )}

        {bots === null && error === null && (
          <p className="loading" role="status">
            <Spinner /> {t('app.loading')}
          </p>
        )}

        {approvals !== null && approvals.length > 0 && <ApprovalsSection approvals={approvals} bots={bots} onDecided={removeApproval} />}

        {bots !== null && bots.length === 0 && (
          <div className="intro-card">
            <Icon name="plug" className="intro-card__icon" />
            <div>
              <h2 className="intro-card__title">{t('connectors.intro.title')}</h2>
              <p>{t('connectors.intro.body')}</p>
              <p className="muted">{t('connectors.intro.steps')}</p>
              <p>
                <button
                  type="button"
                  className="button button--primary"
                  onClick={() =>
                    startTransition(() => setPreviewing({ kind: 'try', platform: i18n.language.startsWith('zh') ? 'feishu' : 'lark' }))
                  }
                >
                  {t('preview.tryIt')}
                </button>{' '}
                <span className="muted">{t('preview.tryHint')}</span>
              </p>
            </div>
          </div>
        )}

        {bots !== null &&
          PLATFORMS.map((platform) => (
            <PlatformSection
              key={platform}
              platform={platform}
              bots={bots.filter((b) => b.platform === platform)}
              agents={agents}
              lastActivity={lastActivity}
              figures={figures}
              approvalsWaiting={waiting}
              onShowApprovals={jumpToApprovals}
              // A transition, so the dialog opens once its chunk is here (the boundary below keeps
              // showing nothing meanwhile) rather than after React's delay for revealing suspended content.
              onAdd={() =>
                startTransition(() => {
                  setAddingAgent(undefined);
                  setAdding(platform);
                })
              }
              onPreview={(bot) => startTransition(() => setPreviewing({ kind: 'bot', botId: bot.id, botName: botName(bot) }))}
              onEdit={(bot) => setEditing(bot.id)}
              onRemove={setRemoving}
            />
          ))}

        <Suspense fallback={null}>
          {adding !== null && (
            <AddBotDialog
              platform={adding}
              initialAgentId={addingAgent}
              registeredAppIds={bots?.map((b) => b.appId) ?? []}
              onClose={() => setAdding(null)}
            />
          )}
          {previewing !== null && (
            <PreviewDialog
              of={previewing}
              agents={agents}
              onClose={() => setPreviewing(null)}
              onAddToPlatform={async (agentId, platform) => {
                let id = agentId;
                // Echo is built into the preview; a bot needs it as a real agent, so it is made one first.
                if (agentId === PREVIEW_ECHO_AGENT && !agents?.some((a) => a.id === agentId)) {
                  id = (await client.call('agents.create', { name: 'Echo', provider: { type: 'echo' } })).id;
                }
                setPreviewing(null);
                setAddingAgent(id);
                startTransition(() => setAdding(platform));
              }}
            />
          )}
        </Suspense>
        {editingBot !== null && <EditBotDialog bot={editingBot} agents={agents ?? []} onClose={() => setEditing(null)} />}
        {removing !== null && (
          <ConfirmDialog
            title={t('removeBot.title', { name: botName(removing) })}
            confirmLabel={t('removeBot.confirm')}
            busyLabel={t('common.removing')}
            onClose={() => setRemoving(null)}
            onConfirm={async () => {
              await client.call('bots.remove', { id: removing.id });
            }}
          >
            <p>{t('removeBot.body', { platform: t(`platform.${removing.platform}`) })}</p>
          </ConfirmDialog>
        )}
      </div>
    </WebhookSetupContext.Provider>
  );
}

interface PlatformSectionProps {
  platform: Platform;
  bots: BotView[];
  agents: AgentView[] | null;
  lastActivity: ReadonlyMap<string, number>;
  figures: ReadonlyMap<string, BotFigures>;
  approvalsWaiting: ReadonlyMap<string, number>;
  onShowApprovals: () => void;
  onAdd: () => void;
  onEdit: (bot: BotView) => void;
  onPreview: (bot: BotView) => void;
  onRemove: (bot: BotView) => void;
}

function PlatformSection({
  platform,
  bots,
  agents,
  lastActivity,
  figures,
  approvalsWaiting,
  onShowApprovals,
  onAdd,
  onEdit,
  onPreview,
  onRemove,
}: PlatformSectionProps) {
  const { t } = useTranslation();
  const name = t(`platform.${platform}`);
  const headingId = `platform-${platform}`;
  return (
    <section className="platform" aria-label={name}>
      <header className="platform__header">
        <div className="platform__heading">
          <span className={`platform__logo platform__logo--${platform}`} aria-hidden="true">
            {platform === 'lark' ? 'L' : 'F'}
          </span>
          <div>
            <h2 id={headingId} className="platform__title">
              {name}
            </h2>
            <p className="platform__hint">{t(`connectors.sectionHint.${platform}`)}</p>
          </div>
        </div>
        <button type="button" className="button button--primary" onClick={onAdd}>
          {t('connectors.addBot')}
        </button>
      </header>
      {bots.length === 0 ? (
        <p className="platform__empty">{t('connectors.empty', { platform: name })}</p>
      ) : (
        <ul className="bot-list" aria-labelledby={headingId}>
          {bots.map((bot) => (
            <BotItem
              key={bot.id}
              bot={bot}
              agent={agents?.find((a) => a.id === bot.agentId)}
              agentsLoaded={agents !== null}
              lastActivity={lastActivity.get(bot.id)}
              figures={figures.get(bot.id)}
              approvalsWaiting={approvalsWaiting.get(bot.id) ?? 0}
              onShowApprovals={onShowApprovals}
              onEdit={() => onEdit(bot)}
              onPreview={() => onPreview(bot)}
              onRemove={() => onRemove(bot)}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * The approvals list, and the way to it: a link to `#/connectors/approvals` (the desktop app's
 * notification opens one) scrolls to the section once it is shown, then the hash goes back to
 * `#/connectors` so that the next such link moves the page again.
 */
function useApprovalsSection() {
  const { approvals, remove, reload } = useApprovals();
  const [jump, setJump] = useState(() => parseSection(window.location.hash) === APPROVALS_SECTION_ID);

  useEffect(() => {
    const onHash = () => {
      if (parseSection(window.location.hash) === APPROVALS_SECTION_ID) setJump(true);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    if (!jump || approvals === null) return;
    showApprovalsSection();
    setJump(false);
    if (parseSection(window.location.hash) === APPROVALS_SECTION_ID) {
      window.history.replaceState(window.history.state, '', routeHref('connectors'));
    }
  }, [jump, approvals]);

  return {
    approvals,
    removeApproval: (approval: PendingApproval) => {
      remove(approval);
      reload();
    },
    jumpToApprovals: showApprovalsSection,
  };
}
