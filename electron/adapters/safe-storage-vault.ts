/**
 * The desktop vault: secrets encrypted with Electron's safeStorage (macOS Keychain, Windows DPAPI,
 * Linux libsecret/KWallet), the ciphertexts stored base64 in `<userData>/desktop-secrets.json`
 * (atomic writes, mode 0600).
 *
 * Not `secrets.json`: that is the headless FileVault's file, and the headless command defaults to
 * the same data dir. Each would take the other's format for a corrupt file and set it aside, and
 * neither can read the other's values anyway (safeStorage needs Electron), so they live apart.
 *
 * - Only the async API (the sync calls are deprecated in Electron 45).
 * - `shouldReEncrypt` (the OS rotated the key or a better one became available): the value is
 *   re-encrypted and saved at once.
 * - A value that no longer decrypts (another machine, a reset keyring) is a missing secret: it is
 *   logged and the UI asks for it again. Never a crash.
 * - Linux `basic_text` (no keyring found) is plaintext with a fixed key: `protection.kind` is
 *   'weak-keyring' and the detail says so and how to fix it.
 *
 * Takes the safeStorage API as a port, so it is tested under plain Node with a fake cipher.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { SafeStorage } from 'electron';
import type { SecretProtection } from '../../shared/contract';
import { type Logger, silentLogger } from '../core/log/logger';
import { writeFileAtomic } from '../core/store/atomic-file';
import type { SecretVault } from '../core/store/secret-vault';
import { setAside } from '../core/store/set-aside';

/** The file name inside `app.getPath('userData')`. */
export const DESKTOP_VAULT_FILE = 'desktop-secrets.json';

/** The part of Electron's `safeStorage` the vault uses. */
export type SafeStorageLike = Pick<SafeStorage, 'encryptStringAsync' | 'decryptStringAsync' | 'getSelectedStorageBackend'>;

interface VaultFile {
  version: 1;
  /** key → base64 ciphertext */
  secrets: Record<string, string>;
}

export const WEAK_KEYRING_DETAIL =
  'No keyring was found on this Linux desktop, so saved secrets are only obfuscated with a fixed key: ' +
  'anyone who can read your files can read them. Install and unlock a keyring (gnome-keyring, or KWallet on KDE), ' +
  'then restart Kocoro and enter the secrets again to protect them properly.';

export function describeProtection(platform: NodeJS.Platform, backend: string | undefined): SecretProtection {
  if (platform === 'linux' && (backend === 'basic_text' || backend === 'unknown' || backend === undefined)) {
    return { kind: 'weak-keyring', detail: WEAK_KEYRING_DETAIL };
  }
  const where =
    platform === 'darwin'
      ? 'with a key kept in your macOS Keychain'
      : platform === 'win32'
        ? 'with Windows Data Protection (DPAPI), tied to your Windows account'
        : `with a key kept in your desktop keyring (${backend === 'gnome_libsecret' ? 'Secret Service / gnome-keyring' : 'KWallet'})`;
  return { kind: 'keychain', detail: `Saved secrets are encrypted ${where}.` };
}

export class SafeStorageVault implements SecretVault {
  readonly protection: SecretProtection;
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly ciphertexts: Map<string, string>,
    private readonly storage: SafeStorageLike,
    private readonly logger: Logger,
    platform: NodeJS.Platform,
  ) {
    const backend = platform === 'linux' ? storage.getSelectedStorageBackend() : undefined;
    this.protection = describeProtection(platform, backend);
  }

  /** Call after `app` is ready (before it, Linux reports the backend as 'unknown'). */
  static async open(
    file: string,
    storage: SafeStorageLike,
    opts: { logger?: Logger; platform?: NodeJS.Platform } = {},
  ): Promise<SafeStorageVault> {
    const logger = opts.logger ?? silentLogger;
    const absolute = path.resolve(file);
    await fs.mkdir(path.dirname(absolute), { recursive: true, mode: 0o700 });
    const vault = new SafeStorageVault(absolute, await readVaultFile(absolute, logger), storage, logger, opts.platform ?? process.platform);
    if (vault.protection.kind === 'weak-keyring') logger.log('warn', 'vault.weak_keyring', { hint: WEAK_KEYRING_DETAIL });
    return vault;
  }

  async get(key: string): Promise<string | undefined> {
    const stored = this.ciphertexts.get(key);
    if (stored === undefined) return undefined;
    let decrypted: { shouldReEncrypt: boolean; result: string };
    try {
      decrypted = await this.storage.decryptStringAsync(Buffer.from(stored, 'base64'));
    } catch (err) {
      this.logger.log('warn', 'vault.undecryptable', {
        key,
        error: err instanceof Error ? err.message : String(err),
        hint: 'the saved value cannot be decrypted on this machine any more; enter it again',
      });
      return undefined;
    }
    if (decrypted.shouldReEncrypt && this.ciphertexts.get(key) === stored) {
      try {
        await this.set(key, decrypted.result);
        this.logger.log('info', 'vault.reencrypted', { key });
      } catch (err) {
        this.logger.log('warn', 'vault.reencrypt_failed', { key, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return decrypted.result;
  }

  async set(key: string, value: string): Promise<void> {
    const encrypted = await this.storage.encryptStringAsync(value);
    this.ciphertexts.set(key, encrypted.toString('base64'));
    await this.persist();
  }

  async delete(key: string): Promise<void> {
    if (!this.ciphertexts.delete(key)) return;
    await this.persist();
  }

  /** One write at a time, each the whole current map: the file always ends as the latest state. */
  private persist(): Promise<void> {
    const content: VaultFile = { version: 1, secrets: Object.fromEntries(this.ciphertexts) };
    const write = this.writes
      .catch(() => undefined)
      .then(() => writeFileAtomic(this.file, JSON.stringify(content, null, 2), 0o600));
    this.writes = write;
    return write;
  }
}

async function readVaultFile(file: string, logger: Logger): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  if (process.platform !== 'win32') await fs.chmod(file, 0o600).catch(() => undefined);
  try {
    const parsed = JSON.parse(text) as Partial<VaultFile> | null;
    const secrets = parsed?.secrets;
    if (parsed?.version === 1 && typeof secrets === 'object' && secrets !== null && !Array.isArray(secrets)) {
      const entries = Object.entries(secrets).filter((e): e is [string, string] => typeof e[1] === 'string');
      if (entries.length === Object.keys(secrets).length) return new Map(entries);
    }
  } catch {
    // falls through to set the file aside
  }
  const aside = await setAside(file, 'corrupt');
  logger.log('error', 'vault.corrupt', { file, movedTo: aside, hint: 'saved secrets could not be read; enter the App Secrets and API keys again' });
  return new Map();
}
