import type { BotStatus } from '@shared/bot-status';
import type { BotConfig } from '@shared/config-schema';
import { PLATFORM_DOMAIN } from '@shared/platform';
import { LarkApi } from '../../lark/api';
import { type ConnectionHandlers, LarkConnection } from '../../lark/connection';
import type { Logger } from '../../log/logger';
import { NO_METER } from '../../metrics/bot-metrics';
import type { SetupMonitor } from '../../setup/setup-monitor';
import { botFolder } from '../answer/answer';
import type { ApprovalDesk } from '../approvals/approval-desk';
import { BotIdentitySource } from './bot-identity';
import type { BotRuntimeOptions, LiveSettings } from './bot-options';
import { BotPipeline } from './bot-pipeline';
import { BotStatusReporter } from './bot-status';
import { describeWriteError } from '../intake/intake';
import { StateUnavailable } from '../stores/state-backend';
import type { LateMessages } from '../intake/late-messages';
import { checkOnce, type PlatformCheck, waitingReason, whenPlatformReachable } from './platform-wait';
import { watchReplicas } from './replica-watch';
import { receivesByWebhook, WEBHOOK_RECEIVING, WEBHOOK_WAITING, webhookSecrets, webhookStartProblem } from '../../webhook/bot-webhook';

export type { BotRuntimeOptions, LiveSettings } from './bot-options';

/** How often a bot waiting for its state store tries again. */
const STATE_RETRY_MS = 2_000;

/**
 * One bot's life: start (open its folder and wire its message path, bot-pipeline.ts; check its
 * credentials, waiting for the network when offline; learn its identity; answer what the last run
 * left; connect), status, and stop. Everything between a message and its answer is the pipeline's.
 */
export class BotRuntime {
  private readonly api: LarkApi;
  private readonly connection: LarkConnection;
  private readonly identity: BotIdentitySource;
  private readonly status: BotStatusReporter;
  /** The message path, once the bot's folder is open. */
  private pipeline: BotPipeline | undefined;
  /** Settings given before the pipeline exists; it starts from these. */
  private bot: BotConfig;
  private accepting = false;
  /** Set once stopped: this runtime is done for good; a restart builds a new one. */
  private closed = false;
  private opening: Promise<void> | undefined;
  private unwatchState: (() => void) | undefined;
  private unwatchReplicas: (() => void) | undefined;
  /** Receiving by webhook: stops the listener handing this bot its requests. */
  private unregister: (() => void) | undefined;

  constructor(private readonly opts: BotRuntimeOptions) {
    const { bot, logger } = opts;
    this.bot = bot;
    const domain = bot.domain ?? PLATFORM_DOMAIN[bot.platform];
    const meter = opts.meter ?? NO_METER;
    const now = opts.now ?? Date.now;
    this.status = new BotStatusReporter({ bot, log: logger, now, onStatus: opts.onStatus, onActivity: opts.onActivity });
    this.api = new LarkApi({
      appId: bot.appId,
      appSecret: bot.appSecret,
      domain,
      logger,
      retry: opts.tuning.retry,
      observer: { paced: (op, ms) => meter.paced(op, ms), rateLimited: (op, code) => meter.rateLimited(op, code) },
      // Replicas of the app on one state store pace their calls together and number card operations on one clock.
      limiter: opts.state?.limiterFor?.(bot.appId),
      clock: opts.state?.sharedClock,
      ...(opts.platform ? { http: opts.platform.http } : {}),
    });
    this.connection = new LarkConnection({
      appId: bot.appId,
      appSecret: bot.appSecret,
      domain,
      logger,
      pingTimeoutSec: opts.tuning.pingTimeoutSec,
      // A closed client can still report a late error or reconnect; this runtime no longer speaks for the bot.
      onState: (state, reason) => {
        if (this.closed) return;
        if (state === 'reconnecting' && this.status.current.state !== 'reconnecting') meter.reconnecting();
        if (state === 'connected') this.pipeline?.setup.connected();
        else this.pipeline?.setup.disconnected();
        this.status.setState(state, reason);
      },
    });
    this.identity = new BotIdentitySource({ api: this.api, log: logger, status: this.status });
  }

