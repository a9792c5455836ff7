import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../store/atomic-file';
import { z } from 'zod';
import { ensurePrivateDir } from '../../store/private-files';
import { setAside } from '../../store/set-aside';
import { versionedFormat } from '../../store/versioned';
import { logHeader, readLog } from '../../store/versioned-log';
import type { SeenMessages } from './bot-store';

/** One line of the log: an id and when it was accepted. Version 1 is the first; a change adds a migration. */
export const DEDUPE_FORMAT = versionedFormat({ schema: z.object({ id: z.string(), at: z.number() }), migrations: [] });

/** The platform re-pushes after 15 s, 5 min, 1 h and 6 h (lark/README.md §2.9): remember ids well past that. */
export const DEFAULT_DEDUPE_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Message ids already accepted, kept on disk across restarts as an append-only log of
 * `{"id","at"}` lines after a `{"version":N}` line (store/versioned-log.ts); expired lines are
 * dropped when the log is compacted at open. A log written by a newer version of the app is set
 * aside, never overwritten.
 */
export class DedupeStore implements SeenMessages {
  private readonly seen = new Map<string, number>();
  /** Lines waiting for the next write, each with the promise of the caller that added it. */
  private pending: Array<{ line: string; settle: (err?: unknown) => void }> = [];
  private flushing = false;

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
    const log = readLog(DEDUPE_FORMAT, text);
    if (log.version > DEDUPE_FORMAT.version) await setAside(this.file, 'newer');
    else {
      for (const line of log.lines) {
        // A torn last line after a crash is expected; skip it.
        const read = log.read(line);
        if (read?.ok && read.data.at > cutoff) this.seen.set(read.data.id, read.data.at);
      }
    }
    const lines = [...this.seen].map(([id, at]) => JSON.stringify({ id, at }) + '\n');
    await writeFileAtomic(this.file, logHeader(DEDUPE_FORMAT) + lines.join(''));
  }

  private prune(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [id, at] of this.seen) if (at <= cutoff) this.seen.delete(id);
  }

  has(id: string): Promise<boolean> {
    const at = this.seen.get(id);
    return Promise.resolve(at !== undefined && at > this.now() - this.ttlMs);
  }

  /**
   * Resolves once the id is durably recorded. Ids added while a write is on disk go together in
   * the next one (one fsync for the lot): under a burst, and when the disk stalls on a flush,
   * acks wait for one write, not for a line of them.
   */
  add(id: string): Promise<void> {
    const at = this.now();
    this.seen.set(id, at);
    if (this.seen.size % 1000 === 0) this.prune();
    return new Promise((resolve, reject) => {
      this.pending.push({ line: JSON.stringify({ id, at }) + '\n', settle: (err) => (err === undefined ? resolve() : reject(err)) });
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0);
        try {
          const handle = await fs.open(this.file, 'a', 0o600);
          try {
            await handle.appendFile(batch.map((b) => b.line).join(''), 'utf8');
            await handle.sync();
          } finally {
            await handle.close();
          }
          for (const b of batch) b.settle();
        } catch (err) {
          // Only this batch fails; later ids get a write of their own.
          for (const b of batch) b.settle(err ?? new Error('dedupe write failed'));
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
