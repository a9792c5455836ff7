import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { APP, ServiceHarness } from '../../support/service-harness';

/** The UI side of webhook mode (README "Webhook mode"): the receive mode, its secrets and the public URL. */

let h: ServiceHarness;
afterEach(async () => {
  await h?.dispose();
});

const ENCRYPT_KEY = 'encrypt-key-0123456789';
const TOKEN = 'verification-token-9876543210';

describe('a webhook bot', () => {
  it('needs the Encrypt Key and the Verification Token, keeps the token in the vault and never returns it', async () => {
    h = await ServiceHarness.create();
    const agent = await h.createModelAgent();
    expect(await h.failure('bots.create', { ...base(agent.id), receive: 'webhook', verificationToken: TOKEN })).toMatchObject({
      code: 'invalid_input',
      field: 'encryptKey',
    });
    expect(await h.failure('bots.create', { ...base(agent.id), receive: 'webhook', encryptKey: ENCRYPT_KEY })).toMatchObject({
      code: 'invalid_input',
      field: 'verificationToken',
    });

    const view = await h.createBot(agent.id, { receive: 'webhook', encryptKey: ENCRYPT_KEY, verificationToken: TOKEN });
    expect(view).toMatchObject({ receive: 'webhook', hasEncryptKey: true, hasVerificationToken: true });
    expect(await h.vault.get(`bot:${view.id}:verificationToken`)).toBe(TOKEN);
    const listed = await h.call('bots.list', {});
    expect(listed[0]).toMatchObject({ id: view.id, receive: 'webhook', hasVerificationToken: true });
    // Saved in the app store as a setting, the token only in the vault.
    const stored = await fs.readFile(path.join(h.dataDir, 'kocoro.json'), 'utf8');
    expect(stored).toContain('"receive": "webhook"');
    expect(stored).not.toContain(TOKEN);
    expect(stored).not.toContain(ENCRYPT_KEY);

    // A webhook bot cannot lose either secret.
    expect(await h.failure('bots.update', { id: view.id, encryptKey: '' })).toMatchObject({ field: 'encryptKey' });
    expect(await h.failure('bots.update', { id: view.id, verificationToken: '' })).toMatchObject({ field: 'verificationToken' });

    // Back to the long connection: the default is not written down, and the token may go.
    const back = await h.call('bots.update', { id: view.id, receive: 'long-connection', verificationToken: '' });
    expect(back).toMatchObject({ receive: 'long-connection', hasVerificationToken: false, hasEncryptKey: true });
    expect(await fs.readFile(path.join(h.dataDir, 'kocoro.json'), 'utf8')).not.toContain('"receive"');
    expect(await h.vault.get(`bot:${view.id}:verificationToken`)).toBeUndefined();
    // Back to webhook needs the token again.
    expect(await h.failure('bots.update', { id: view.id, receive: 'webhook' })).toMatchObject({ field: 'verificationToken' });
    expect(await h.call('bots.update', { id: view.id, receive: 'webhook', verificationToken: TOKEN })).toMatchObject({
      receive: 'webhook',
      hasVerificationToken: true,
    });

    await h.call('bots.remove', { id: view.id });
    expect(await h.vault.get(`bot:${view.id}:verificationToken`)).toBeUndefined();

    // Nothing the core returned or pushed carries a secret.
    const everything = JSON.stringify([h.results, h.seen]);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(ENCRYPT_KEY);
  });

  it('is refused in the desktop app, which has no URL the platform can reach', async () => {
    h = await ServiceHarness.create({ host: {} });
    const agent = await h.createModelAgent();
    expect(
      await h.failure('bots.create', { ...base(agent.id), receive: 'webhook', encryptKey: ENCRYPT_KEY, verificationToken: TOKEN }),
    ).toMatchObject({ code: 'invalid_input', field: 'receive' });
  });
});

describe('the public URL of this server', () => {
  it('is validated, kept without a trailing slash across restarts, told to every window and cleared with ""', async () => {
    h = await ServiceHarness.create();
    for (const publicUrl of ['bots.example.com', 'ftp://bots.example.com', 'https://bots.example.com/?a=1', 'https://x/#f', 'https://']) {
      expect(await h.failure('settings.update', { publicUrl })).toMatchObject({ code: 'invalid_input', field: 'publicUrl' });
    }
    expect(await h.call('settings.update', { publicUrl: ' https://bots.example.com/kocoro/ ' })).toEqual({
      language: 'system',
      publicUrl: 'https://bots.example.com/kocoro',
    });
    expect(h.events('settings.changed')).toEqual([{ language: 'system', publicUrl: 'https://bots.example.com/kocoro' }]);
    expect(h.service.requestUrl('feishu-a1b2c3d4')).toBe('https://bots.example.com/kocoro/webhook/feishu-a1b2c3d4');

    await h.service.stop(100);
    await h.open();
    expect(await h.call('settings.get', {})).toEqual({ language: 'system', publicUrl: 'https://bots.example.com/kocoro' });
    expect(await h.call('settings.update', { publicUrl: '' })).toEqual({ language: 'system' });
    expect(h.service.requestUrl('feishu-a1b2c3d4')).toBeUndefined();
  });
});

/** A bots.create input for the harness's first app. */
function base(agentId: string) {
  return { platform: 'feishu' as const, appId: APP.appId, appSecret: APP.appSecret, domain: h.lark.url, agentId };
}
