import path from 'node:path';
import type { BotStatus, ConnectionState } from '@shared/bot-status';
import type { AgentConfig, BotConfig } from '@shared/config-schema';
import type { BotActivity } from '@shared/contract';
import { CARD_CALLBACK, permissionsLink } from '@shared/lark-console';
import { PLATFORM_DOMAIN } from '@shared/platform';
import { AgentError, type AgentProvider, applyChunk } from '../agents/provider';
import { type BotInfo, LarkApi } from '../lark/api';
import { isStopValue } from '../lark/card-json';
import { type ConnectionHandlers, LarkConnection } from '../lark/connection';
import { LarkApiError, toLarkApiError } from '../lark/errors';
import { type MessageEvent, parseMessageEvent } from '../lark/inbound';
import { BotLoopGuard, checkAccess, type ResolvedAccess, resolveAccess } from './access-policy';
import { TypingIndicator } from '../lark/reactions';
import type { RetryPolicy } from '../lark/retry';
import type { Logger } from '../log/logger';
import type { ChatScheduler } from './chat-scheduler';
import { DedupeStore } from './dedupe';
import { DurableInbox, type InboxEntry } from './inbox';
import { previewText } from './message-preview';
import { replyModeFor } from './reply-mode';
import { CardReplySink, PostReplySink, type ReplyOutcome, type ReplySink, TypingReplySink } from './reply-sink';
import { isStopMessage, StopRegistry, StoppedByUser } from './stop-registry';
import { type ChatCommand, parseChatCommand, runChatCommand } from './chat-commands';
import { ConversationStore, conversationKey } from './conversation-store';
import { buildTurn, messageText, type PreparedTurn, rememberTurn } from './turn-builder';

export interface BotRuntimeOptions {
  bot: BotConfig;
  agent: { config: AgentConfig; provider: AgentProvider };
  dataDir: string;
  logger: Logger;
  scheduler: ChatScheduler;
  onStatus: (status: BotStatus) => void;
  /** What happens to each message: `received` once accepted, then `answered` or `failed`. */
  onActivity?: (activity: BotActivity) => void;
  retry?: RetryPolicy;
  /** Delay before an answer that failed on a transient platform error is tried again. */
  redeliverDelayMs?: number;
  maxAttempts?: number;
  agentTimeoutMs?: number;
  pingTimeoutSec?: number;
  now?: () => number;
}

const MESSAGE_EVENT = 'im.message.receive_v1';

/**
 * One bot: its long connection, its durable inbox and the path from an accepted message to the
 * agent's reply. The event handler only validates, persists and enqueues, so the platform's ack
 * never waits for the agent.
 */
