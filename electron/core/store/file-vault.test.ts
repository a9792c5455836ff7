import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { FileVault } from './file-vault';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-vault-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const posix = process.platform !== 'win32';

describe('FileVault', () => {
  it('keeps secrets across reopen, in a 0600 file inside a 0700 directory it creates', async () => {
    const file = path.join(dir, 'private', 'secrets.json');
    const vault = await FileVault.open(file);
    await vault.set('bot:a:appSecret', 'secret-one');
    await vault.set('agent:b:apiKey', 'sk-two');
    await vault.delete('agent:b:apiKey');

    const again = await FileVault.open(file);
    expect(await again.get('bot:a:appSecret')).toBe('secret-one');
    expect(await again.get('agent:b:apiKey')).toBeUndefined();
    if (posix) {
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
      expect((await fs.stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    }
  });

  it('says where the secrets are and who can read them', async () => {
    const file = path.join(dir, 'secrets.json');
    const vault = await FileVault.open(file);
    expect(vault.protection).toEqual({ kind: 'file', detail: `Saved in ${file}, readable only by your user account` });
  });

  it('ends with the latest value when writes overlap', async () => {
    const file = path.join(dir, 'secrets.json');
    const vault = await FileVault.open(file);
    await Promise.all(Array.from({ length: 20 }, (_, i) => vault.set('k', `value-${i}`)));
    expect(await (await FileVault.open(file)).get('k')).toBe('value-19');
  });

  it('closes up a vault file that others could read', async () => {
    if (!posix) return;
    const file = path.join(dir, 'secrets.json');
    await fs.writeFile(file, JSON.stringify({ version: 1, secrets: { k: 'v' } }), { mode: 0o644 });
    await FileVault.open(file);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('sets a corrupt file aside, logs it and starts empty instead of crashing', async () => {
    const file = path.join(dir, 'secrets.json');
    await fs.writeFile(file, '{ not json');
    const logger = new MemoryLogger();
    const vault = await FileVault.open(file, { logger });
    expect(await vault.get('anything')).toBeUndefined();
    expect(await fs.readFile(`${file}.corrupt`, 'utf8')).toBe('{ not json');
    expect(logger.records).toEqual([
      expect.objectContaining({
        level: 'error',
        event: 'vault.corrupt',
        movedTo: `${file}.corrupt`,
        error: expect.stringMatching(/not valid JSON/),
      }),
    ]);

    // A second bad file does not overwrite the first one set aside.
    await fs.writeFile(file, JSON.stringify({ version: 1, secrets: { k: 42 } }));
    await FileVault.open(file, { logger });
    expect(await fs.readFile(`${file}.corrupt`, 'utf8')).toBe('{ not json');
    expect(await fs.readFile(`${file}.corrupt-2`, 'utf8')).toBe('{"version":1,"secrets":{"k":42}}');
    expect(logger.records[1]).toMatchObject({ error: expect.stringMatching(/^secrets\.k: must be a string/) });
  });
});
