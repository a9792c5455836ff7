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
import type { SafeStorage } from 'electron';
import type { SecretProtection } from '@shared/contract';
import { type Logger, silentLogger } from '../core/log/logger';
import { SecretMapFile } from '../core/store/secret-map-file';
import type { SecretVault } from '../core/store/secret-vault';
import { errorMessage } from '../core/log/error-message';

/** The file name inside `app.getPath('userData')`. */
export const DESKTOP_VAULT_FILE = 'desktop-secrets.json';

/** The part of Electron's `safeStorage` the vault uses. */
export type SafeStorageLike = Pick<SafeStorage, 'encryptStringAsync' | 'decryptStringAsync' | 'getSelectedStorageBackend'>;

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

  private constructor(
    /** key → base64 ciphertext */
    private readonly ciphertexts: SecretMapFile,
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
    const vault = new SafeStorageVault(await SecretMapFile.open(file, logger), storage, logger, opts.platform ?? process.platform);
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
        error: errorMessage(err),
        hint: 'the saved value cannot be decrypted on this machine any more; enter it again',
      });
      return undefined;
    }
    if (decrypted.shouldReEncrypt && this.ciphertexts.get(key) === stored) {
      try {
        await this.set(key, decrypted.result);
        this.logger.log('info', 'vault.reencrypted', { key });
      } catch (err) {
        this.logger.log('warn', 'vault.reencrypt_failed', { key, error: errorMessage(err) });
      }
    }
    return decrypted.result;
  }

  async set(key: string, value: string): Promise<void> {
    const encrypted = await this.storage.encryptStringAsync(value);
    await this.ciphertexts.set(key, encrypted.toString('base64'));
  }

  get file(): string {
    return this.ciphertexts.file;
  }

  delete(key: string): Promise<void> {
    return this.ciphertexts.delete(key);
  }
}
