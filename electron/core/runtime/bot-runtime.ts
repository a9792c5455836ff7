import { settingOf } from '@shared/bot-settings';
import type { BotStatus } from '@shared/bot-status';
import type { BotConfig } from '@shared/config-schema';
import { CARD_CALLBACK } from '@shared/lark-console';
import { PLATFORM_DOMAIN } from '@shared/platform';
import { type ChatPhrases, chatLanguageOf, chatPhrases } from '../i18n/chat-text';
import { LarkApi } from '../lark/api';
import { type ConnectionHandlers, LarkConnection } from '../lark/connection';
import type { Logger } from '../log/logger';
import { type BotMeter, NO_METER } from '../metrics/bot-metrics';
import { type AnswerStage, botFolder } from './answer';
import type { SetupMonitor } from '../setup/setup-monitor';
import type { ApprovalDesk } from './approval-desk';
import { BotIdentitySource } from './bot-identity';
import type { BotRuntimeOptions, LiveSettings } from './bot-options';
import { BotQueue } from './bot-queue';
import { botSanitizer, openStages } from './bot-stages';
import { BotStatusReporter } from './bot-status';
import type { BotStores } from './bot-stores';
import { answerCardAction } from './card-actions';
import { Gate } from './gate';
import { type AcceptedMessage, describeWriteError, type Intake } from './intake';
import type { LateMessages } from './late-messages';
import { checkOnce, type PlatformCheck, waitingReason, whenPlatformReachable } from './platform-wait';
import type { Redelivery } from './redelivery';
import { AgentRunner } from './run-agent';
import { StopControl } from './stop-control';
import { StopRegistry } from './stop-registry';
import { messageText } from './turn-builder';

export type { BotRuntimeOptions, LiveSettings } from './bot-options';

const MESSAGE_EVENT = 'im.message.receive_v1';

/**
 * One bot: its lifecycle (start, stop, status) and the wiring of its message path, whose stages
 * live in their own modules (electron/core/README.md):
 * connection → intake (validate, dedupe, gate, persist, enqueue; the ack waits for this alone) →
 * per-chat queue → answer (turn, agent, reply sink).
 */
export class BotRuntime {
  private readonly api: LarkApi;
  private readonly connection: LarkConnection;
  private readonly stops = new StopRegistry();
  private readonly gate: Gate;
  private readonly queue: BotQueue;
  private readonly agents: AgentRunner;
  private readonly stopControl: StopControl;
  private intake!: Intake;
  private stores: BotStores | undefined;
  private answers!: AnswerStage;
  private redelivery!: Redelivery;
  private late: LateMessages | undefined;
  /** Tool approvals the agent waits for (listed in the app, decided there or in the chat), once the folder is open. */
  approvals: ApprovalDesk | undefined;
  /** The bot's setup check (on connect, on demand, while someone looks), once the folder is open. */
  setup: SetupMonitor | undefined;
  private readonly identity: BotIdentitySource;
  private bot: BotConfig;
  private say: ChatPhrases;
  private accepting = false;
  /** Set once stopped: this runtime is done for good; a restart builds a new one. */
  private closed = false;
  private opening: Promise<void> | undefined;
  private readonly status: BotStatusReporter;
  private readonly meter: BotMeter;
  private readonly now: () => number;
  private readonly handlers: ConnectionHandlers = {
    eventTypes: [MESSAGE_EVENT, CARD_CALLBACK],
    onEvent: async (type, data) => {
      if (type === CARD_CALLBACK) this.setup?.cardActionArrived();
      if (type === CARD_CALLBACK) return answerCardAction(data, { desk: this.approvals, stop: this.stopControl, log: this.log });
      if (type === MESSAGE_EVENT) return this.intake.receive(data);
    },
  };

