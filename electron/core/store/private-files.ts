import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * The data folder holds chats, files people sent and secrets: only the user may read it. `mkdir`'s
 * mode applies only to folders it creates, so a folder that already existed (made by an older
 * version, or by hand) is tightened too. Windows has no such modes (the profile folder is private).
 */
const POSIX = process.platform !== 'win32';

/** Creates `dir` (and parents) if needed; `dir` itself ends up 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  if (POSIX) await fs.chmod(dir, 0o700);
}

/**
 * Every folder under `root` 0700 and every file 0600 (symlinks are left alone): run once at start,
 * so what an older version wrote world-readable is private from then on.
 */
export async function tightenTree(root: string): Promise<void> {
  if (!POSIX) return;
  const walk = async (dir: string): Promise<void> => {
    await fs.chmod(dir, 0o700);
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) await fs.chmod(full, 0o600).catch(() => undefined);
    }
  };
  await walk(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}
