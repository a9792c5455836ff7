import path from 'node:path';
import type { BotActivity } from '@shared/contract';
import type { BotConfig } from '@shared/config-schema';
import type { ChatPhrases } from '../../i18n/chat-text';
import type { LarkApi } from '../../lark/api';
import { isRetryable, LarkApiError, toLarkApiError } from '../../lark/errors';
import { type BotIdentity, type InboundMessage, toInboundMessage } from '../../lark/inbound';
import { TypingIndicator } from '../../lark/outbound/reactions';
import { approvalNoteUuid } from '../../lark/outbound/idempotency';
import { postContent } from '../../lark/outbound/markdown';
import { createReplySink, type ReplySink } from '../../lark/outbound/reply-sink';
import type { Sanitize } from '../../lark/outbound/sanitize';
import { sayTo } from '../../lark/outbound/say';
import type { Logger } from '../../log/logger';
import { AnswerProgress } from './answer-progress';
import type { ApprovalDesk } from '../approvals/approval-desk';
import type { AgentRunner } from './run-agent';
import { sentTimeText } from '../intake/backlog';
import type { BotFileStore } from '../stores/file-store';
import { type ChatCommand, runChatCommand } from '../intake/chat-commands';
import { type ChatLease, ChatLeaseLost, type ConversationMemory, type Inbox } from '../stores/bot-store';
import { conversationKey } from '../stores/conversation-store';
import type { Gate } from '../intake/gate';
import type { AcceptedMessage } from '../intake/intake';
import type { Redelivery } from './redelivery';
import { fenceCalls } from './fenced-api';
import { replyModeFor } from './reply-mode';
import { buildTurn, rememberTurn } from './turn-builder';

export interface AnswerDeps {
  /** The bot's settings as they are now (reply mode and language may change while it runs). */
  bot: () => BotConfig;
  api: LarkApi;
  gate: Gate;
  agents: AgentRunner;
  /** The bot's tool approvals: requests the agent makes while answering go there. */
  desk: ApprovalDesk;
  inbox: Inbox;
  conversations: ConversationMemory;
  redelivery: Redelivery;
  log: Logger;
  acceptsImages: boolean;
  /** The bot's kept files; absent when its agent cannot open local files. */
  files: BotFileStore | undefined;
  /** The bot's identity, fetched again when it is not known yet. */
  identity: () => Promise<BotIdentity | undefined>;
  say: () => ChatPhrases;
  /** Every text sent to the chat goes through it: secrets hidden, active markup (`<at id=all>`) made inert. */
  sanitize: Sanitize;
  activity: (message: InboundMessage, stage: BotActivity['stage'], text: string) => void;
  onStopWord: (message: InboundMessage) => Promise<void>;
  /** The platform rejected the app's credentials while replying: the bot's status says so. */
  credentialsRejected: (reason: string) => void;
  /** A permission the bot needs is missing: the owner is told once, with the grant link. */
  missingScope: (scope: string, message: string) => void;
  /** How long a streaming card goes before streaming is enabled again (tuning.ts). */
  renewStreamingAfterMs: number;
  /**
   * The agent's steps act on this computer (Kocoro, a program): a run is marked in the inbox entry
   * before the agent starts, and a second run of the same message (after a crash or a takeover)
   * says in the reply that it started again, since steps may run twice.
   */
  stepsAct: boolean;
  /** Cards keep their text before showing it (another process may take the answer over: card-stream.ts `keepShown`). */
  keepShown: boolean;
  now: () => number;
}

/**
 * The answer stage: build the turn → run the agent → hand the text to a reply sink (lark/outbound).
 * It removes the inbox entry only once the message is answered or can never be; transient
 * platform errors go to the redelivery.
 */
export class AnswerStage {
  constructor(
    private readonly deps: AnswerDeps,
    /** The chat lease this stage answers under (`forLease`): its writes are fenced by it. */
    private readonly lease?: ChatLease,
  ) {}

  /**
   * The answer stage for one chat held under `lease` (shared-chats.ts): the inbox, memory and
   * platform calls of its answers refused once the lease is gone, so a process that lost the chat
   * (paused past its lease, cut off) writes nothing more for it.
   */
  forLease(lease: ChatLease): AnswerStage {
    const { deps } = this;
    return new AnswerStage(
      {
        ...deps,
        api: fenceCalls(deps.api, lease),
        inbox: lease.inbox,
        conversations: lease.conversations,
        redelivery: deps.redelivery.inLine(lease.inbox),
      },
      lease,
    );
  }

