import type { SecretProtection } from '@shared/contract';
import { type Logger, silentLogger } from '../log/logger';
import { SecretMapFile } from './secret-map-file';
import type { SecretVault } from './secret-vault';

/**
 * The headless vault: a JSON map in a file only this user can read (0600, directory 0700). No
 * encryption: any key we could use would sit next to the file, so we say plainly what protects it.
 */
export class FileVault implements SecretVault {
  readonly protection: SecretProtection;

  private constructor(private readonly store: SecretMapFile) {
    this.protection = { kind: 'file', detail: `Saved in ${store.file}, readable only by your user account` };
  }

  get file(): string {
    return this.store.file;
  }

  /** A file that cannot be read as a vault is set aside (`.corrupt`) and logged: the app starts, and the person re-enters the secrets. */
  static async open(file: string, opts: { logger?: Logger } = {}): Promise<FileVault> {
    return new FileVault(await SecretMapFile.open(file, opts.logger ?? silentLogger));
  }

  async get(key: string): Promise<string | undefined> {
    return this.store.get(key);
  }

  set(key: string, value: string): Promise<void> {
    return this.store.set(key, value);
  }

  delete(key: string): Promise<void> {
    return this.store.delete(key);
  }
}
