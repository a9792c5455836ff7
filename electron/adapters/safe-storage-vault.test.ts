import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { describeProtection, SafeStorageVault, type SafeStorageLike } from './safe-storage-vault';

/** A reversible stand-in for safeStorage: "enc1:" + reversed text; "enc0:" means an old key. */
class FakeSafeStorage implements SafeStorageLike {
  backend: ReturnType<SafeStorageLike['getSelectedStorageBackend']> = 'gnome_libsecret';
  encrypts = 0;
  encryptStringAsync(plain: string): Promise<Buffer> {
    this.encrypts++;
    return Promise.resolve(Buffer.from(`enc1:${[...plain].reverse().join('')}`));
  }
  decryptStringAsync(encrypted: Buffer): Promise<{ shouldReEncrypt: boolean; result: string }> {
    const text = encrypted.toString();
    const m = /^enc([01]):(.*)$/s.exec(text);
    if (!m) return Promise.reject(new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.'));
    return Promise.resolve({ shouldReEncrypt: m[1] === '0', result: [...m[2]!].reverse().join('') });
  }
  getSelectedStorageBackend() {
    return this.backend;
  }
}

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-safe-vault-'));
  file = path.join(dir, 'userData', 'secrets.json');
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

describe('SafeStorageVault', () => {
  it('stores only base64 ciphertexts, in a 0600 file, and reads them back after a restart', async () => {
    const storage = new FakeSafeStorage();
    const vault = await SafeStorageVault.open(file, storage, { platform: 'linux' });
    await vault.set('bot:b:appSecret', 'plain-app-secret');
    const text = await fs.readFile(file, 'utf8');
    expect(text).not.toContain('plain-app-secret');
    expect(JSON.parse(text)).toEqual({
      version: 1,
      secrets: { 'bot:b:appSecret': Buffer.from('enc1:terces-ppa-nialp').toString('base64') },
    });
    if (process.platform !== 'win32') expect((await fs.stat(file)).mode & 0o777).toBe(0o600);

    const again = await SafeStorageVault.open(file, storage, { platform: 'linux' });
    expect(await again.get('bot:b:appSecret')).toBe('plain-app-secret');
    expect(await again.get('bot:other')).toBeUndefined();
    await again.delete('bot:b:appSecret');
    expect(await (await SafeStorageVault.open(file, storage, { platform: 'linux' })).get('bot:b:appSecret')).toBeUndefined();
  });

  it('re-encrypts and saves a value when safeStorage says shouldReEncrypt', async () => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, JSON.stringify({ version: 1, secrets: { k: Buffer.from('enc0:dlo').toString('base64') } }));
    const storage = new FakeSafeStorage();
    const logger = new MemoryLogger();
    const vault = await SafeStorageVault.open(file, storage, { platform: 'darwin', logger });
    expect(await vault.get('k')).toBe('old');
    expect(storage.encrypts).toBe(1);
    const saved = JSON.parse(await fs.readFile(file, 'utf8')) as { secrets: Record<string, string> };
    expect(Buffer.from(saved.secrets.k!, 'base64').toString()).toBe('enc1:dlo');
    expect(logger.records.map((r) => r.event)).toContain('vault.reencrypted');
  });

  it('treats a value that no longer decrypts as missing, logs it and does not crash', async () => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(
      file,
      JSON.stringify({ version: 1, secrets: { k: Buffer.from('garbage from another machine').toString('base64') } }),
    );
    const logger = new MemoryLogger();
    const vault = await SafeStorageVault.open(file, new FakeSafeStorage(), { platform: 'win32', logger });
    expect(await vault.get('k')).toBeUndefined();
    expect(logger.records).toEqual([expect.objectContaining({ level: 'warn', event: 'vault.undecryptable', key: 'k' })]);
    await vault.set('k', 'new');
    expect(await vault.get('k')).toBe('new');
  });

  it('sets an unreadable file aside instead of failing to start', async () => {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, '{not json');
    const logger = new MemoryLogger();
    const vault = await SafeStorageVault.open(file, new FakeSafeStorage(), { platform: 'linux', logger });
    expect(await vault.get('k')).toBeUndefined();
    expect(await fs.readFile(`${file}.corrupt`, 'utf8')).toBe('{not json');
    expect(logger.records.map((r) => r.event)).toContain('vault.corrupt');
  });

  it('says plainly when Linux has no keyring (basic_text) and secrets are only obfuscated', async () => {
    const storage = new FakeSafeStorage();
    storage.backend = 'basic_text';
    const logger = new MemoryLogger();
    const vault = await SafeStorageVault.open(file, storage, { platform: 'linux', logger });
    expect(vault.protection.kind).toBe('weak-keyring');
    expect(vault.protection.detail).toMatch(/only obfuscated/);
    expect(vault.protection.detail).toMatch(/gnome-keyring/);
    expect(vault.protection.detail).toMatch(/KWallet/);
    expect(logger.records.map((r) => r.event)).toContain('vault.weak_keyring');

    expect(describeProtection('linux', 'unknown').kind).toBe('weak-keyring');
    expect(describeProtection('linux', 'kwallet5').kind).toBe('keychain');
    expect(describeProtection('darwin', undefined)).toMatchObject({ kind: 'keychain', detail: expect.stringMatching(/Keychain/) });
    expect(describeProtection('win32', undefined)).toMatchObject({ kind: 'keychain', detail: expect.stringMatching(/DPAPI/) });
  });
});
