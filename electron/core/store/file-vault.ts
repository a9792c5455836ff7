import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { formatZodError } from '../../../shared/config-schema';
import type { SecretProtection } from '../../../shared/contract';
import { type Logger, silentLogger } from '../log/logger';
import { writeFileAtomic } from './atomic-file';
import type { SecretVault } from './secret-vault';
import { setAside } from './set-aside';

const vaultFileSchema = z.record(z.string(), z.string({ error: 'must be a string' }));

/**
 * The headless vault: a JSON map in a file only this user can read (0600, directory 0700). No
 * encryption: any key we could use would sit next to the file, so we say plainly what protects it.
 */
export class FileVault implements SecretVault {
  readonly protection: SecretProtection;
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly values: Map<string, string>,
  ) {
    this.protection = { kind: 'file', detail: `Saved in ${file}, readable only by your user account` };
  }

  /** A file that cannot be read as a vault is set aside (`.corrupt`) and logged: the app starts, and the person re-enters the secrets. */
  static async open(file: string, opts: { logger?: Logger } = {}): Promise<FileVault> {
    const logger = opts.logger ?? silentLogger;
    const absolute = path.resolve(file);
    // Only a directory we create gets 0700: tightening an existing one (say /tmp) could break other software.
    await fs.mkdir(path.dirname(absolute), { recursive: true, mode: 0o700 });
    return new FileVault(absolute, await readVault(absolute, logger));
  }

  async get(key: string): Promise<string | undefined> {
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

  /** Writes one after another, each the whole current map, so the file always ends as the latest state. */
  private persist(): Promise<void> {
    const write = this.writes.catch(() => undefined).then(() => writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(this.values), null, 2), 0o600));
    this.writes = write;
    return write;
  }
}

async function readVault(file: string, logger: Logger): Promise<Map<string, string>> {
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
    const parsed = vaultFileSchema.safeParse(JSON.parse(text));
    if (parsed.success) return new Map(Object.entries(parsed.data));
    problem = formatZodError(parsed.error);
  } catch (err) {
    problem = `not valid JSON (${err instanceof Error ? err.message : String(err)})`;
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
