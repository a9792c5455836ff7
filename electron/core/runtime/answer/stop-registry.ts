import { toInboundMessage } from '../../lark/inbound';
import type { ChatLeases, StopSignals } from '../stores/bot-store';
import type { InboxEntry } from '../stores/inbox';

/**
 * Runs of the bot's other processes (several share its store: chats leased, shared-chats.ts),
 * looked up in the shared store: a Stop pressed on a card lands on any of them (the platform picks
 * one connection per callback).
 */
export interface RunsElsewhere {
  /** Who asked `messageId`, while it waits or is being answered; undefined once answered. */
  askerOf(messageId: string): Promise<string | undefined>;
  /** The message being answered in the chat now, and who asked it. */
  running(chatId: string): Promise<{ messageId: string; askerOpenId: string } | undefined>;
}

/** Why a run was aborted when the user stopped it (the runtime tells it apart from a timeout or shutdown). */
export class StoppedByUser extends Error {
  constructor() {
    super('stopped by the user');
    this.name = 'StoppedByUser';
  }
}

interface Run {
  chatId: string;
  /** Who asked: they may stop it, as may the bot's approvers. */
  askerOpenId: string;
  controller: AbortController;
}

/**
 * The agent runs of one bot, by the user's message they answer and by chat, so a Stop button
 * (which names the message) or a stop word (which names only the chat) can abort the right one.
 * A stop travels through the bot's store (`StopSignals`, bot-store.ts): each run watches for the
 * stop of its message, wherever it is asked for.
 */
export class StopRegistry {
  private readonly byMessage = new Map<string, Run>();

  constructor(
    private readonly signals: StopSignals,
    private readonly elsewhere?: RunsElsewhere,
  ) {}

  add(messageId: string, chatId: string, askerOpenId: string, controller: AbortController): () => void {
    const run = { chatId, askerOpenId, controller };
    this.byMessage.set(messageId, run);
    const unwatch = this.signals.watch(messageId, () => {
      if (!controller.signal.aborted) controller.abort(new StoppedByUser());
    });
    return () => {
      unwatch();
      if (this.byMessage.get(messageId) === run) this.byMessage.delete(messageId);
    };
  }

  /** Stops the run answering `messageId`, here or in another process; false when there is none (already finished). */
  async stopMessage(messageId: string): Promise<boolean> {
    const run = this.byMessage.get(messageId);
    if (run?.controller.signal.aborted) return false;
    if (!run && (await this.elsewhere?.askerOf(messageId)) === undefined) return false;
    // A shared store that cannot be reached fails the request; the run goes on, and the person may press again.
    this.signals.request(messageId).catch(() => undefined);
    return true;
  }

  /** Who asked the message a run answers (here or in another process); undefined when none runs (finished, or never started). */
  async askerOf(messageId: string): Promise<string | undefined> {
    const run = this.byMessage.get(messageId);
    if (run) return run.controller.signal.aborted ? undefined : run.askerOpenId;
    return this.elsewhere?.askerOf(messageId);
  }

  /**
   * Stops the runs in the chat that `asker` asked (every run of the chat when `asker` is undefined);
   * how many were stopped, and how many others still run there.
   */
  async stopChat(chatId: string, asker?: string): Promise<{ stopped: number; others: number }> {
    let stopped = 0;
    let others = 0;
    const runs = [...this.byMessage].filter(([, run]) => run.chatId === chatId && !run.controller.signal.aborted);
    const there = runs.length === 0 ? await this.elsewhere?.running(chatId) : undefined;
    const candidates = there
      ? [{ messageId: there.messageId, askerOpenId: there.askerOpenId }]
      : runs.map(([messageId, run]) => ({ messageId, askerOpenId: run.askerOpenId }));
    for (const { messageId, askerOpenId } of candidates) {
      if (asker === undefined || askerOpenId === asker) {
        this.signals.request(messageId).catch(() => undefined);
        stopped++;
      } else others++;
    }
    return { stopped, others };
  }

  /** Ends the run answering `messageId` here, for `reason` (its chat's lease was lost). */
  abort(messageId: string, reason: Error): void {
    const run = this.byMessage.get(messageId);
    if (run && !run.controller.signal.aborted) run.controller.abort(reason);
  }
}

/** Runs of the bot's other processes, found through the chats' lines and leases. */
export function runsElsewhere(leases: ChatLeases): RunsElsewhere {
  const askerOf = (entry: InboxEntry | undefined): string | undefined => {
    if (!entry || entry.held) return undefined;
    const parsed = toInboundMessage(entry.event, undefined);
    return parsed.ok ? parsed.message.sender.openId : undefined;
  };
  return {
    askerOf: async (messageId) => askerOf(await leases.entry(messageId)),
    running: async (chatId) => {
      const entry = await leases.running(chatId);
      const asker = askerOf(entry);
      return entry && asker !== undefined ? { messageId: entry.messageId, askerOpenId: asker } : undefined;
    },
  };
}
