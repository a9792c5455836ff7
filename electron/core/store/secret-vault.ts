import type { SecretProtection } from '@shared/contract';

/**
 * Where saved secrets live (App Secrets, Encrypt Keys, agent API keys). The desktop app backs it
 * with Electron's safeStorage (electron/adapters/), headless with a file only the user can read.
 * Keys look like `bot:<id>:appSecret`, `bot:<id>:encryptKey`, `agent:<id>:apiKey`.
 */
export interface SecretVault {
  readonly protection: SecretProtection;
  /** Undefined when absent, and also when the stored value no longer decrypts (ask the user again). */
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}