  /**
   * `agentDone` is called once the agent has answered: the bot's limit on answers at once counts
   * agent runs, so the next chat starts while this one sends the end of its reply.
   */
  async run(accepted: AcceptedMessage, agentDone: () => void = () => {}): Promise<void> {
    const judged = accepted.verdict === 'unsure' ? await this.judgeAgain(accepted) : accepted;
    if (!judged) return;
    const { message, entry } = judged;
    const command = await this.deps.gate.command(message);
    if (command) return this.answerCommand(judged, command);

    const { deps } = this;
    const turn = await buildTurn(message, await deps.identity(), {
      api: deps.api,
      appId: deps.bot().appId,
      acceptsImages: deps.acceptsImages,
      files: deps.files,
      say: deps.say(),
      conversations: deps.conversations,
      logger: deps.log,
    });
    const restarted = deps.stepsAct && entry.startedAt !== undefined;
    // Marked before the agent starts: a run after a crash or a takeover then knows it is the second.
    if (deps.stepsAct && !restarted) {
      entry.startedAt = deps.now();
      await deps.inbox.put(entry);
    }
    const sink = this.replySink(judged);
    await sink.begin();
    // A late message (backlog `note`, or released from `hold`) says first when it was asked.
    const late =
      (entry.sentAt === undefined ? '' : `_${deps.say()('backlog.note', { time: sentTimeText(entry.sentAt, Date.now()) })}_\n\n`) +
      (restarted ? `_${deps.say()('reply.restarted')}_\n\n` : '');
    if (late) sink.push(late);
    const progress = this.progress(judged, sink, turn.text);
    const reply = await deps.agents.run(
      message,
      turn,
      (delta) => sink.push(delta),
      (p) => progress.on(p),
    );
    agentDone();
    // Requests of this answer still open end with it; their cards say how.
    deps.desk.endFor(message.messageId, reply === undefined ? 'botStopped' : reply.outcome === 'stopped' ? 'stopped' : 'finished');
    // Aborted by a shutdown: the card says so, the message stays in the inbox, the next start
    // writes the answer into the same card.
    if (reply === undefined) return sink.interrupt(`_${deps.say()('reply.interrupted')}_`);

    try {
      const outcome = reply.outcome ?? (reply.failed ? 'failed' : 'answered');
      // Notes about files not kept go below the answer, in italics.
      const text = late + (turn.notices.length > 0 ? `${reply.text}\n\n${turn.notices.join('\n')}` : reply.text);
      const sent = await sink.finish({ text, outcome, extras: progress.extras(reply.usage, deps.bot().usageFooter ?? false) });
      await deps.inbox.remove(entry);
      deps.log.log('info', 'reply.sent', {
        messageId: entry.messageId,
        chatId: entry.chatId,
        replyId: sent.replyId,
        parts: sent.parts,
        agentFailed: reply.failed,
        ...(reply.outcome ? { outcome: reply.outcome } : {}),
      });
      // Remembered only once really sent; a failed answer is not remembered as the agent's.
      const answer = reply.failed || !reply.text.trim() ? undefined : { text: reply.text, messageId: sent.replyId };
      await rememberTurn(deps.conversations, turn, answer);
      deps.activity(message, reply.failed ? 'failed' : 'answered', turn.text);
    } catch (err) {
      await this.replyFailed(judged, err, turn.text);
    }
  }

  /** Where the agent's steps and approval requests go while it answers this message. */
  private progress({ message }: AcceptedMessage, sink: ReplySink, question: string): AnswerProgress {
    const { deps } = this;
    const say = deps.say();
    const inThread = Boolean(message.threadId);
    return new AnswerProgress({
      desk: deps.desk,
      sink,
      say,
      log: deps.log,
      message,
      question,
      card: replyModeFor(deps.bot(), message.chatType) === 'card',
      note: async (text, requestId) => {
        await deps.api.replyMessage(message.messageId, {
          msgType: 'post',
          content: postContent(deps.sanitize(text, true)),
          uuid: approvalNoteUuid(requestId),
          replyInThread: inThread,
          chatId: message.chatId,
        });
      },
      now: Date.now,
    });
  }