export class BotRuntime {
  private readonly api: LarkApi;
  /** Each chat's (or thread's) remembered turns. */
  private readonly conversations: ConversationStore;
  private readonly connection: LarkConnection;
  private inbox!: DurableInbox;
  private dedupe!: DedupeStore;
  private identity: BotInfo | undefined;
  private readonly claimed = new Set<string>();
  private readonly runs = new Set<AbortController>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Answers this bot is working on (the scheduler is shared, so a single bot's stop waits on these). */
  private readonly inFlight = new Set<Promise<void>>();
  private accepting = false;
  private stopping = false;
  /** Set once stopped: this runtime is done for good; a restart builds a new one. */
  private closed = false;
  private opening: Promise<void> | undefined;
  private status: BotStatus;
  private readonly now: () => number;
  private readonly handlers: ConnectionHandlers = {
    eventTypes: [MESSAGE_EVENT, CARD_CALLBACK],
    onEvent: (type, data) => this.onEvent(type, data),
  };
  /** Agent runs by message and chat, for the Stop button and stop words. */
  private readonly stops = new StopRegistry();
  /** Scopes already reported missing in this run (the owner is told once). */
  private readonly missingScopes = new Set<string>();
  /** Who gets an answer (`access`, defaults filled in). */
  private readonly access: ResolvedAccess;
  /** Stops bot-to-bot ping-pong per chat. */
  private readonly loopGuard = new BotLoopGuard();
  /** Bot-authored messages already counted by the loop guard when they arrived. */
  private readonly botTurnsCounted = new Set<string>();

  constructor(private readonly opts: BotRuntimeOptions) {
    this.now = opts.now ?? Date.now;
    this.access = resolveAccess(opts.bot.access);
    const { bot, logger } = opts;
    const domain = bot.domain ?? PLATFORM_DOMAIN[bot.platform];
    this.status = { botId: bot.id, state: 'stopped', since: this.now() };
    this.api = new LarkApi({ appId: bot.appId, appSecret: bot.appSecret, domain, logger, retry: opts.retry });
    this.conversations = new ConversationStore(path.join(opts.dataDir, 'bots', bot.id, 'conversations'), logger);
    this.connection = new LarkConnection({
      appId: bot.appId,
      appSecret: bot.appSecret,
      domain,
      logger,
      pingTimeoutSec: opts.pingTimeoutSec,
      // A closed client can still report a late error or reconnect; this runtime no longer speaks for the bot.
      onState: (state, reason) => {
        if (!this.closed) this.setState(state, reason);
      },
    });
  }

  get currentStatus(): BotStatus {
    return { ...this.status };
  }

  private get log(): Logger {
    return this.opts.logger;
  }

  private setState(state: ConnectionState, reason?: string): void {
    // The SDK repeats itself (e.g. "connecting" from us and then from the connection): nothing new to say.
    if (state === this.status.state && reason === this.status.reason) return;
    this.status = { ...this.status, state, reason, since: this.now() };
    const level = state === 'failed' ? 'error' : state === 'reconnecting' ? 'warn' : 'info';
    this.log.log(level, `bot.${state}`, reason ? { reason } : {});
    this.opts.onStatus(this.currentStatus);
  }

  /**
   * Opens the bot's data folder, checks its credentials, answers what the last run left in the
   * inbox, then connects. `stop()` may be called at any point; the start then ends quietly.
   */
  async start(): Promise<void> {
    if (this.closed) return;
    this.setState('connecting');
    const dir = path.join(this.opts.dataDir, 'bots', this.opts.bot.id);
    this.opening = (async () => {
      this.inbox = await DurableInbox.open(path.join(dir, 'inbox'), this.log);
      this.dedupe = await DedupeStore.open(path.join(dir, 'dedupe.jsonl'));
    })();
    try {
      await this.opening;
    } catch (err) {
      const reason =
        (err as NodeJS.ErrnoException).code === 'ENOSPC' ? 'the disk is full' : err instanceof Error ? err.message : String(err);
      if (!this.closed) this.setState('failed', `cannot open the bot's data folder ${dir}: ${reason}`);
      throw err;
    }
    if (this.closed) return;

    try {
      await this.api.verifyCredentials();
    } catch (err) {
      const e = toLarkApiError(err);
      if (this.closed) return;
      // Wrong credentials will not fix themselves; a network problem will, so keep going then.
      if (e.kind === 'credentials' || e.kind === 'permanent') {
        this.setState('failed', `${e.hint || e.platformMessage} (code ${e.code ?? 'none'})`);
        return;
      }
      this.log.log('warn', 'bot.credentials_unchecked', { error: e.message });
    }
    if (this.closed) return;
    await this.refreshIdentity();
    if (this.closed) return;

    // Answer what was accepted before the last shutdown or crash before taking new messages.
    const pending = await this.inbox.list();
    if (pending.length > 0) this.log.log('info', 'inbox.recovered', { count: pending.length });
    for (const entry of pending) {
      if (this.closed) return;
      if (!this.dedupe.has(entry.messageId)) await this.dedupe.add(entry.messageId);
      const parsed = parseMessageEvent(entry.event);
      const received = parsed.ok ? this.announceReceived(parsed.event, entry.receivedAt) : Promise.resolve();
      this.schedule(entry, received);
    }
    if (this.closed) return;

    this.accepting = true;
    this.connection.start(this.handlers);
  }

  /**
   * Stops this bot alone (the scheduler is shared with the other bots): no new messages, answers
   * in progress get `graceMs`, then are aborted and stay in the inbox for the next start.
   */
  async stop(graceMs = 5_000): Promise<{ finished: boolean }> {
    this.stopAccepting();
    // Paused is paused, even for a bot that had failed: the reason no longer applies.
    this.setState('stopped');
    await this.folderReady();
    const finished = await settleWithin(this.inFlight, graceMs);
    if (!finished) {
      this.abortRuns();
      await settleWithin(this.inFlight, 2_000);
    }
    return { finished };
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
    this.connection.stop();
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    if (this.status.state !== 'failed') this.setState('stopped');
  }

  /** Abort agent runs still going after the grace period; their messages stay in the inbox. */
  abortRuns(): void {
    this.stopping = true;
    for (const run of this.runs) run.abort();
  }

  private async refreshIdentity(): Promise<BotInfo | undefined> {
    try {
      this.identity = await this.api.botInfo();
      this.status = { ...this.status, botName: this.identity.name, botOpenId: this.identity.openId };
      this.log.log('info', 'bot.identity', { openId: this.identity.openId, name: this.identity.name });
      if (this.identity.activateStatus !== 2) {
        this.log.log('warn', 'bot.not_activated', {
          activateStatus: this.identity.activateStatus,
          hint: 'publish the app and have it approved so members can use the bot',
        });
      }
    } catch (err) {
      const e = toLarkApiError(err);
      this.log.log('error', 'bot.identity_failed', {
        error: e.message,
        hint: 'enable the Bot capability under "Add Features" and publish a version; group @mentions cannot be recognised until then',
      });
    }
    return this.identity;
  }

  /** The event handler: validate, persist, enqueue — nothing slow, the ack waits for this. */
  private async onEvent(type: string, data: unknown): Promise<unknown> {
    if (type === CARD_CALLBACK) return this.onCardAction(data);
    if (type !== MESSAGE_EVENT) return;
    if (!this.accepting) {
      // Refusing makes the platform deliver it again later, to us after restart.
      throw new Error('bot is shutting down');
    }
    const parsed = parseMessageEvent(data);
    if (!parsed.ok) {
      this.log.log('warn', 'message.invalid', { error: parsed.error });
      return;
    }
    const event = parsed.event;
    const { message_id: messageId, chat_id: chatId, chat_type: chatType } = event.message;
    if (this.dedupe.has(messageId) || this.claimed.has(messageId)) {
      this.log.log('info', 'message.duplicate', { messageId, chatId });
      return;
    }
    // Access rules (access-policy.ts). Without the bot's identity an @mention cannot be judged yet:
    // such a message is accepted and judged again in `answer`.
    const decision = checkAccess(event, this.access, { appId: this.opts.bot.appId, openId: this.identity?.openId });
    if (event.sender.sender_type === 'user') this.loopGuard.human(chatId);
    if (!decision.answer && decision.code !== 'identity_unknown') {
      this.log.log('info', 'message.ignored', { messageId, chatId, reason: decision.reason, rule: decision.code });
      return;
    }
    if (decision.answer && decision.fromBot) {
      if (!this.admitBotTurn(messageId, chatId)) return;
    }
    // A stop word acts now: the chat's queue is busy with the very answer it stops.
    if (isStopMessage(event.message.message_type, event.message.content)) return this.onStopWord(event);
    this.claimed.add(messageId);
    const entry: InboxEntry = { messageId, chatId, receivedAt: this.now(), event: data, attempts: 0 };
    const persisted = this.persist(entry);
    // `received` is announced before the answer can start, so the UI never sees "answered" first.
    const accepted = persisted.then(() => {
      this.log.log('info', 'message.accepted', { messageId, chatId, chatType });
      return this.announceReceived(event, entry.receivedAt);
    });
    // Take the chat's queue slot now, before any await, so a chat's messages are answered in the
    // order they arrived even when their disk writes finish out of order.
    this.schedule(entry, accepted);
    await accepted;
  }

  private async announceReceived(event: MessageEvent, at: number): Promise<void> {
    if (!this.opts.onActivity) return;
    let text: string;
    try {
      text = await messageText(event, this.identity);
    } catch {
      text = '';
    }
    this.activity(event, 'received', text, at);
  }

  private activity(event: MessageEvent, stage: BotActivity['stage'], text: string, at = this.now()): void {
    try {
      this.opts.onActivity?.({
        botId: this.opts.bot.id,
        messageId: event.message.message_id,
        chatType: event.message.chat_type,
        preview: previewText(text),
        stage,
        at,
      });
    } catch (err) {
      this.log.log('warn', 'activity.listener_failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async persist(entry: InboxEntry): Promise<void> {
    const { messageId, chatId } = entry;
    try {
      await this.inbox.put(entry);
      await this.dedupe.add(messageId);
    } catch (err) {
      const reason =
        (err as NodeJS.ErrnoException).code === 'ENOSPC' ? 'the disk is full' : err instanceof Error ? err.message : String(err);
      this.log.log('error', 'message.persist_failed', {
        messageId,
        chatId,
        error: reason,
        hint: 'the platform will deliver it again; free disk space',
      });
      throw err;
    } finally {
      this.claimed.delete(messageId);
    }
    this.status = { ...this.status, lastMessageAt: entry.receivedAt };
    this.opts.onStatus(this.currentStatus);
  }

  /** Queues the answer; with `persisted`, only once the entry is safely on disk (else the platform re-pushes it). */
  private schedule(entry: InboxEntry, persisted: Promise<void> = Promise.resolve()): void {
    const task = async () => {
      // A stopped bot's queued messages stay in the inbox: the next start answers them.
      if (this.closed) return;
      const run = (async () => {
        if (
          await persisted.then(
            () => true,
            () => false,
          )
        )
          await this.answer(entry);
      })();
      this.inFlight.add(run);
      try {
        await run;
      } finally {
        this.inFlight.delete(run);
      }
    };
    const accepted = this.opts.scheduler.enqueue(`${this.opts.bot.id}/${entry.chatId}`, task);
    if (!accepted)
      this.log.log('info', 'message.deferred', { messageId: entry.messageId, reason: 'shutting down; answered at next start' });
  }

  /** From inbox entry to reply. Removes the entry only when it is answered or can never be. */
  private async answer(entry: InboxEntry): Promise<void> {
    const parsed = parseMessageEvent(entry.event);
    if (!parsed.ok) {
      this.log.log('error', 'message.invalid', { messageId: entry.messageId, error: parsed.error });
      await this.inbox.remove(entry.messageId);
      return;
    }
    const event = parsed.event;
    const identity = this.identity ?? (await this.refreshIdentity());
    // Judged again: the identity may have been unknown when it arrived, and recovered entries come from an earlier run.
    const decision = checkAccess(event, this.access, { appId: this.opts.bot.appId, openId: identity?.openId });
    if (!decision.answer) {
      if (decision.code === 'identity_unknown')
        return this.retryLater(
          entry,
          new LarkApiError('transient', undefined, 'bot identity unknown', 'cannot tell whether the bot was @mentioned'),
        );
      this.log.log('info', 'message.ignored', {
        messageId: entry.messageId,
        chatId: entry.chatId,
        reason: decision.reason,
        rule: decision.code,
      });
      await this.inbox.remove(entry.messageId);
      return;
    }
    // A bot's message accepted before the identity was known (or recovered from the inbox) is counted now.
    if (decision.fromBot && !this.botTurnsCounted.has(entry.messageId) && !this.admitBotTurn(entry.messageId, entry.chatId)) {
      await this.inbox.remove(entry.messageId);
      return;
    }

    const command = parseChatCommand(await messageText(event, identity).catch(() => ''));
    if (command) return this.answerCommand(entry, event, command);

    const turn = await buildTurn(event, identity, {
      api: this.api,
      appId: this.opts.bot.appId,
      acceptsImages: this.opts.agent.provider.acceptsImages ?? false,
      filesDir: path.join(this.opts.dataDir, 'bots', this.opts.bot.id, 'files'),
      conversations: this.conversations,
      logger: this.log,
    });
    const sink = this.replySink(entry, event);
    await sink.begin();
    const reply = await this.runAgent(event, turn, (delta) => sink.push(delta));
    if (reply === undefined) return; // aborted by shutdown: stays in the inbox

    try {
      const sent = await sink.finish({ text: reply.text, outcome: reply.outcome ?? (reply.failed ? 'failed' : 'answered') });
      await this.inbox.remove(entry.messageId);
      this.log.log('info', 'reply.sent', {
        messageId: entry.messageId,
        chatId: entry.chatId,
        replyId: sent.replyId,
        parts: sent.parts,
        agentFailed: reply.failed,
        ...(reply.outcome ? { outcome: reply.outcome } : {}),
      });
      // Remembered only once really sent; a failed answer is not remembered as the agent's.
      await rememberTurn(
        this.conversations,
        turn,
        reply.failed || !reply.text.trim() ? undefined : { text: reply.text, messageId: sent.replyId },
      );
      this.activity(event, reply.failed ? 'failed' : 'answered', turn.text);
    } catch (err) {
      const e = toLarkApiError(err);
      if (e.kind === 'transient' || e.kind === 'rate_limit' || e.kind === 'token')
        return this.retryLater(entry, e, () => this.activity(event, 'failed', turn.text));
      if (e.kind === 'credentials') this.setState('failed', `${e.hint} (code ${e.code})`);
      this.log.log('error', 'reply.failed', {
        messageId: entry.messageId,
        chatId: entry.chatId,
        code: e.code,
        error: e.platformMessage,
        hint: e.hint || 'see the platform error code',
      });
      if (e.kind !== 'credentials') await this.inbox.remove(entry.messageId);
      this.activity(event, 'failed', turn.text);
    }
  }

  /** Counts a bot turn in the chat; false (logged) once the loop guard's limit is reached. */
  private admitBotTurn(messageId: string, chatId: string): boolean {
    if (this.loopGuard.admitBot(chatId)) {
      // Remembered so a retry of the same message is not counted twice (a bounded memory: oldest forgotten).
      this.botTurnsCounted.add(messageId);
      if (this.botTurnsCounted.size > 1000) this.botTurnsCounted.delete(this.botTurnsCounted.values().next().value as string);
      return true;
    }
    this.log.log('warn', 'access.loop_guard', {
      chatId,
      botTurns: this.loopGuard.limit,
      hint: 'bots are answered here again once a person speaks in the chat',
    });
    this.log.log('info', 'message.ignored', {
      messageId,
      chatId,
      reason: `loop guard: ${this.loopGuard.limit} consecutive bot turns without a person in between`,
      rule: 'loop_guard',
    });
    return false;
  }

  /** `/new`, `/help`: answered by the runtime in the chat's order, never sent to the agent. */
  private async answerCommand(entry: InboxEntry, event: MessageEvent, command: ChatCommand): Promise<void> {
    const text = `/${command}`;
    try {
      const reply = await runChatCommand(command, {
        conversations: this.conversations,
        key: conversationKey(event),
        first: entry.attempts === 0,
      });
      const sent = await new PostReplySink(this.api, { messageId: entry.messageId, inThread: Boolean(event.message.thread_id) }).finish({
        text: reply,
        outcome: 'answered',
      });
      await this.inbox.remove(entry.messageId);
      this.log.log('info', 'command.answered', { messageId: entry.messageId, chatId: entry.chatId, command, replyId: sent.replyId });
      this.activity(event, 'answered', text);
    } catch (err) {
      const e = toLarkApiError(err);
      if (e.kind === 'transient' || e.kind === 'rate_limit' || e.kind === 'token')
        return this.retryLater(entry, e, () => this.activity(event, 'failed', text));
      this.log.log('error', 'reply.failed', {
        messageId: entry.messageId,
        chatId: entry.chatId,
        command,
        code: e.code,
        error: e.platformMessage,
        hint: e.hint || 'see the platform error code',
      });
      if (e.kind !== 'credentials') await this.inbox.remove(entry.messageId);
      this.activity(event, 'failed', text);
    }
  }

  /** How this answer reaches Lark. */
  private replySink(entry: InboxEntry, event: MessageEvent): ReplySink {
    const target = { messageId: entry.messageId, inThread: Boolean(event.message.thread_id) };
    const sink =
      replyModeFor(this.opts.bot, event.message.chat_type) === 'card'
        ? new CardReplySink(this.api, target, {
            stopLabel: 'Stop',
            onCardError: (err) => {
              this.log.log('warn', 'reply.card_failed', {
                messageId: entry.messageId,
                code: err.code,
                error: err.platformMessage,
                fallback: 'post',
              });
              if (err.kind === 'permission')
                this.reportMissingScope(
                  'cardkit:card:write',
                  'Streaming cards are off: the app lacks the cardkit:card:write permission, so answers arrive as plain messages.',
                );
            },
          })
        : new PostReplySink(this.api, target);
    return new TypingReplySink(sink, new TypingIndicator(this.api, entry.messageId, this.log));
  }

  /** Tells the bot owner, once per run, which scope to grant: a log line and a notice on the status, both with the grant link. */
  private reportMissingScope(scope: string, message: string): void {
    if (this.missingScopes.has(scope)) return;
    this.missingScopes.add(scope);
    const link = permissionsLink(this.opts.bot.platform, this.opts.bot.appId, [scope]);
    this.log.log('warn', 'bot.missing_scope', { scope, link, hint: 'grant the permission, then publish a new version of the app' });
    this.status = { ...this.status, notice: { message, link } };
    this.opts.onStatus(this.currentStatus);
  }

  /** The Stop button of a streaming card (§2.12, §3.5): answered at once with a toast, the ack carries it. */
  private onCardAction(data: unknown): object {
    const event = (data ?? {}) as { action?: { value?: unknown }; context?: { open_chat_id?: string }; open_chat_id?: string };
    const value = event.action?.value;
    if (!isStopValue(value)) return {};
    const stopped = this.stops.stopMessage(value.messageId);
    this.log.log('info', 'reply.stop_requested', { messageId: value.messageId, via: 'button', stopped });
    return {
      toast: {
        type: 'info',
        content: stopped ? 'Stopped' : 'Already finished',
        i18n: { en_us: stopped ? 'Stopped' : 'Already finished', zh_cn: stopped ? '已停止' : '已经结束' },
      },
    };
  }

  /** "stop" / "停止" / "/stop": stops the chat's running answer, is remembered as seen, and never goes to the agent. */
  private async onStopWord(event: MessageEvent): Promise<void> {
    const { message_id: messageId, chat_id: chatId } = event.message;
    await this.dedupe.add(messageId);
    const stopped = this.stops.stopChat(chatId);
    this.log.log('info', 'reply.stop_requested', { messageId, chatId, via: 'message', stopped: stopped > 0 });
    // Acknowledged to the user without blocking the platform's ack.
    void (async () => {
      try {
        if (stopped > 0) await this.api.addReaction(messageId, 'DONE');
        else await new PostReplySink(this.api, { messageId, inThread: Boolean(event.message.thread_id) }).post('Nothing to stop.');
      } catch (err) {
        this.log.log('warn', 'reply.stop_ack_failed', { messageId, error: toLarkApiError(err).message });
      }
    })();
  }

  private async runAgent(
    event: MessageEvent,
    turn: PreparedTurn,
    onDelta: (delta: string) => void,
  ): Promise<{ text: string; failed: boolean; outcome?: ReplyOutcome } | undefined> {
    const { bot, agent } = this.opts;
    const controller = new AbortController();
    this.runs.add(controller);
    const unregister = this.stops.add(event.message.message_id, event.message.chat_id, controller);
    let answer = '';
    const timeout = setTimeout(() => controller.abort(new Error('agent timed out')), this.opts.agentTimeoutMs ?? 10 * 60_000);
    const started = this.now();
    try {
      for await (const delta of agent.provider.stream({
        systemPrompt: agent.config.systemPrompt,
        turns: turn.turns,
        context: {
          platform: bot.platform,
          botId: bot.id,
          chatId: event.message.chat_id,
          chatType: event.message.chat_type,
          senderOpenId: event.sender.sender_id.open_id ?? '',
          threadId: event.message.thread_id ?? event.message.root_id,
        },
        signal: controller.signal,
      })) {
        // A replacement (authoritative final text) is not streamed: the finished reply carries it.
        answer = applyChunk(answer, delta);
        if (typeof delta === 'string') onDelta(delta);
      }
      this.log.log('info', 'agent.answered', {
        messageId: event.message.message_id,
        agentId: agent.config.id,
        ms: this.now() - started,
        chars: answer.length,
      });
      return { text: answer.trim() ? answer : '(The agent returned an empty answer.)', failed: false };
    } catch (err) {
      if (this.stopping) return undefined;
      if (controller.signal.reason instanceof StoppedByUser) {
        this.log.log('info', 'agent.stopped', { messageId: event.message.message_id, agentId: agent.config.id, chars: answer.length });
        return { text: answer, failed: false, outcome: 'stopped' };
      }
      const timedOut = controller.signal.aborted;
      this.log.log('error', 'agent.failed', {
        messageId: event.message.message_id,
        agentId: agent.config.id,
        error: err instanceof Error ? err.message : String(err),
      });
      const userMessage =
        err instanceof AgentError
          ? err.userMessage
          : timedOut
            ? 'The agent took too long to answer. Please try again.'
            : 'The agent failed to answer. Please try again later.';
      return { text: `⚠️ ${userMessage}`, failed: true };
    } finally {
      clearTimeout(timeout);
      this.runs.delete(controller);
      unregister();
    }
  }

  private async retryLater(entry: InboxEntry, err: LarkApiError, onGiveUp: () => void = () => {}): Promise<void> {
    const attempts = entry.attempts + 1;
    const max = this.opts.maxAttempts ?? 8;
    if (attempts >= max) {
      this.log.log('error', 'reply.failed', {
        messageId: entry.messageId,
        chatId: entry.chatId,
        attempts,
        code: err.code,
        error: err.message,
        hint: 'gave up after repeated failures',
      });
      await this.inbox.remove(entry.messageId);
      onGiveUp();
      return;
    }
    const next = { ...entry, attempts };
    await this.inbox.put(next);
    // Stopped meanwhile: the entry waits in the inbox for the next start rather than on a timer.
    if (!this.accepting) return;
    const delay = (this.opts.redeliverDelayMs ?? 30_000) * attempts;
    this.log.log('warn', 'reply.retry_scheduled', { messageId: entry.messageId, attempts, delayMs: delay, error: err.message });
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      if (this.accepting) this.schedule(next);
    }, delay);
    this.retryTimers.add(timer);
  }
}
/** Whether every promise in `running` (which may grow meanwhile) settled within `ms`. */
async function settleWithin(running: Set<Promise<void>>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (running.size > 0) {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), left);
    });
    const settled = await Promise.race([Promise.allSettled([...running]).then(() => true as const), timeout]);
    clearTimeout(timer);
    if (!settled) return false;
  }
  return true;
}
