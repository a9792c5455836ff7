import type { AgentConfig } from '@shared/config-schema';
import type { SetupReport } from '@shared/contract';
import type { WebhookEvidence } from '@shared/webhook';
import type { LarkApi } from '../lark/api';
import type { Logger } from '../log/logger';
import { type CheckedBot, checkSetup, type Evidence } from './setup-check';
import { logSetupProblems } from './setup-report-text';

/** A check asked for without `force` within this long of the last one gets that one (the page polls while it is open). */
export const SETUP_CHECK_EVERY_MS = 30_000;
/** How long after a reconnect a second connection may still be the old one (the platform notices a dead socket by its pings). */
export const OLD_CONNECTION_GRACE_MS = 3 * 60_000;

export interface SetupMonitorDeps {
  bot: () => Omit<CheckedBot, 'requestUrl'>;
  /** Webhook bots: `<public URL>/webhook/<bot id>` as Settings has it now; undefined while no public URL is set. */
  requestUrl?: () => string | undefined;
  /** Webhook bots: what the webhook server saw of the bot's requests (signed and verified, or refused and why). */
  webhook?: () => WebhookEvidence | undefined;
  /** The bot's agent, for who may reach what it runs on this computer. */
  agent: Pick<AgentConfig, 'provider'>;
  api: Pick<LarkApi, 'verifyCredentials' | 'botInfo' | 'getJson'>;
  log: Logger;
  now: () => number;
  /** The app's live replicas on a shared state store (each holds a connection); undefined: not shared. May throw (Redis away). */
  replicas?: () => Promise<number | undefined>;
  /** After every check (the app's `bot.setup` event, the problem count on the bot's status). */
  onReport: (report: SetupReport) => void;
}

/**
 * The setup check of one running bot: run when it connects, on demand, and at most every 30 s
 * while someone looks; what arrives (a message, a card click) stands in for what the app may not
 * read about itself. Each problem that appears is one `setup.problem` log line, with its link.
 */
export class SetupMonitor {
  private last: SetupReport | undefined;
  private running: Promise<SetupReport> | undefined;
  private readonly evidence: Evidence = { connected: false, messageArrived: false, cardActionArrived: false };
  private logged = new Set<string>();
  private reconnectedAt: number | undefined;
  private everConnected = false;
  private recheck: NodeJS.Timeout | undefined;
  /** The refusal reason the last report's "Requests" item was about. */
  private lastRefusal: string | undefined;

  constructor(private readonly deps: SetupMonitorDeps) {}

  get report(): SetupReport | undefined {
    return this.last;
  }

  /** The last report when fresh enough, else a new check; `force` always checks (one at a time). */
  check(force = false): Promise<SetupReport> {
    if (this.running) return this.running;
    if (!force && this.last && this.deps.now() - this.last.checkedAt < SETUP_CHECK_EVERY_MS) return Promise.resolve(this.last);
    this.running = this.run().finally(() => (this.running = undefined));
    return this.running;
  }

  /** The long connection is up: check now (a second client shows only from here on). */
  connected(): void {
    this.evidence.connected = true;
    if (this.everConnected) this.reconnectedAt = this.deps.now();
    this.everConnected = true;
    void this.check(true)
      .then((report) => {
        // A count that may include the old connection is looked at again once the platform has had time to drop it.
        if (report.items.some((i) => i.id === 'connections' && i.state === 'unknown') && this.reconnectedAt !== undefined) {
          clearTimeout(this.recheck);
          this.recheck = setTimeout(() => void this.check(true).catch(() => undefined), OLD_CONNECTION_GRACE_MS + 1_000);
          this.recheck.unref?.();
        }
      })
      .catch(() => undefined);
  }

  /** The bot stops: no check is left waiting. */
  close(): void {
    clearTimeout(this.recheck);
  }

  disconnected(): void {
    this.evidence.connected = false;
  }

  /** A message arrived: events work, whatever the app may read about itself. */
  messageArrived(): void {
    if (this.evidence.messageArrived) return;
    this.evidence.messageArrived = true;
    if (this.last?.items.some((i) => i.id === 'events' && i.state !== 'ok')) void this.check(true).catch(() => undefined);
  }

  /**
   * The webhook server's record of the bot changed (a first verified request, or a refusal): checked
   * again when the "Requests from the platform" item would say something else.
   */
  webhookChanged(): void {
    const item = this.last?.items.find((i) => i.id === 'requests');
    if (!item) return;
    const seen = this.deps.webhook?.();
    const refusal = seen?.lastProblem;
    const refused = refusal !== undefined && (seen?.lastGoodAt === undefined || refusal.at > seen.lastGoodAt);
    const now = refused ? `problem:${refusal.reason}` : seen?.lastGoodAt !== undefined ? 'ok' : 'unknown';
    const before = item.state === 'problem' ? `problem:${this.lastRefusal ?? ''}` : item.state;
    if (now !== before) void this.check(true).catch(() => undefined);
  }

  cardActionArrived(): void {
    if (this.evidence.cardActionArrived) return;
    this.evidence.cardActionArrived = true;
    if (this.last?.items.some((i) => i.id === 'callback' && i.state !== 'ok')) void this.check(true).catch(() => undefined);
  }

  private async run(): Promise<SetupReport> {
    const { deps } = this;
    const justReconnected = this.reconnectedAt !== undefined && deps.now() - this.reconnectedAt < OLD_CONNECTION_GRACE_MS;
    // Redis away: null, and more connections than this one's are "could not be checked", not a stranger.
    const replicas = deps.replicas ? await deps.replicas().catch(() => null) : undefined;
    const webhook = deps.webhook?.();
    const evidence = {
      ...this.evidence,
      justReconnected,
      ...(replicas !== undefined ? { replicas } : {}),
      ...(webhook ? { webhook } : {}),
    };
    const requestUrl = deps.requestUrl?.();
    const report = await checkSetup({ ...deps.bot(), ...(requestUrl ? { requestUrl } : {}) }, deps.api, evidence, deps.now, deps.agent);
    this.lastRefusal = webhook?.lastProblem?.reason;
    this.last = report;
    // Logged when a problem appears (or its words change), not at every look.
    const before = this.logged;
    this.logged = logSetupProblems(report, deps.log, (key) => !before.has(key));
    deps.onReport(report);
    return report;
  }
}
