import type { BotReplica, BotStatus } from '@shared/bot-status';
import type { AgentConfig, BotConfig, ConfigFile } from '@shared/config-schema';
import type { BotActivity, PendingApproval, SetupReport } from '@shared/contract';
import { createProvider } from '../../agents/create-provider';
import type { AgentProvider } from '../../agents/provider';
import type { Logger } from '../../log/logger';
import type { SecretRedactor } from '../../log/redact';
import { type BotFigures, BotMetrics } from '../../metrics/bot-metrics';
import { BotRuntime, type LiveSettings } from './bot-runtime';
import type { SetupMonitor } from '../../setup/setup-monitor';
import type { ApprovalDesk } from '../approvals/approval-desk';
import type { LateMessages } from '../intake/late-messages';
import type { StateBackend } from '../stores/state-backend';
import { type BotTuning, tuningWith } from './tuning';
import { replicaViews, sameReplicas } from './replica-watch';
import { errorMessage } from '../../log/error-message';
import type { WebhookRegistry } from '../../webhook/server';

export interface BotManagerOptions {
  dataDir: string;
  logger: Logger;
  /** Timings other than the defaults (tuning.ts): tests shorten them. */
  tuning?: Partial<BotTuning>;
  /** Where the bots keep their state (stores/state-backend.ts); the data folder when absent. */
  state?: StateBackend;
  /** Lets tests swap in providers; defaults to building them from config. */
  providerFor?: (agentId: string, fallback: () => AgentProvider) => AgentProvider;
  now?: () => number;
  /** The app's secrets: hidden from every reply a bot sends. */
  redactor?: SecretRedactor;
  /** Where the bots' figures are counted (the metrics endpoint reads the same); a private one when absent. */
  metrics?: BotMetrics;
  /** The webhook listener (`npm run headless -- --webhook`); absent on the desktop: bots use the long connection. */
  webhook?: WebhookRegistry;
  /** A webhook bot's request URL as the app shows it (its public base URL set): the setup check compares the console's with it. */
  requestUrl?: (botId: string) => string | undefined;
}

/** Time an answer in progress gets when one bot is paused, edited or removed, before it is aborted (it stays in the inbox). */
export const BOT_STOP_GRACE_MS = 5_000;

/**
 * Starts and stops bots, all at once or one at a time; a failing bot never takes the others down.
 * Operations on one bot run one after another, so a quick pause-resume-edit cannot leave two
 * connections for one app.
 */
export class BotManager {
  private readonly bots = new Map<string, BotRuntime>();
  private readonly known = new Map<string, BotStatus>();
  private readonly ops = new Map<string, Promise<unknown>>();
  private readonly statusListeners = new Set<(status: BotStatus) => void>();
  private readonly activityListeners = new Set<(activity: BotActivity) => void>();
  private readonly approvalListeners = new Set<(added?: PendingApproval) => void>();
  private readonly setupListeners = new Set<(report: SetupReport) => void>();
  private readonly now: () => number;
  readonly metrics: BotMetrics;
  private stopped = false;

  constructor(private readonly opts: BotManagerOptions) {
    this.now = opts.now ?? Date.now;
    this.metrics = opts.metrics ?? new BotMetrics(this.now);
  }

