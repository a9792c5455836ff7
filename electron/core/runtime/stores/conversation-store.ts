import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { AgentTurn } from '../../agents/provider';
import type { InboundMessage } from '../../lark/inbound';
import type { Logger } from '../../log/logger';
import { z } from 'zod';
import { ensurePrivateDir } from '../../store/private-files';
import { setAside } from '../../store/set-aside';
import { versionedFormat } from '../../store/versioned';
import { logHeader, readLog } from '../../store/versioned-log';
import type { ConversationMemory } from './bot-store';
import { errorMessage } from '../../log/error-message';

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

const lineSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('turn'),
    role: z.enum(['user', 'assistant']),
    text: z.string(),
    at: z.number().default(0),
    messageId: z.string().optional(),
  }),
  z.object({ t: z.literal('reset'), at: z.number() }),
]);
type Line = z.infer<typeof lineSchema>;

/** One line of a conversation file. Version 1 is the first (files without a version line); a change adds a migration. */
export const CONVERSATION_FORMAT = versionedFormat({ schema: lineSchema, migrations: [] });

type Loaded = { turns: StoredTurn[]; appends: number; headed: boolean };

/** After this many appends since the file was last written whole, it is compacted again. */
const COMPACT_AFTER_APPENDS = 100;

/** The newest turns that fit the budget, oldest first (the Redis store trims to the same, redis/redis-scripts.ts). */
export function withinBudget<T extends { text: string }>(turns: T[], budget: ConversationBudget): T[] {
  const kept: T[] = [];
  let chars = 0;
  for (let i = turns.length - 1; i >= 0 && kept.length < budget.maxTurns; i--) {
    const turn = turns[i]!;
    chars += turn.text.length;
    if (chars > budget.maxChars) break;
    kept.unshift(turn);
  }
  return kept;
}

/** A chat is one conversation; in chats that use threads, each thread is one. */
export function conversationKey(message: Pick<InboundMessage, 'threadId' | 'chatId'>): string {
  return message.threadId ? `thread:${message.threadId}` : `chat:${message.chatId}`;
}

/**
 * The conversations of one bot, one append-only JSON-lines file each
 * (`<dir>/<hash of the key>.jsonl`), compacted to what the budget keeps when first read. A torn
 * last line (crash mid-write) is skipped. Calls for one conversation run one after another.
 */
export class ConversationStore implements ConversationMemory {
  private readonly loaded = new Map<string, Loaded>();
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
        // A new file starts with its version line, so its lines are never read as another version's.
        const header = state.headed ? '' : logHeader(CONVERSATION_FORMAT);
        await fs.appendFile(this.file(key), header + lines.map((l) => `${JSON.stringify(l)}\n`).join(''), { mode: 0o600 });
        state.headed = true;
        state.turns.push(...turns.map((t) => ({ ...t, at })));
        state.appends += lines.length;
        if (state.appends >= COMPACT_AFTER_APPENDS) await this.compact(key, state);
      });
    } catch (err) {
      this.logger.log('warn', 'conversation.save_failed', { error: errorMessage(err) });
    }
  }

  /** Forgets the conversation (`/new`). */
  async clear(key: string): Promise<void> {
    await this.locked(key, async () => {
      const state = await this.load(key);
      await ensurePrivateDir(this.dir);
      const header = state.headed ? '' : logHeader(CONVERSATION_FORMAT);
      await fs.appendFile(this.file(key), `${header}${JSON.stringify({ t: 'reset', at: this.now() } satisfies Line)}\n`, { mode: 0o600 });
      state.headed = true;
      state.turns = [];
      state.appends += 1;
    });
  }

  private file(key: string): string {
    return path.join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.jsonl`);
  }

  private withinBudget(turns: StoredTurn[]): StoredTurn[] {
    return withinBudget(turns, this.budget);
  }

  /**
   * Reads the file once, then keeps it in memory; rewrites it (with the current version line) when
   * it holds more than the budget, a bad line, or an older version. A file written by a newer
   * version of the app is set aside, never overwritten, and the conversation starts afresh.
   */
  private async load(key: string): Promise<Loaded> {
    const cached = this.loaded.get(key);
    if (cached) return cached;
    const file = this.file(key);
    let raw = '';
    try {
      raw = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let log = readLog(CONVERSATION_FORMAT, raw);
    if (log.version > CONVERSATION_FORMAT.version) {
      const aside = await setAside(file, 'newer');
      this.logger.log('warn', 'conversation.newer_format', { file: aside, version: log.version, fallback: 'a fresh conversation' });
      log = readLog(CONVERSATION_FORMAT, '');
    }
    let turns: StoredTurn[] = [];
    let bad = 0;
    for (const text of log.lines) {
      const read = log.read(text);
      if (!read?.ok) {
        bad++;
        continue;
      }
      const line = read.data;
      if (line.t === 'reset') turns = [];
      else turns.push({ role: line.role, text: line.text, at: line.at, ...(line.messageId ? { messageId: line.messageId } : {}) });
    }
    if (bad > 0) this.logger.log('warn', 'conversation.lines_skipped', { count: bad });
    const headed = log.headed && log.version === CONVERSATION_FORMAT.version;
    const state: Loaded = { turns: this.withinBudget(turns), appends: 0, headed };
    this.loaded.set(key, state);
    if (log.lines.length > state.turns.length || (raw.trim() !== '' && !headed)) await this.compact(key, state);
    return state;
  }

  /** Writes the kept turns whole (to a temporary file renamed over the old one, so a crash leaves one or the other). */
  private async compact(key: string, state: Loaded): Promise<void> {
    state.turns = this.withinBudget(state.turns);
    const file = this.file(key);
    const tmp = `${file}.tmp`;
    const body =
      logHeader(CONVERSATION_FORMAT) +
      state.turns
        .map(
          (t) =>
            `${JSON.stringify({ t: 'turn', role: t.role, text: t.text, at: t.at, ...(t.messageId ? { messageId: t.messageId } : {}) } satisfies Line)}\n`,
        )
        .join('');
    await ensurePrivateDir(this.dir);
    await fs.writeFile(tmp, body, { mode: 0o600 });
    await fs.rename(tmp, file);
    state.appends = 0;
    state.headed = true;
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
