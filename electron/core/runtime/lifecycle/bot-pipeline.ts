import { settingOf } from '@shared/bot-settings';
import type { BotConfig } from '@shared/config-schema';
import { CARD_CALLBACK } from '@shared/lark-console';
import { type ChatPhrases, chatLanguageOf, chatPhrases } from '../../i18n/chat-text';
import type { LarkApi } from '../../lark/api';
import type { ConnectionHandlers } from '../../lark/connection';
import { outboundSanitizer, type Sanitize } from '../../lark/outbound/sanitize';
import { errorMessage } from '../../log/error-message';
import type { Logger } from '../../log/logger';
import { SecretRedactor } from '../../log/redact';
import { type BotMeter, NO_METER } from '../../metrics/bot-metrics';
import { SetupMonitor } from '../../setup/setup-monitor';
import { AnswerStage } from '../answer/answer';
import { ApprovalDesk } from '../approvals/approval-desk';
import type { BotIdentitySource } from './bot-identity';
import type { BotRuntimeOptions, LiveSettings } from './bot-options';
import type { BotStatusReporter } from './bot-status';
import type { BotStores } from '../stores/bot-stores';
import { FILE_STATE } from '../stores/state-backend';
import { answerCardAction } from './card-actions';
import { ChatScheduler } from '../answer/chat-scheduler';
import { Gate } from '../intake/gate';
import { type AcceptedMessage, Intake } from '../intake/intake';
import { LateMessages } from '../intake/late-messages';
import { Redelivery } from '../answer/redelivery';
import { AgentRunner } from '../answer/run-agent';
import { StopControl } from '../answer/stop-control';
import { runsElsewhere, StopRegistry } from '../answer/stop-registry';
import { SharedChats } from '../answer/shared-chats';
import { type ChatLease, ChatLeaseLost } from '../stores/bot-store';
import type { InboxEntry } from '../stores/inbox';
import { messageText } from '../answer/turn-builder';

const MESSAGE_EVENT = 'im.message.receive_v1';

/** What the pipeline is built from: the bot's options and the parts the runtime keeps across its life. */
export interface PipelineParts {
  opts: BotRuntimeOptions;
  api: LarkApi;
  status: BotStatusReporter;
  identity: BotIdentitySource;
}

/**
 * What every text the bot sends goes through: the secrets this app knows and the bot's own
 * hidden, active markup made inert (lark/outbound/sanitize.ts).
 */
function botSanitizer(opts: Pick<BotRuntimeOptions, 'bot' | 'redactor'>): { redactor: SecretRedactor; sanitize: Sanitize } {
  const redactor = opts.redactor ?? new SecretRedactor();
  return { redactor, sanitize: outboundSanitizer(redactor, [opts.bot.appSecret, opts.bot.encryptKey]) };
}

/**
 * One bot's message path, wired in one place over its opened store (electron/core/README.md):
 * intake (validate, dedupe, gate, persist, enqueue; the ack waits for this alone) → per-chat queue
 * → answer (turn, agent, reply sink), with the stages beside it (redelivery, late messages, tool
 * approvals, stop control, the setup check). It owns the bot's live settings: `applyLive` changes
 * them for the next message.
 */
export class BotPipeline {
  readonly store: BotStores;
  readonly intake: Intake;
  readonly answers: AnswerStage;
  readonly redelivery: Redelivery;
  readonly late: LateMessages;
  readonly desk: ApprovalDesk;
  readonly setup: SetupMonitor;
  readonly handlers: ConnectionHandlers;
  private readonly gate: Gate;
  private readonly queue: ChatScheduler;
  private readonly agents: AgentRunner;
  private readonly stopControl: StopControl;
  private readonly stops: StopRegistry;
  /** Where several processes share the store: who answers each chat (shared-chats.ts). */
  private readonly shared: SharedChats | undefined;
  private readonly meter: BotMeter;
  private readonly log: Logger;
  private bot: BotConfig;
  private say: ChatPhrases;
  private accepting = false;
  /** Stops reading what other processes changed of the status. */
  private readonly unfollow: () => void;

  /** Opens the bot's folder (its store) and wires the stages over it. */
  static async open(dir: string, parts: PipelineParts): Promise<BotPipeline> {
    const { opts } = parts;
    const store = await (opts.state ?? FILE_STATE).open(opts.bot, dir, opts.logger, opts.now ?? Date.now);
    const pipeline = new BotPipeline(parts, store);
    await pipeline.late.count();
    return pipeline;
  }

