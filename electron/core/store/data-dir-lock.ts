import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { claimFolder, type FolderClaim } from './folder-claim';
import { ensurePrivateDir } from './private-files';

/** Who holds the data folder (written by the holder, 0600): what a second Kocoro tells its user. */
export const LOCK_FILE = 'kocoro.lock';

export type KocoroMode = 'desktop' | 'headless';

export interface LockHolder {
  pid: number;
  mode?: KocoroMode;
  /** When it took the folder (ISO 8601). */
  since?: string;
}

export class DataDirBusy extends Error {
  constructor(
    readonly dir: string,
    /** 0 when the holder has not said who it is (it was stopped before it could). */
    readonly pid: number,
    readonly holder: Omit<LockHolder, 'pid'> = {},
  ) {
    super(
      `another Kocoro is using ${dir} (${pid > 0 ? `pid ${pid}` : 'pid unknown'})${described(holder)}: stop it first, or give this one another --data-dir`,
    );
    this.name = 'DataDirBusy';
  }
}

function described({ mode, since }: Omit<LockHolder, 'pid'>): string {
  const what = mode === 'desktop' ? ', the desktop app' : mode === 'headless' ? ', headless' : '';
  return `${what}${since ? ` since ${since}` : ''}`;
}

/**
 * How long a loser waits for the winner to say who it is: it writes the file right after taking
 * the folder, so only a winner stopped in between makes this wait run out.
 */
const HOLDER_INFO_WAIT_MS = 1_000;

/**
 * One Kocoro per data folder: the desktop app and `npm run headless` share the default folder, and
 * each rewrites its stores from memory, so two at once would lose data. The folder is claimed
 * through the kernel (`folder-claim.ts`), which frees it when the holder dies, however it dies;
 * `kocoro.lock` only says who holds it.
 */
export class DataDirLock {
  private released = false;

  private constructor(
    private readonly file: string,
    private readonly claim: FolderClaim,
  ) {}

  static async acquire(dir: string, mode: KocoroMode): Promise<DataDirLock> {
    await ensurePrivateDir(dir);
    const result = await claimFolder(dir);
    if ('taken' in result) {
      const holder = await holderInfo(dir, result.holderId);
      throw new DataDirBusy(dir, holder?.pid ?? 0, holder ? { mode: holder.mode, since: holder.since } : {});
    }
    const file = path.join(dir, LOCK_FILE);
    try {
      await writeHolder(file, { pid: process.pid, mode, since: new Date().toISOString(), claim: result.claim.id });
    } catch (err) {
      await result.claim.release();
      throw err;
    }
    return new DataDirLock(file, result.claim);
  }

  /** Gives the folder up, at once. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    // The info goes first: while the claim is held nobody else writes it, so it is still ours.
    if ((await readHolder(this.file))?.claim === this.claim.id) await fs.rm(this.file, { force: true });
    await this.claim.release();
  }
}

type HolderRecord = LockHolder & { claim?: string };

/** Written whole under another name, then renamed: a reader never sees half of it. */
async function writeHolder(file: string, record: HolderRecord): Promise<void> {
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(temp, JSON.stringify(record), { mode: 0o600, flag: 'wx' });
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}

async function readHolder(file: string): Promise<HolderRecord | undefined> {
  try {
    const raw = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    if (typeof raw.pid !== 'number') return undefined;
    return {
      pid: raw.pid,
      ...(raw.mode === 'desktop' || raw.mode === 'headless' ? { mode: raw.mode } : {}),
      ...(typeof raw.since === 'string' ? { since: raw.since } : {}),
      ...(typeof raw.claim === 'string' ? { claim: raw.claim } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * The holder's info, once it is the current holder's: the one naming its claim when the claim is
 * known, else one naming a running process (what a dead holder left names one that is gone).
 */
async function holderInfo(dir: string, holderId: string | undefined): Promise<HolderRecord | undefined> {
  const deadline = Date.now() + HOLDER_INFO_WAIT_MS;
  for (;;) {
    const record = await readHolder(path.join(dir, LOCK_FILE));
    if (record && (holderId !== undefined ? record.claim === holderId : running(record.pid))) return record;
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function running(pid: number): boolean {
  if (pid === process.pid) return true;
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is just not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
