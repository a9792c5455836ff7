import { type BotIdentity, type InboundMessage, toInboundMessage } from '../../lark/inbound';
import type { BotConfig } from '@shared/config-schema';
import type { Logger } from '../../log/logger';
import { lateness } from './backlog';
import type { Gate } from './gate';
import type { ChatLeases, Inbox, SeenMessages } from '../stores/bot-store';
import type { InboxEntry } from '../stores/inbox';
import { errorMessage } from '../../log/error-message';

/** A message on its way to an answer: what the answer stage receives. */
export interface AcceptedMessage {
  message: InboundMessage;
  entry: InboxEntry;
  /** `unsure`: the bot's identity was unknown; the answer stage judges it again once known. */
  verdict: 'answer' | 'unsure';
}

export interface IntakeDeps {
  inbox: Inbox;
  dedupe: SeenMessages;
  /** The entry into `inbox` and its id into `dedupe`, durable before it resolves (bot-store.ts `accept`). */
  accept: (entry: InboxEntry) => Promise<void>;
  gate: Gate;
  log: Logger;
  now: () => number;
  /** The bot as far as known (for the @mention and for normalising the text). */
  identity: () => BotIdentity | undefined;
  /** A stop word: acts at once, outside the chat's queue. */
  onStopWord: (message: InboundMessage) => Promise<void>;
  /** Present where several processes share the store: recovered entries wait in their chats' lines. */
  leases?: ChatLeases;
  /** The bot's settings now (its backlog policy). */
  bot: () => Pick<BotConfig, 'backlog' | 'backlogAfterMinutes'>;
  /** A late message under the `skip` policy: not answered (the chat is told once to ask again). */
  onSkipped: (message: InboundMessage) => void;
  /** A late message under the `hold` policy, now on disk: it waits for the owner. */
  onHeld: () => void;
  /** Once the message is safely on disk: announced before its answer may start (the ack does not wait for it). */
  onAccepted: (accepted: AcceptedMessage) => Promise<void>;
  /** A message the bot will not answer, with the rule that said so (for the metrics). */
  onIgnored?: (rule: string) => void;
  /**
   * Takes the chat's place in line now, before any await, so a chat's messages are answered in
   * the order they arrived even when their disk writes finish out of order. `persisted` settles
   * true once the entry is on disk, false when it could not be written (the platform re-pushes).
   */
  enqueue: (accepted: AcceptedMessage, persisted: Promise<boolean>) => void;
}

/**
 * Intake: validate → dedupe → the gate's verdict → persist → enqueue. The platform's ack waits for
 * this alone, so it never waits for the agent; a message is on disk (the durable inbox) before the
 * ack goes out, so a crash after it loses nothing. The gate judges before the write, so messages
 * the bot will not answer are never stored.
 */
export class Intake {
  private accepting = false;
  /** Messages being written now: a re-push arriving meanwhile is a duplicate too. */
  private readonly claimed = new Set<string>();

  constructor(private readonly deps: IntakeDeps) {}

  open(): void {
    this.accepting = true;
  }

  close(): void {
    this.accepting = false;
  }

