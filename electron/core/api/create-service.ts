import type { BotReplica, BotStatus } from '@shared/bot-status';
import type { ConfigFile } from '@shared/config-schema';
import type { Handlers } from '@shared/contract';
import { type WebhookEvidence, webhookUrl } from '@shared/webhook';
import { createProvider } from '../agents/create-provider';
import type { Logger } from '../log/logger';
import type { SecretRedactor } from '../log/redact';
import { BotManager, type BotManagerOptions } from '../runtime/lifecycle/bot-manager';
import type { BotMetrics } from '../metrics/bot-metrics';
import { AppStore } from '../store/app-store';
import type { SecretVault } from '../store/secret-vault';
import { ActivityLog } from './activity-log';
import { agentHandlers } from './agent-handlers';
import { AgentTestRunner } from './agent-test';
import { appHandlers } from './app-handlers';
import { approvalHandlers } from './approval-handlers';
import { setupHandlers } from './setup-handlers';
import { previewHandlers } from './preview-handlers';
import { PreviewSessions } from '../preview/preview-sessions';
import { type AccountsHosts, Registrations } from './registration';
import { registrationHandlers } from './registration-handlers';
import { BotLauncher } from './bot-launcher';
import { botHandlers } from './bot-handlers';
import { Catalog } from './catalog';
import { EventBus } from './event-bus';
import { createExclusive, type ServiceContext } from './service-context';
import { Views } from './views';
import type { HostHooks } from './host-hooks';
import type { StateBackend } from '../runtime/stores/state-backend';

export interface ServiceOptions {
  mode: 'desktop' | 'headless';
  version: string;
  dataDir: string;
  logger: Logger;
  /** Every secret read from the vault or received from the UI is registered here. */
  redactor: SecretRedactor;
  vault: SecretVault;
  /** Already validated and env-resolved by loadConfigFile; its bots and agents are read-only. */
  config?: { file: string; content: ConfigFile };
  /** Supplied by the desktop shell; absent in headless. */
  host?: HostHooks;
  runtime?: Pick<BotManagerOptions, 'tuning' | 'webhook'>;
  /** Where the bots keep their state: the data folder when absent, or a shared Redis (`--state`). */
  state?: StateBackend;
  /** The accounts hosts of the scan-to-create flow (default the platforms' own; tests use the fake's). */
  accountsHosts?: AccountsHosts;
  /** What the webhook endpoint saw of a bot's requests (webhook mode), for the setup check of a bot not running here. */
  webhookEvidence?: (botId: string) => WebhookEvidence | undefined;
}

export interface KocoroService {
  readonly handlers: Handlers;
  readonly events: EventBus;
  /**
   * Starts every enabled bot (config file and app store). Resolves once each has checked its
   * credentials and opened its connection, or failed; `bot.status` events say when it is connected.
   */
  start(): Promise<void>;
  /** Graceful and final, like BotManager.stopAll: answers in flight get `graceMs`, the rest waits in the inboxes. */
  stop(graceMs?: number): Promise<{ finished: boolean }>;
  /** After the machine wakes up: every bot's long connection reconnects now instead of after the watchdog. */
  reconnectAll(): void;
  /** Every listed bot's status, running or not. */
  statuses(): BotStatus[];
  /** The bots' figures: what `--metrics` serves and the app shows on each bot. */
  readonly metrics: BotMetrics;
  /** The live replicas of an app on the shared state store (this process marked); undefined when the state is in the data folder. */
  replicasOf(appId: string): Promise<BotReplica[] | undefined>;
  /** A webhook bot's request URL, `<public URL>/webhook/<bot id>`; undefined while Settings has no public URL. */
  requestUrl(botId: string): string | undefined;
}

/** The core behind the UI contract, shared by the desktop IPC bridge and the headless HTTP server. */
export async function createKocoroService(opts: ServiceOptions): Promise<KocoroService> {
  const { logger, redactor, vault } = opts;
  const store = await AppStore.open({ dataDir: opts.dataDir, logger });
  const catalog = new Catalog({ config: opts.config?.content, store, vault, redactor });
  // Every event to the UI goes through the redactor too (agent test output, status reasons).
  const events = new EventBus((text) => redactor.redact(text));
  const activity = new ActivityLog();
  const requestUrl = (botId: string): string | undefined => {
    const base = store.settings().publicUrl;
    return base ? webhookUrl(base, botId) : undefined;
  };
  const manager = new BotManager({
    dataDir: opts.dataDir,
    logger,
    redactor,
    ...opts.runtime,
    ...(opts.state ? { state: opts.state } : {}),
    requestUrl,
  });
  const views = new Views({ catalog, manager, redactor });
  const launcher = new BotLauncher({ catalog, manager, logger });
  const agentTests = new AgentTestRunner({ events, logger, redactor, providerFor: (agent) => createProvider(agent.provider) });

  manager.onStatus((status) => events.emit('bot.status', views.status(status)));
  manager.onActivity((a) => {
    if (activity.add(a)) events.emit('bot.activity', a);
  });
  const registrations = new Registrations({
    emit: (event) => events.emit('registration', event),
    logger,
    redactor,
    ...(opts.accountsHosts ? { hosts: opts.accountsHosts } : {}),
  });
  const previews = new PreviewSessions({
    catalog,
    logger,
    redactor,
    onMessage: (sessionId, message) => events.emit('preview', { sessionId, message }),
    onClosed: (sessionId) => events.emit('preview', { sessionId, closed: true }),
  });
  manager.onSetup((report) => events.emit('bot.setup', report));
  manager.onApprovals((added) => events.emit('approvals.changed', added ? { added } : {}));
  reportShadowed(catalog, logger, opts.config?.file);

  const ctx: ServiceContext = {
    mode: opts.mode,
    version: opts.version,
    dataDir: opts.dataDir,
    configFile: opts.config?.file,
    host: opts.host,
    logger,
    redactor,
    vault,
    store,
    catalog,
    manager,
    launcher,
    views,
    activity,
    events,
    agentTests,
    registrations,
    previews,
    ...(opts.webhookEvidence ? { webhookEvidence: opts.webhookEvidence } : {}),
    exclusive: createExclusive(),
  };
  const handlers: Handlers = {
    ...appHandlers(ctx),
    ...botHandlers(ctx),
    ...approvalHandlers(ctx),
    ...setupHandlers(ctx),
    ...registrationHandlers(ctx),
    ...agentHandlers(ctx),
    ...previewHandlers(ctx),
  };

  return {
    handlers,
    events,
    start: () => launcher.launchAll(),
    async stop(graceMs) {
      agentTests.abortAll();
      registrations.cancelAll();
      await previews.closeAll();
      return manager.stopAll(graceMs);
    },
    reconnectAll: () => manager.reconnectAll(),
    statuses: () => catalog.bots().map((b) => views.statusOf(b.id)),
    metrics: manager.metrics,
    replicasOf: (appId) => manager.replicas(appId),
    requestUrl,
  };
}

function reportShadowed(catalog: Catalog, logger: Logger, configFile: string | undefined): void {
  const { bots, agents } = catalog.shadowed();
  for (const id of bots) {
    logger.log('error', 'store.shadowed', {
      bot: id,
      configFile,
      hint: "the config file defines a bot with the same id; the app's own bot is hidden until one of them is renamed",
    });
  }
  for (const id of agents) {
    logger.log('error', 'store.shadowed', {
      agent: id,
      configFile,
      hint: "the config file defines an agent with the same id; the app's own agent is hidden and its bots use the config's",
    });
  }
}
