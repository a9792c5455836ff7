import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir } from './private-files';

/** The lock file in the data folder: the pid of the Kocoro that uses it. */
export const LOCK_FILE = 'kocoro.lock';

export class DataDirBusy extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`another Kocoro is using ${dir} (pid ${pid}): stop it first, or give this one another --data-dir`);
    this.name = 'DataDirBusy';
  }
}

/**
 * Lock files this process holds. A lock naming our own pid that we do not hold is stale (a
 * container restarted gives the new process the old one's pid).
 */
const heldHere = new Set<string>();

function running(pid: number, file: string): boolean {
  if (pid === process.pid) return heldHere.has(file);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One Kocoro per data folder: the desktop app and `npm run headless` share the default folder, and
 * each rewrites its stores from memory, so two at once would lose data. Taken with an exclusive
 * create; a lock left by a process that no longer runs (a crash, `kill -9`) is taken over.
 */
export class DataDirLock {
  private constructor(private readonly file: string) {}

  static async acquire(dir: string): Promise<DataDirLock> {
    await ensurePrivateDir(dir);
    const file = path.join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const handle = await fs.open(file, 'wx', 0o600);
        try {
          await handle.writeFile(JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
          await handle.sync();
        } finally {
          await handle.close();
        }
        heldHere.add(file);
        return new DataDirLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await readPid(file);
      if (holder !== undefined && running(holder, file)) throw new DataDirBusy(dir, holder);
      // Stale: its process is gone. Removed, then taken again with an exclusive create, so of two
      // starting at once only one wins.
      await fs.rm(file, { force: true });
    }
    const holder = (await readPid(file)) ?? 0;
    throw new DataDirBusy(dir, holder);
  }

  /** Gives the folder up (only if the lock is still this process's). */
  async release(): Promise<void> {
    if (!heldHere.delete(this.file)) return;
    if ((await readPid(this.file)) === process.pid) await fs.rm(this.file, { force: true });
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = (JSON.parse(await fs.readFile(file, 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}