  /** The event handler for `im.message.receive_v1`. Throws to refuse the event (the platform delivers it again later). */
  async receive(data: unknown): Promise<void> {
    const { log, dedupe, gate } = this.deps;
    // Refusing makes the platform deliver it again later, to us after restart.
    if (!this.accepting) throw new Error('bot is shutting down');
    const parsed = toInboundMessage(data, this.deps.identity());
    if (!parsed.ok) {
      log.log('warn', 'message.invalid', { error: parsed.error });
      return;
    }
    const message = parsed.message;
    const { messageId, chatId, chatType } = message;
    if (this.claimed.has(messageId) || (await dedupe.has(messageId)) || this.claimed.has(messageId)) {
      log.log('info', 'message.duplicate', { messageId, chatId });
      return;
    }
    // Claimed before anything else is awaited: a re-push arriving meanwhile is a duplicate.
    this.claimed.add(messageId);
    let persisting = false;
    try {
      const verdict = await gate.judge(message, this.deps.identity()?.openId);
      if (verdict.kind === 'ignore') {
        log.log('info', 'message.ignored', { messageId, chatId, reason: verdict.reason, rule: verdict.rule });
        this.deps.onIgnored?.(verdict.rule);
        return;
      }
      if (verdict.kind === 'stop') return this.deps.onStopWord(message);

      const late = lateness(message, this.deps.bot(), this.deps.now());
      if (late?.policy === 'skip') {
        await dedupe.add(messageId);
        log.log('info', 'message.ignored', {
          messageId,
          chatId,
          reason: 'sent while the bot was offline (backlog "skip")',
          rule: 'backlog',
        });
        this.deps.onIgnored?.('backlog');
        return this.deps.onSkipped(message);
      }
      const sentAt = late && late.policy !== 'answer' ? { sentAt: late.sentAt } : {};
      const accepted: AcceptedMessage = {
        message,
        entry: {
          messageId,
          chatId,
          receivedAt: this.deps.now(),
          event: data,
          attempts: 0,
          ...sentAt,
          ...(late?.policy === 'hold' ? { held: true } : {}),
        },
        verdict: verdict.kind,
      };
      // From here the write holds the claim, and lets it go once done (persist).
      persisting = true;
      if (accepted.entry.held) {
        await this.persist(accepted.entry);
        log.log('info', 'message.held', { messageId, chatId, sentAt: late?.sentAt });
        return this.deps.onHeld();
      }
      const written = this.persist(accepted.entry);
      const announced = written.then(() => {
        log.log('info', 'message.accepted', { messageId, chatId, chatType });
        return this.deps.onAccepted(accepted);
      });
      this.deps.enqueue(
        accepted,
        announced.then(
          () => true,
          () => false,
        ),
      );
      await written;
    } finally {
      if (!persisting) this.claimed.delete(messageId);
    }
  }

  /**
   * What the last run accepted and did not answer, oldest first: judged and queued again before
   * new messages are taken. An entry that can no longer be read or answered is removed, saying why.
   * Where chats are leased (several processes), each waits in its chat's line instead, for
   * whichever process holds the chat (shared-chats.ts), which judges it when its turn comes.
   */
  async recover(): Promise<void> {
    const { inbox, dedupe, log } = this.deps;
    const pending = await inbox.list();
    if (pending.length > 0) log.log('info', 'inbox.recovered', { count: pending.length });
    for (const entry of pending) if (!(await dedupe.has(entry.messageId))) await dedupe.add(entry.messageId);
    if (this.deps.leases) return this.deps.leases.line(pending);
    for (const entry of pending) {
      const accepted = await this.reread(entry);
      if (!accepted) continue;
      this.deps.enqueue(
        accepted,
        this.deps.onAccepted(accepted).then(() => true),
      );
    }
  }

  /**
   * A stored entry, read and judged again (the rules may have changed since it arrived): the
   * message to answer, or undefined when it waits for the owner (held) or is not to be answered
   * (then it is removed from `inbox`, saying why).
   */
  async reread(entry: InboxEntry, inbox: Inbox = this.deps.inbox): Promise<AcceptedMessage | undefined> {
    const { log } = this.deps;
    const parsed = toInboundMessage(entry.event, this.deps.identity());
    if (!parsed.ok) {
      log.log('error', 'message.invalid', { messageId: entry.messageId, error: parsed.error });
      await inbox.remove(entry);
      return undefined;
    }
    // Held ones wait for the owner, as before the restart.
    if (entry.held) return undefined;
    const verdict = await this.deps.gate.judge(parsed.message, this.deps.identity()?.openId, true);
    if (verdict.kind === 'ignore' || verdict.kind === 'stop') {
      const why = verdict.kind === 'ignore' ? { reason: verdict.reason, rule: verdict.rule } : { reason: 'a stop word', rule: 'stop' };
      log.log('info', 'message.ignored', { messageId: entry.messageId, chatId: entry.chatId, ...why });
      this.deps.onIgnored?.(why.rule);
      await inbox.remove(entry);
      return undefined;
    }
    return { message: parsed.message, entry, verdict: verdict.kind };
  }

  /** Inbox entry and dedupe record: a message is acknowledged only once both are on disk. */
  private async persist(entry: InboxEntry): Promise<void> {
    const { messageId, chatId } = entry;
    try {
      await this.deps.accept(entry);
    } catch (err) {
      this.deps.log.log('error', 'message.persist_failed', {
        messageId,
        chatId,
        error: describeWriteError(err),
        hint: 'the platform will deliver it again; free disk space',
      });
      throw err;
    } finally {
      this.claimed.delete(messageId);
    }
  }
}

/** A failed disk write in words; ENOSPC is the one a person can act on at once. */
export function describeWriteError(err: unknown): string {
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC') return 'the disk is full';
  return errorMessage(err);
}