  get currentStatus(): BotStatus {
    return this.status.current;
  }

  private get log(): Logger {
    return this.opts.logger;
  }

  /** Tool approvals the agent waits for (listed in the app, decided there or in the chat), once the folder is open. */
  get approvals(): ApprovalDesk | undefined {
    return this.pipeline?.desk;
  }

  /** The bot's setup check (on connect, on demand, while someone looks), once the folder is open. */
  get setup(): SetupMonitor | undefined {
    return this.pipeline?.setup;
  }

  /** Late messages kept by the `hold` policy: listed, and answered or skipped by the owner. */
  get held(): LateMessages | undefined {
    return this.pipeline?.late;
  }

  /** Access rules, language, reply mode…, for the next message: no reconnect, nothing in flight disturbed. */
  applyLive(settings: LiveSettings): void {
    this.bot = { ...this.bot, ...settings };
    this.pipeline?.applyLive(settings);
  }

  /**
   * Opens the bot's data folder, checks its credentials, answers what the last run left in the
   * inbox, then connects. `stop()` may be called at any point; the start then ends quietly.
   */
  async start(): Promise<void> {
    if (this.closed) return;
    // A webhook bot without its secrets (or without a listener) would never hear from the platform.
    const cannot = webhookStartProblem(this.opts.bot, this.opts.webhook);
    if (cannot) return this.status.setState('failed', cannot);
    this.status.setState('connecting');
    const dir = botFolder(this.opts.dataDir, this.opts.bot.id);
    this.opening = this.openWhenPossible(dir);
    try {
      await this.opening;
    } catch (err) {
      if (!this.closed) {
        const why = err instanceof StateUnavailable ? err.message : `cannot open the bot's data folder ${dir}: ${describeWriteError(err)}`;
        this.status.setState('failed', why);
      }
      throw err;
    }
    if (this.closed) return;
    // While it runs, the state store's outages are said on its status (messages are refused meanwhile).
    this.unwatchState = this.opts.state?.onHealth?.((problem) => this.status.stateStore(problem));
    // On a shared state store, the app's replicas (this process among them) on its status and in the metrics.
    const meter = this.opts.meter ?? NO_METER;
    this.unwatchReplicas = watchReplicas({
      state: this.opts.state,
      appId: this.opts.bot.appId,
      log: this.log,
      onChange: (replicas) => {
        if (this.closed) return;
        this.status.replicas(replicas);
        meter.replicas(replicas.length);
      },
    });

    // Offline at start: the rest happens in the background once the platform answers, so the app
    // and the other bots go on meanwhile.
    const first = await checkOnce(() => this.api.verifyCredentials());
    if (first.ok || !first.error.networkCause) return this.connect(first);
    this.status.setState('connecting', waitingReason(first.error));
    const retry = { check: () => this.api.verifyCredentials(), closed: () => this.closed, alreadyWaiting: true };
    void whenPlatformReachable({ ...retry, onWaiting: (why) => this.status.setState('connecting', why) }).then((c) => this.connect(c));
  }

  /** Opens the bot's state; a state store that is away (or another process's for this app) is waited for, saying so. */
  private async openWhenPossible(dir: string): Promise<void> {
    for (;;) {
      try {
        return await this.open(dir);
      } catch (err) {
        if (!(err instanceof StateUnavailable && err.passes) || this.closed) throw err;
        this.status.setState('connecting', `waiting for the state store: ${err.message}`);
        await new Promise((resolve) => setTimeout(resolve, STATE_RETRY_MS));
        if (this.closed) return;
      }
    }
  }