  constructor(private readonly opts: BotRuntimeOptions) {
    this.now = opts.now ?? Date.now;
    this.bot = opts.bot;
    this.say = chatPhrases(chatLanguageOf(opts.bot));
    const { bot, logger } = opts;
    const domain = bot.domain ?? PLATFORM_DOMAIN[bot.platform];
    this.status = new BotStatusReporter({ bot, log: logger, now: this.now, onStatus: opts.onStatus, onActivity: opts.onActivity });
    const meter = (this.meter = opts.meter ?? NO_METER);
    this.api = new LarkApi({
      appId: bot.appId,
      appSecret: bot.appSecret,
      domain,
      logger,
      retry: opts.retry,
      observer: { paced: (op, ms) => meter.paced(op, ms), rateLimited: (op, code) => meter.rateLimited(op, code) },
    });
    this.connection = new LarkConnection({
      appId: bot.appId,
      appSecret: bot.appSecret,
      domain,
      logger,
      pingTimeoutSec: opts.pingTimeoutSec,
      // A closed client can still report a late error or reconnect; this runtime no longer speaks for the bot.
      onState: (state, reason) => {
        if (this.closed) return;
        if (state === 'reconnecting' && this.status.current.state !== 'reconnecting') meter.reconnecting();
        if (state === 'connected') this.setup?.connected();
        else this.setup?.disconnected();
        this.status.setState(state, reason);
      },
    });
    this.identity = new BotIdentitySource({ api: this.api, log: logger, status: this.status });
    this.gate = new Gate({ appId: bot.appId, access: bot.access, log: logger });
    this.queue = new BotQueue(settingOf(bot, 'maxConcurrentAnswers'), logger);
    meter.load(() => ({ running: this.queue.running, queued: this.queue.queued }));
    this.agents = new AgentRunner({
      bot: () => this.bot,
      agent: opts.agent,
      stops: this.stops,
      log: logger,
      now: this.now,
      say: () => this.say,
      timeoutMs: opts.agentTimeoutMs,
    });
    this.stopControl = new StopControl({
      stops: this.stops,
      api: this.api,
      log: logger,
      say: () => this.say,
      sanitize: botSanitizer(opts).sanitize,
      approvers: () => this.bot.approvers ?? [],
      remember: async (messageId) => void (await this.stores?.dedupe.add(messageId)),
    });
  }

  get currentStatus(): BotStatus {
    return this.status.current;
  }

  private get log(): Logger {
    return this.opts.logger;
  }

  /** Access rules, language and reply mode, for the next message: no reconnect, nothing in flight disturbed. */
  applyLive(settings: LiveSettings): void {
    this.bot = { ...this.bot, ...settings };
    this.say = chatPhrases(chatLanguageOf(this.bot));
    this.gate.setAccess(settings.access);
    this.queue.setConcurrency(settingOf(this.bot, 'maxConcurrentAnswers'));
    this.log.log('info', 'bot.settings_applied', {
      access: this.gate.rules,
      language: chatLanguageOf(this.bot),
      replyMode: this.bot.replyMode,
    });
  }

  /**
   * Opens the bot's data folder, checks its credentials, answers what the last run left in the
   * inbox, then connects. `stop()` may be called at any point; the start then ends quietly.
   */
  async start(): Promise<void> {
    if (this.closed) return;
    this.status.setState('connecting');
    const dir = botFolder(this.opts.dataDir, this.opts.bot.id);
    this.opening = this.openStages(dir);
    try {
      await this.opening;
    } catch (err) {
      if (!this.closed) this.status.setState('failed', `cannot open the bot's data folder ${dir}: ${describeWriteError(err)}`);
      throw err;
    }
    if (this.closed) return;

    // Offline at start: the rest happens in the background once the platform answers, so the app
    // and the other bots go on meanwhile.
    const first = await checkOnce(() => this.api.verifyCredentials());
    if (first.ok || !first.error.networkCause) return this.connect(first);
    this.status.setState('connecting', waitingReason(first.error));
    const retry = { check: () => this.api.verifyCredentials(), closed: () => this.closed, alreadyWaiting: true };
    void whenPlatformReachable({ ...retry, onWaiting: (why) => this.status.setState('connecting', why) }).then((c) => this.connect(c));
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
    if (this.closed) return;
    // Answer what was accepted before the last shutdown or crash before taking new messages.
    await this.intake.recover();
    if (this.closed) return;
    this.accepting = true;
    this.intake.open();
    this.connection.start(this.handlers);
  }