  /** A message accepted before the bot's identity was known: judged now that it is (or retried later). */
  private async judgeAgain(accepted: AcceptedMessage): Promise<AcceptedMessage | undefined> {
    const { deps } = this;
    const identity = await deps.identity();
    const { entry } = accepted;
    if (!identity) {
      const err = new LarkApiError('transient', undefined, 'bot identity unknown', 'cannot tell whether the bot was @mentioned');
      await deps.redelivery.later(accepted, err);
      return undefined;
    }
    // Normalised again: the bot's own @mention can only be removed now.
    const rebuilt = toInboundMessage(entry.event, identity);
    const message = rebuilt.ok ? rebuilt.message : accepted.message;
    const verdict = await deps.gate.judge(message, identity.openId);
    if (verdict.kind === 'answer') return { message, entry, verdict: 'answer' };
    if (verdict.kind === 'stop') await deps.onStopWord(message);
    else if (verdict.kind === 'ignore') {
      deps.log.log('info', 'message.ignored', {
        messageId: entry.messageId,
        chatId: entry.chatId,
        reason: verdict.reason,
        rule: verdict.rule,
      });
    }
    if (verdict.kind !== 'unsure') await deps.inbox.remove(entry);
    return undefined;
  }

  /** `/new`, `/help`: answered by the runtime, in the bot's language. */
  private async answerCommand(accepted: AcceptedMessage, command: ChatCommand): Promise<void> {
    const { message, entry } = accepted;
    const { deps } = this;
    const text = `/${command}`;
    try {
      const say = deps.say();
      const first = entry.attempts === 0;
      const reply = await runChatCommand(command, { conversations: deps.conversations, key: conversationKey(message), first, say });
      const sent = await sayTo(deps.api, message, reply, deps.sanitize);
      await deps.inbox.remove(entry);
      deps.log.log('info', 'command.answered', { messageId: entry.messageId, chatId: entry.chatId, command, replyId: sent.replyId });
      deps.activity(message, 'answered', text);
    } catch (err) {
      await this.replyFailed(accepted, err, text, { command });
    }
  }

  /** A reply that could not be sent: retried when the cause is transient, else given up with the platform's hint. */
  private async replyFailed(accepted: AcceptedMessage, err: unknown, text: string, extra: Record<string, unknown> = {}): Promise<void> {
    const { message, entry } = accepted;
    const { deps } = this;
    if (err instanceof ChatLeaseLost || (this.lease && !this.lease.valid())) {
      // Another process holds the chat now and answers the message itself: nothing more from here.
      deps.log.log('info', 'reply.handed_over', { messageId: entry.messageId, chatId: entry.chatId });
      return;
    }
    const e = toLarkApiError(err);
    if (isRetryable(e)) return deps.redelivery.later(accepted, e, () => deps.activity(message, 'failed', text));
    if (e.kind === 'credentials') deps.credentialsRejected(`${e.hint} (code ${e.code})`);
    deps.log.log('error', 'reply.failed', {
      messageId: entry.messageId,
      chatId: entry.chatId,
      ...extra,
      code: e.code,
      error: e.platformMessage,
      hint: e.hint || 'see the platform error code',
    });
    // Wrong credentials are the owner's to fix: the message waits in the inbox for the bot's next start.
    if (e.kind !== 'credentials') await deps.inbox.remove(entry);
    deps.activity(message, 'failed', text);
  }

  /**
   * How this answer reaches the chat: a streaming card or a message, per the bot's reply mode.
   * The cards it sends are kept in the inbox entry as they are sent, so after a crash or a restart
   * the answer is written into them again instead of into new ones.
   */
  private replySink({ message, entry }: AcceptedMessage): ReplySink {
    const { deps } = this;
    const say = deps.say();
    const { messageId } = message;
    return createReplySink(
      deps.api,
      { messageId, inThread: Boolean(message.threadId), chatId: message.chatId },
      {
        mode: replyModeFor(deps.bot(), message.chatType),
        words: {
          stoppedNote: say('reply.stoppedNote'),
          stopLabel: say('stop.button'),
          generating: say('card.generating'),
          sanitize: deps.sanitize,
        },
        typing: new TypingIndicator(deps.api, messageId, deps.log),
        renewStreamingAfterMs: deps.renewStreamingAfterMs,
        resume: entry.reply?.cards,
        keepShown: deps.keepShown,
        onCards: async (cards) => {
          entry.reply = { cards };
          await deps.inbox.put(entry);
        },
        onCardError: (err) => {
          deps.log.log('warn', 'reply.card_failed', { messageId, code: err.code, error: err.platformMessage, fallback: 'post' });
          if (err.kind === 'permission') {
            deps.missingScope(
              'cardkit:card:write',
              'Streaming cards are off: the app lacks the cardkit:card:write permission, so answers arrive as plain messages.',
            );
          }
        },
      },
    );
  }
}

/** `<dataDir>/bots/<id>`: the bot's folder in the data dir. */
export function botFolder(dataDir: string, botId: string): string {
  return path.join(dataDir, 'bots', botId);
}
