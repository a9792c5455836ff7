import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../store/atomic-file';
import { ensurePrivateDir } from '../store/private-files';

/** The platform re-pushes after 15 s, 5 min, 1 h and 6 h (lark/README.md §2.9): remember ids well past that. */
export const DEFAULT_DEDUPE_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Message ids already accepted, kept on disk across restarts as an append-only log of
 * `{"id","at"}` lines; expired lines are dropped when the log is compacted at open.
 */
export class DedupeStore {
  private readonly seen = new Map<string, number>();
  private appendQueue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  static async open(file: string, ttlMs = DEFAULT_DEDUPE_TTL_MS, now: () => number = Date.now): Promise<DedupeStore> {
    await ensurePrivateDir(path.dirname(file));
    const store = new DedupeStore(file, ttlMs, now);
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    let text = '';
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const cutoff = this.now() - this.ttlMs;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const rec = JSON.parse(line) as { id?: unknown; at?: unknown };
        // A torn last line after a crash is expected; skip it.
        if (typeof rec.id === 'string' && typeof rec.at === 'number' && rec.at > cutoff) this.seen.set(rec.id, rec.at);
      } catch {
        continue;
      }
    }
    await writeFileAtomic(this.file, [...this.seen].map(([id, at]) => JSON.stringify({ id, at }) + '\n').join(''));
  }

  private prune(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [id, at] of this.seen) if (at <= cutoff) this.seen.delete(id);
  }

  has(id: string): boolean {
    const at = this.seen.get(id);
    return at !== undefined && at > this.now() - this.ttlMs;
  }

  /** Resolves once the id is durably recorded. */
  add(id: string): Promise<void> {
    const at = this.now();
    this.seen.set(id, at);
    const line = JSON.stringify({ id, at }) + '\n';
    if (this.seen.size % 1000 === 0) this.prune();
    // A failed earlier append must not poison every later one.
    this.appendQueue = this.appendQueue
      .catch(() => undefined)
      .then(async () => {
        const handle = await fs.open(this.file, 'a', 0o600);
        try {
          await handle.appendFile(line, 'utf8');
          await handle.sync();
        } finally {
          await handle.close();
        }
      });
    return this.appendQueue;
  }
}
