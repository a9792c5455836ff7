import { promises as fs } from 'node:fs';

/**
 * Moves a file we cannot use out of the way without ever overwriting an earlier copy, so the
 * person can still recover what was in it. Returns where it went.
 */
export async function setAside(file: string, suffix: string): Promise<string> {
  for (let n = 1; ; n++) {
    const target = n === 1 ? `${file}.${suffix}` : `${file}.${suffix}-${n}`;
    try {
      // link + unlink instead of rename: rename would silently replace an existing target.
      await fs.link(file, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      // Some file systems have no hard links; a rename to a name we just saw free is the fallback.
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV' || code === 'ENOSYS') {
        if (await exists(target)) continue;
        await fs.rename(file, target);
        return target;
      }
      throw err;
    }
    await fs.unlink(file);
    return target;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
