import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { formatZodError } from '@shared/config-schema';
import type { Logger } from '../log/logger';
import { writeFileAtomic } from './atomic-file';
import { setAside } from './set-aside';
import { ensurePrivateDir } from './private-files';
import { errorMessage } from '../log/error-message';

const fileSchema = z.object({
  version: z.literal(1),
  secrets: z.record(z.string(), z.string({ error: 'must be a string' })),
});

/**
 * A string map kept in one JSON file only this user can read (0600; the directory 0700 when we
 * create it), written atomically, one write after another so the file always ends as the latest
 * state. The vaults keep their values in it (plaintext headless, ciphertexts on the desktop).
 */
export class SecretMapFile {
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly values: Map<string, string>,
  ) {}

  /** A file that cannot be read is set aside (`.corrupt`) and logged: the app starts, and the person re-enters the secrets. */
  static async open(file: string, logger: Logger): Promise<SecretMapFile> {
    const absolute = path.resolve(file);
    // Only a directory we create gets 0700: tightening an existing one (say /tmp) could break other software.
    await ensurePrivateDir(path.dirname(absolute));
    return new SecretMapFile(absolute, await read(absolute, logger));
  }

  get(key: string): string | undefined {
    return this.values.get(key);
  }

  async set(key: string, value: string): Promise<void> {
    this.values.set(key, value);
    await this.persist();
  }

  async delete(key: string): Promise<void> {
    if (!this.values.delete(key)) return;
    await this.persist();
  }

  private persist(): Promise<void> {
    const content = JSON.stringify({ version: 1, secrets: Object.fromEntries(this.values) }, null, 2);
    const write = this.writes.catch(() => undefined).then(() => writeFileAtomic(this.file, content, 0o600));
    this.writes = write;
    return write;
  }
}

async function read(file: string, logger: Logger): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  // An older or hand-copied file may be group-readable; it is ours, so close it.
  if (process.platform !== 'win32') await fs.chmod(file, 0o600).catch(() => undefined);
  let problem: string;
  try {
    const parsed = fileSchema.safeParse(JSON.parse(text));
    if (parsed.success) return new Map(Object.entries(parsed.data.secrets));
    problem = formatZodError(parsed.error);
  } catch (err) {
    problem = `not valid JSON (${errorMessage(err)})`;
  }
  const aside = await setAside(file, 'corrupt');
  logger.log('error', 'vault.corrupt', {
    file,
    movedTo: aside,
    error: problem,
    hint: 'saved secrets could not be read; enter the App Secrets and API keys again',
  });
  return new Map();
}
