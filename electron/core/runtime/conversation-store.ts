import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AgentTurn } from '../agents/provider';
import type { InboundMessage } from '../lark/inbound';
import type { Logger } from '../log/logger';
import { ensurePrivateDir } from '../store/private-files';

/** One remembered turn. Images are never stored: the text carries a stand-in for them. */
export interface StoredTurn {
  role: 'user' | 'assistant';
  text: string;
  at: number;
  /** The Lark message this turn is (the user's message, or the bot's reply). */
  messageId?: string;
}

/** How much of a conversation the agent is shown: the newest turns first, the oldest dropped. */
export interface ConversationBudget {
  maxTurns: number;
  maxChars: number;
}

export const DEFAULT_BUDGET: ConversationBudget = { maxTurns: 20, maxChars: 24_000 };

type Line = { t: 'turn'; role: 'user' | 'assistant'; text: string; at: number; messageId?: string } | { t: 'reset'; at: number };

/** After this many appends since the file was last written whole, it is compacted again. */
const COMPACT_AFTER_APPENDS = 100;

/** A chat is one conversation; in chats that use threads, each thread is one. */
export function conversationKey(message: Pick<InboundMessage, 'threadId' | 'chatId'>): string {
  return message.threadId ? `thread:${message.threadId}` : `chat:${message.chatId}`;
}

/**
 * The conversations of one bot, one append-only JSON-lines file each
 * (`<dir>/<hash of the key>.jsonl`), compacted to what the budget keeps when first read. A torn
 * last line (crash mid-write) is skipped. Calls for one conversation run one after another.
 */
export class ConversationStore {
  private readonly loaded = new Map<string, { turns: StoredTurn[]; appends: number }>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly budget: ConversationBudget = DEFAULT_BUDGET,
    private readonly now: () => number = Date.now,
  ) {}

  /** The remembered turns the agent is shown, oldest first, within the budget. */
  async history(key: string): Promise<AgentTurn[]> {
    return this.locked(key, async () => this.withinBudget((await this.load(key)).turns).map((t) => ({ role: t.role, text: t.text })));
  }

  /** Whether a message (the user's or one of the bot's replies) is part of the remembered conversation. */
  async includes(key: string, messageId: string): Promise<boolean> {
    return this.locked(key, async () => (await this.load(key)).turns.some((t) => t.messageId === messageId));
  }

  /**
   * Remembers one exchange. A user message already remembered (an answer repeated after a crash)
   * is not added again. Never throws: memory is best effort, the answer has been sent.
   */
  async record(key: string, turns: Array<Omit<StoredTurn, 'at'>>): Promise<void> {
    try {
      await this.locked(key, async () => {
        const state = await this.load(key);
        const userId = turns.find((t) => t.role === 'user')?.messageId;
        if (userId && state.turns.some((t) => t.role === 'user' && t.messageId === userId)) return;
        const at = this.now();
        const lines: Line[] = turns.map((t) => ({
          t: 'turn',
          role: t.role,
          text: t.text,
          at,
          ...(t.messageId ? { messageId: t.messageId } : {}),
        }));
        await ensurePrivateDir(this.dir);
        await fs.appendFile(this.file(key), lines.map((l) => `${JSON.stringify(l)}\n`).join(''), { mode: 0o600 });
        state.turns.push(...turns.map((t) => ({ ...t, at })));
        state.appends += lines.length;
        if (state.appends >= COMPACT_AFTER_APPENDS) await this.compact(key, state);
      });
    } catch (err) {
      this.logger.log('warn', 'conversation.save_failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Forgets the conversation (`/new`). */
  async clear(key: string): Promise<void> {
    await this.locked(key, async () => {
      const state = await this.load(key);
      await ensurePrivateDir(this.dir);
      await fs.appendFile(this.file(key), `${JSON.stringify({ t: 'reset', at: this.now() } satisfies Line)}\n`, { mode: 0o600 });
      state.turns = [];
      state.appends += 1;
    });
  }

  private file(key: string): string {
    return path.join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.jsonl`);
  }

  private withinBudget(turns: StoredTurn[]): StoredTurn[] {
    const kept: StoredTurn[] = [];
    let chars = 0;
    for (let i = turns.length - 1; i >= 0 && kept.length < this.budget.maxTurns; i--) {
      const turn = turns[i]!;
      chars += turn.text.length;
      if (chars > this.budget.maxChars) break;
      kept.unshift(turn);
    }
    return kept;
  }

  /** Reads the file once, then keeps it in memory; rewrites it when it holds more than the budget or a bad line. */
  private async load(key: string): Promise<{ turns: StoredTurn[]; appends: number }> {
    const cached = this.loaded.get(key);
    if (cached) return cached;
    let raw = '';
    try {
      raw = await fs.readFile(this.file(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let turns: StoredTurn[] = [];
    let lines = 0;
    let bad = 0;
    for (const text of raw.split('\n')) {
      if (!text.trim()) continue;
      lines++;
      const line = parseLine(text);
      if (!line) {
        bad++;
        continue;
      }
      if (line.t === 'reset') turns = [];
      else turns.push({ role: line.role, text: line.text, at: line.at, ...(line.messageId ? { messageId: line.messageId } : {}) });
    }
    if (bad > 0) this.logger.log('warn', 'conversation.lines_skipped', { count: bad });
    const state = { turns: this.withinBudget(turns), appends: 0 };
    this.loaded.set(key, state);
    if (lines > state.turns.length) await this.compact(key, state);
    return state;
  }

  /** Writes the kept turns whole (to a temporary file renamed over the old one, so a crash leaves one or the other). */
  private async compact(key: string, state: { turns: StoredTurn[]; appends: number }): Promise<void> {
    state.turns = this.withinBudget(state.turns);
    const file = this.file(key);
    const tmp = `${file}.tmp`;
    const body = state.turns
      .map(
        (t) =>
          `${JSON.stringify({ t: 'turn', role: t.role, text: t.text, at: t.at, ...(t.messageId ? { messageId: t.messageId } : {}) } satisfies Line)}\n`,
      )
      .join('');
    await ensurePrivateDir(this.dir);
    await fs.writeFile(tmp, body, { mode: 0o600 });
    await fs.rename(tmp, file);
    state.appends = 0;
  }

  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }
}

function parseLine(text: string): Line | undefined {
  try {
    const v = JSON.parse(text) as Partial<Record<string, unknown>>;
    if (v.t === 'reset' && typeof v.at === 'number') return { t: 'reset', at: v.at };
    if (v.t === 'turn' && (v.role === 'user' || v.role === 'assistant') && typeof v.text === 'string') {
      return {
        t: 'turn',
        role: v.role,
        text: v.text,
        at: typeof v.at === 'number' ? v.at : 0,
        ...(typeof v.messageId === 'string' ? { messageId: v.messageId } : {}),
      };
    }
  } catch {
    // a torn line
  }
  return undefined;
}