  onStatus(listener: (status: BotStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  onActivity(listener: (activity: BotActivity) => void): () => void {
    this.activityListeners.add(listener);
    return () => this.activityListeners.delete(listener);
  }

  /** A bot's setup check finished. */
  onSetup(listener: (report: SetupReport) => void): () => void {
    this.setupListeners.add(listener);
    return () => this.setupListeners.delete(listener);
  }

  /** An approval was asked for (`added`), decided or ended, in any bot. */
  onApprovals(listener: (added?: PendingApproval) => void): () => void {
    this.approvalListeners.add(listener);
    return () => this.approvalListeners.delete(listener);
  }

  /** Every bot this manager has started, running or not, until `forget`. */
  statuses(): BotStatus[] {
    return [...this.known.values()].map((s) => ({ ...s }));
  }

  /** The bot's last status; a bot never started here is `stopped`. */
  status(botId: string): BotStatus {
    const known = this.known.get(botId);
    if (known) return { ...known };
    const status: BotStatus = { botId, state: 'stopped', since: this.now() };
    this.known.set(botId, status);
    return { ...status };
  }

  isRunning(botId: string): boolean {
    return this.bots.has(botId);
  }

  async startAll(config: ConfigFile): Promise<void> {
    const agents = new Map(config.agents.map((a) => [a.id, a]));
    await Promise.all(
      config.bots
        .filter((bot) => bot.enabled !== false)
        .map(async (bot) => {
          const agent = agents.get(bot.agentId);
          if (!agent) throw new Error(`bot ${bot.id}: no agent with id "${bot.agentId}"`);
          await this.startBot(bot, agent);
        }),
    );
  }

  /**
   * Starts one bot, first stopping the runtime it replaces (same id) if there is one. Resolves
   * once the start is over: credentials checked and the connection opening (it then reconnects by
   * itself), or failed.
   * The status says `connecting` from the moment this is called.
   */
  async startBot(bot: BotConfig, agent: AgentConfig): Promise<void> {
    if (this.stopped) throw new Error('the bot manager has been stopped');
    if (!this.bots.has(bot.id)) this.publish({ botId: bot.id, state: 'connecting', since: this.now() });
    const runtime = await this.serial(bot.id, async () => {
      const old = this.bots.get(bot.id);
      // Detached first, so the old runtime's "stopped" does not flash between two connected states.
      this.bots.delete(bot.id);
      if (old) await old.stop(BOT_STOP_GRACE_MS);
      if (this.stopped) return undefined;
      const created = this.createRuntime(bot, agent);
      this.bots.set(bot.id, created);
      return created;
    });
    try {
      await runtime?.start();
    } catch (err) {
      this.opts.logger.log('error', 'bot.start_failed', { bot: bot.id, error: errorMessage(err) });
    }
  }

  /** Stops one bot: answers in progress get `graceMs`, the rest stays in its inbox for the next start. */
  async stopBot(botId: string, graceMs = BOT_STOP_GRACE_MS): Promise<{ finished: boolean }> {
    return this.serial(botId, async () => {
      const runtime = this.bots.get(botId);
      if (!runtime) {
        // A bot marked failed without ever running is now simply stopped.
        this.publish({ botId, state: 'stopped', since: this.now() });
        return { finished: true };
      }
      try {
        return await runtime.stop(graceMs);
      } finally {
        if (this.bots.get(botId) === runtime) this.bots.delete(botId);
      }
    });
  }

  /** Marks a bot that cannot start at all (a secret missing, its app used twice) as failed, saying why. */
  fail(botId: string, reason: string): void {
    this.publish({ botId, state: 'failed', reason, since: this.now() });
  }

  /** Drops what is remembered about a removed bot (call after `stopBot`). */
  forget(botId: string): void {
    this.known.delete(botId);
    this.metrics.forget(botId);
  }

  /**
   * Settings a running bot takes for its next message without reconnecting (access rules,
   * language, reply mode). False when the bot is not running: it reads them when it starts.
   */
  applyLive(botId: string, settings: LiveSettings): boolean {
    const runtime = this.bots.get(botId);
    runtime?.applyLive(settings);
    return runtime !== undefined;
  }

  /** The bot's setup check; undefined while it is not running. */
  setup(botId: string): SetupMonitor | undefined {
    return this.bots.get(botId)?.setup;
  }

  /** The tool approvals of the bot's agent; undefined while it is not running. */
  approvals(botId: string): ApprovalDesk | undefined {
    return this.bots.get(botId)?.approvals;
  }

  /** Every running bot's waiting approvals, oldest first. */
  pendingApprovals(): PendingApproval[] {
    return [...this.bots.values()].flatMap((b) => b.approvals?.list() ?? []).sort((a, b) => a.since - b.since);
  }

  /** The bot's late messages held for the owner (backlog `hold`); undefined while it is not running. */
  held(botId: string): LateMessages | undefined {
    return this.bots.get(botId)?.held;
  }

  /** Answers today, median answer time, queued and running now. */
  figures(botId: string): BotFigures {
    return this.metrics.figures(botId);
  }

  /** The live replicas of an app on the shared state store (this process marked); undefined when the state is in the data folder. */
  replicas(appId: string): Promise<BotReplica[] | undefined> {
    return replicaViews(this.opts.state, appId);
  }

  /** Forces the long connection of one bot to reconnect now instead of waiting for the watchdog. */
  reconnect(botId: string): void {
    this.bots.get(botId)?.reconnect();
  }

  reconnectAll(): void {
    for (const runtime of this.bots.values()) runtime.reconnect();
  }

  /**
   * Graceful stop of everything, for good: no new messages, running answers get up to `graceMs`
   * to finish; anything left stays in the inbox and is answered at the next start.
   */
  async stopAll(graceMs = 10_000): Promise<{ finished: boolean }> {
    this.stopped = true;
    const bots = [...this.bots.values()];
    for (const bot of bots) bot.stopAccepting();
    const results = await Promise.all(bots.map((bot) => bot.stop(graceMs)));
    return { finished: results.every((r) => r.finished) };
  }

  private createRuntime(bot: BotConfig, agent: AgentConfig): BotRuntime {
    const build = () => createProvider(agent.provider);
    const provider = this.opts.providerFor ? this.opts.providerFor(agent.id, build) : build();
    const runtime: BotRuntime = new BotRuntime({
      bot,
      agent: { config: agent, provider },
      dataDir: this.opts.dataDir,
      logger: this.opts.logger.child({ bot: bot.id }),
      tuning: tuningWith(this.opts.tuning),
      ...(this.opts.state ? { state: this.opts.state } : {}),
      ...(this.opts.webhook ? { webhook: this.opts.webhook } : {}),
      ...(this.opts.requestUrl ? { requestUrl: () => this.opts.requestUrl?.(bot.id) } : {}),
      now: this.opts.now,
      redactor: this.opts.redactor,
      meter: this.metrics.meter(bot.id),
      // A replaced runtime finishing its last answers no longer speaks for the bot.
      onStatus: (status) => {
        if (this.bots.get(bot.id) === runtime) this.publish(status);
      },
      onActivity: (activity) => this.activityListeners.forEach((l) => l(activity)),
      onApprovals: (added) => this.approvalListeners.forEach((l) => l(added)),
      onSetup: (report) => {
        if (this.bots.get(bot.id) === runtime) this.setupListeners.forEach((l) => l(report));
      },
    });
    return runtime;
  }

  private publish(status: BotStatus): void {
    const before = this.known.get(status.botId);
    // The same news twice (e.g. "connecting" from us and then from the runtime) keeps its original time.
    if (before && sameExceptTime(before, status)) return;
    this.known.set(status.botId, { ...status });
    for (const listener of this.statusListeners) listener({ ...status });
  }

  private serial<T>(botId: string, op: () => Promise<T>): Promise<T> {
    const previous = this.ops.get(botId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(op);
    const settled = next.catch(() => undefined);
    this.ops.set(botId, settled);
    void settled.then(() => {
      if (this.ops.get(botId) === settled) this.ops.delete(botId);
    });
    return next;
  }
}

function sameExceptTime(a: BotStatus, b: BotStatus): boolean {
  return (
    a.state === b.state &&
    a.reason === b.reason &&
    a.botName === b.botName &&
    a.botOpenId === b.botOpenId &&
    a.lastMessageAt === b.lastMessageAt &&
    a.held === b.held &&
    a.setupProblems === b.setupProblems &&
    a.notice?.message === b.notice?.message &&
    sameReplicas(a.replicas, b.replicas)
  );
}