  private constructor(parts: PipelineParts, store: BotStores) {
    const { opts, api, status, identity } = parts;
    const { tuning } = opts;
    const log = (this.log = opts.logger);
    const now = opts.now ?? Date.now;
    const bot = () => this.bot;
    const say = () => this.say;
    this.store = store;
    this.bot = opts.bot;
    this.say = chatPhrases(chatLanguageOf(opts.bot));
    const meter = (this.meter = opts.meter ?? NO_METER);
    const { redactor, sanitize } = botSanitizer(opts);

    this.gate = new Gate({ appId: opts.bot.appId, access: opts.bot.access, log });
    this.gate.keepBotTurnsIn(store.state, store.botTurns);
    status.keepIn(store.state);
    this.unfollow = status.followShared(store.state);
    this.queue = new ChatScheduler(settingOf(opts.bot, 'maxConcurrentAnswers'), (err) =>
      log.log('error', 'runtime.task_failed', { error: errorMessage(err) }),
    );
    meter.load(() => ({ running: this.queue.active, queued: this.queue.pending }));
    const stops = (this.stops = new StopRegistry(store.stops, store.leases && runsElsewhere(store.leases)));
    this.agents = new AgentRunner({ bot, agent: opts.agent, stops, log, now, say, timeoutMs: tuning.agentTimeoutMs });
    this.stopControl = new StopControl({
      stops,
      api,
      log,
      say,
      sanitize,
      approvers: () => settingOf(this.bot, 'approvers'),
      remember: (messageId) => store.dedupe.add(messageId),
    });
    this.redelivery = new Redelivery({
      inbox: store.inbox,
      log,
      accepting: () => this.accepting,
      schedule: (accepted) => this.schedule(accepted, Promise.resolve(true)),
      maxAttempts: tuning.maxAttempts,
      delayMs: tuning.redeliverDelayMs,
    });
    this.late = new LateMessages({
      inbox: store.inbox,
      api,
      status,
      log,
      say,
      sanitize,
      identity: () => identity.current,
      schedule: (accepted) => this.schedule(accepted, Promise.resolve(true)),
    });
    this.setup = new SetupMonitor({
      bot,
      agent: opts.agent.config,
      api,
      log,
      now,
      replicas: async () => (await opts.state?.replicasOf?.(opts.bot.appId))?.length,
      ...(opts.webhook ? { webhook: () => opts.webhook?.evidence(opts.bot.id) } : {}),
      ...(opts.requestUrl ? { requestUrl: opts.requestUrl } : {}),
      onReport: (report) => {
        status.setupProblems(report.problems);
        opts.onSetup?.(report);
      },
    });
    this.intake = new Intake({
      inbox: store.inbox,
      dedupe: store.dedupe,
      accept: (entry) => store.accept(entry),
      gate: this.gate,
      log,
      now,
      bot,
      identity: () => identity.current,
      onStopWord: (message) => this.stopControl.onStopWord(message),
      onSkipped: (message) => this.late.onSkipped(message),
      onHeld: () => void this.late.count(),
      onAccepted: async ({ message, entry }) => {
        this.setup.messageArrived();
        // On disk: "last message" on the status, and `received` (before the answer can start, so the UI never sees "answered" first).
        status.lastMessage(entry.receivedAt);
        meter.accepted(entry.messageId, entry.receivedAt);
        if (!status.wantsActivity) return;
        status.activity(message, 'received', await messageText(message).catch(() => ''), entry.receivedAt);
      },
      onIgnored: (rule) => meter.ignored(rule),
      leases: store.leases,
      enqueue: (accepted, persisted) => this.schedule(accepted, persisted),
    });
    this.desk = new ApprovalDesk({
      botId: opts.bot.id,
      api,
      log,
      bot,
      say,
      sanitize,
      redact: (text) => redactor.redact(text),
      now,
      timeoutMs: tuning.approvalTimeoutMs,
      onChange: (added) => opts.onApprovals?.(added),
      keep: (cards) => {
        store.state.update({ approvalCards: cards });
        void store.state.flush();
      },
      // Several replicas on one store: a click on any of them reaches the one whose agent waits.
      shared: store.approvals,
    });
    // A crash left these cards with live buttons; their requests died with that run (with replicas: those of replicas gone).
    void this.desk.start(store.state.current.approvalCards ?? []);
    this.answers = new AnswerStage({
      bot,
      api,
      gate: this.gate,
      agents: this.agents,
      desk: this.desk,
      inbox: store.inbox,
      conversations: store.conversations,
      redelivery: this.redelivery,
      log,
      acceptsImages: opts.agent.provider.acceptsImages ?? false,
      files: opts.agent.provider.readsLocalFiles ? store.files : undefined,
      identity: () => identity.get(),
      say,
      sanitize,
      activity: (message, stage, text) => {
        if (stage === 'answered') meter.answered(message.messageId);
        else if (stage === 'failed') meter.failed(message.messageId);
        status.activity(message, stage, text);
      },
      onStopWord: (message) => this.stopControl.onStopWord(message),
      credentialsRejected: (reason) => status.setState('failed', reason),
      missingScope: (scope, message) => status.missingScope(scope, message),
      renewStreamingAfterMs: tuning.renewStreamingAfterMs,
      stepsAct: opts.agent.provider.readsLocalFiles ?? false,
      keepShown: store.leases !== undefined,
      now,
    });
    this.shared =
      store.leases &&
      new SharedChats({
        leases: store.leases,
        queue: this.queue,
        log,
        now,
        answer: (entry, lease, release) => this.answerLeased(entry, lease, release),
      });
    this.handlers = {
      eventTypes: [MESSAGE_EVENT, CARD_CALLBACK],
      onEvent: async (type, data) => {
        if (type === CARD_CALLBACK) {
          this.setup.cardActionArrived();
          return answerCardAction(data, { desk: this.desk, stop: this.stopControl, log });
        }
        if (type === MESSAGE_EVENT) return this.intake.receive(data);
      },
    };
  }