  private async open(dir: string): Promise<void> {
    const startedWith = this.bot;
    const pipeline = await BotPipeline.open(dir, {
      opts: { ...this.opts, bot: startedWith },
      api: this.api,
      status: this.status,
      identity: this.identity,
    });
    // Settings changed while the folder opened are the pipeline's from the start.
    if (this.bot !== startedWith) pipeline.applyLive(this.bot);
    // A stop during the opening has closed the bot already: the pipeline takes nothing then.
    if (this.closed) pipeline.close();
    this.pipeline = pipeline;
  }

  /** After the first credentials check: identity, what the inbox holds, then the long connection. */
  private async connect(check: PlatformCheck): Promise<void> {
    if (check.ok === 'closed' || this.closed) return;
    if (!check.ok) {
      const e = check.error;
      // Wrong credentials will not fix themselves; a platform hiccup will, so keep going then.
      if (e.kind === 'credentials' || e.kind === 'permanent') {
        this.status.setState('failed', `${e.hint || e.platformMessage} (code ${e.code ?? 'none'})`);
        return;
      }
      this.log.log('warn', 'bot.credentials_unchecked', { error: e.message });
    }
    this.status.setState('connecting');
    await this.identity.refresh();
    if (this.closed || !this.pipeline) return;
    // Answer what was accepted before the last shutdown or crash before taking new messages.
    await this.pipeline.open();
    if (this.closed) return;
    this.accepting = true;
    this.listen(this.pipeline.handlers);
  }

  /** The long connection, or (`receive: webhook`) the webhook listener's requests for this bot (webhook/server.ts), or an in-process platform's events (the preview). */
  private listen(handlers: ConnectionHandlers): void {
    const { bot, webhook, platform } = this.opts;
    if (platform) {
      this.unregister = platform.listen(handlers);
      return this.status.setState('connected');
    }
    if (!webhook || !receivesByWebhook(bot)) return this.connection.start(handlers);
    const heard = webhook.health(bot.id)?.lastGood !== undefined;
    this.unregister = webhook.register(bot.id, {
      secrets: webhookSecrets(bot),
      handlers,
      onFirstRequest: () => {
        if (!this.closed) this.status.setState('connected', WEBHOOK_RECEIVING);
      },
      onRecord: () => this.pipeline?.setup.webhookChanged(),
    });
    this.pipeline?.setup.connected();
    this.status.setState('connected', heard ? WEBHOOK_RECEIVING : WEBHOOK_WAITING);
  }

  /**
   * Stops this bot: no new messages, answers in progress get `graceMs`, then are aborted and stay
   * in the inbox for the next start.
   */
  async stop(graceMs = 5_000): Promise<{ finished: boolean }> {
    this.stopAccepting();
    // Paused is paused, even for a bot that had failed: the reason no longer applies.
    this.status.setState('stopped');
    await this.folderReady();
    return (await this.pipeline?.stop(graceMs)) ?? { finished: true };
  }

  /** Resolves once a start has finished opening the bot's data folder (stopping waits for it, so the folder can be deleted). */
  async folderReady(): Promise<void> {
    await this.opening?.catch(() => undefined);
  }

  /** Drops the long connection and opens a new one now, e.g. after the machine wakes up. */
  reconnect(): void {
    if (!this.accepting || this.closed || !this.pipeline || this.unregister) return;
    this.log.log('info', 'bot.reconnect_requested');
    this.connection.restart(this.pipeline.handlers);
  }

  /**
   * Stop taking messages, for good; what is queued stays in the inbox for next time. Running
   * answers go on. A start still under way (checking credentials) ends without connecting.
   */
  stopAccepting(): void {
    this.closed = true;
    this.unwatchState?.();
    this.unwatchReplicas?.();
    this.opts.meter?.replicas(undefined);
    this.accepting = false;
    this.pipeline?.close();
    this.unregister?.();
    this.connection.stop();
    if (this.status.current.state !== 'failed') this.status.setState('stopped');
  }
}