  /** The durable stores, then the stages that use them (bot-stages.ts). */
  private async openStages(dir: string): Promise<void> {
    const stages = await openStages(dir, {
      opts: this.opts,
      bot: () => this.bot,
      say: () => this.say,
      api: this.api,
      gate: this.gate,
      agents: this.agents,
      stopControl: this.stopControl,
      identity: this.identity,
      status: this.status,
      now: this.now,
      accepting: () => this.accepting,
      schedule: (accepted, persisted) => this.schedule(accepted, persisted),
      accepted: (accepted) => this.accepted(accepted),
    });
    ({ stores: this.stores, intake: this.intake, answers: this.answers } = stages);
    ({ redelivery: this.redelivery, late: this.late, desk: this.approvals, setup: this.setup } = stages);
  }

  /** Late messages kept by the `hold` policy: listed, and answered or skipped by the owner. */
  get held(): LateMessages | undefined {
    return this.late;
  }

  /**
   * Stops this bot: no new messages, answers
   * in progress get `graceMs`, then are aborted and stay in the inbox for the next start.
   */
  async stop(graceMs = 5_000): Promise<{ finished: boolean }> {
    this.stopAccepting();
    // Paused is paused, even for a bot that had failed: the reason no longer applies.
    this.status.setState('stopped');
    await this.folderReady();
    const finished = await this.queue.settle(graceMs);
    if (!finished) {
      this.abortRuns();
      await this.queue.settle(2_000);
    }
    await this.approvals?.closeAll();
    this.setup?.close();
    await this.closeStores();
    return { finished };
  }

  /** Writes what the bot remembers about itself (last message, loop guard) before it goes. */
  async closeStores(): Promise<void> {
    await this.stores?.state.flush();
  }

  /** Resolves once a start has finished opening the bot's data folder (stopping waits for it, so the folder can be deleted). */
  async folderReady(): Promise<void> {
    await this.opening?.catch(() => undefined);
  }

  /** Drops the long connection and opens a new one now, e.g. after the machine wakes up. */
  reconnect(): void {
    if (!this.accepting || this.closed) return;
    this.log.log('info', 'bot.reconnect_requested');
    this.connection.restart(this.handlers);
  }

  /**
   * Stop taking messages, for good; what is queued stays in the inbox for next time. Running
   * answers go on. A start still under way (checking credentials) ends without connecting.
   */
  stopAccepting(): void {
    this.closed = true;
    this.accepting = false;
    this.intake?.close();
    this.queue.close();
    this.connection.stop();
    this.redelivery?.cancel();
    if (this.status.current.state !== 'failed') this.status.setState('stopped');
  }

  /** Abort agent runs still going after the grace period; their messages stay in the inbox. */
  abortRuns(): void {
    this.agents.abortAll();
  }

  /** Queues the answer in the chat's line; it runs once the entry is on disk (else the platform re-pushes it). */
  private schedule(accepted: AcceptedMessage, persisted: Promise<boolean>): void {
    const { chatId, messageId } = accepted.entry;
    this.queue.enqueue(chatId, messageId, async (release) => {
      if (await persisted) await this.answers.run(accepted, release);
    });
  }

  /** On disk: "last message" on the status, and `received` (before the answer can start, so the UI never sees "answered" first). */
  private async accepted({ message, entry }: AcceptedMessage): Promise<void> {
    this.status.lastMessage(entry.receivedAt);
    this.meter.accepted(entry.messageId, entry.receivedAt);
    if (!this.status.wantsActivity) return;
    const text = await messageText(message).catch(() => '');
    this.status.activity(message, 'received', text, entry.receivedAt);
  }
}