  get current(): BotConfig {
    return this.bot;
  }

  /** Access rules, language, reply mode, concurrency…: for the next message, nothing in flight disturbed. */
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

  /** What the last run accepted and did not answer, answered first; then new messages are taken. */
  async open(): Promise<void> {
    await this.intake.recover();
    this.accepting = true;
    this.intake.open();
    this.shared?.start();
  }

  /** No new messages, for good: what is queued stays in the inbox for next time; running answers go on. */
  close(): void {
    this.accepting = false;
    this.intake.close();
    this.shared?.close();
    this.queue.close();
    this.redelivery.cancel();
  }

  /** Answers in progress get `graceMs`, then are aborted (they stay in the inbox); open approval cards say so; the store is written. */
  async stop(graceMs: number): Promise<{ finished: boolean }> {
    this.close();
    const finished = await this.queue.drain(graceMs);
    if (!finished) {
      this.abortRuns();
      await this.queue.drain(2_000);
    }
    // What is left in the chats' lines is another process's to answer now, not after the leases run out.
    await this.shared?.releaseAll();
    await this.desk.closeAll();
    this.unfollow();
    this.setup.close();
    await (this.store.close ? this.store.close() : this.store.state.flush());
    return { finished };
  }

  /** Abort agent runs still going; their messages stay in the inbox. */
  abortRuns(): void {
    this.agents.abortAll();
  }

  /** Queues the answer in the chat's line; it runs once the entry is on disk (else the platform re-pushes it). */
  private schedule(accepted: AcceptedMessage, persisted: Promise<boolean>): void {
    const { chatId, messageId } = accepted.entry;
    const { shared } = this;
    // Shared: the entry waits in its chat's line, answered by whichever process holds the chat.
    if (shared) return void persisted.then((ok) => ok && shared.offer(chatId));
    const queued = this.queue.enqueue(chatId, async (release) => {
      if (await persisted) await this.answers.run(accepted, release);
    });
    if (!queued) this.log.log('info', 'message.deferred', { messageId, reason: 'shutting down; answered at next start' });
  }

  /** One entry of a chat this process holds (shared-chats.ts), judged again and answered under the lease; a lost lease ends the run. */
  private async answerLeased(entry: InboxEntry, lease: ChatLease, release: () => void): Promise<void> {
    const accepted = await this.intake.reread(entry, lease.inbox);
    if (!accepted) return;
    // A run of it began before (another process, now gone, or a crash): approval cards it left open say that run ended.
    if (entry.startedAt !== undefined) await this.desk.closeLeftoversOf(entry.messageId).catch(() => undefined);
    const off = lease.onLost(() => this.stops.abort(entry.messageId, new ChatLeaseLost(lease.chatId)));
    try {
      await this.answers.forLease(lease).run(accepted, release);
    } finally {
      off();
    }
  }
}
