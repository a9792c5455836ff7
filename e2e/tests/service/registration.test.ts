import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RegistrationEvent } from '@shared/contract';
import { ServiceHarness } from '../../support/service-harness';

let h: ServiceHarness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

const NEW_APP = { appId: 'cli_00000000000000ab', appSecret: 'secret-from-the-scan-0001', openId: 'ou_scanner0000000000000001' };

function events(id: string): RegistrationEvent[] {
  return h!.seen
    .filter((e) => e.event === 'registration')
    .map((e) => e.payload as RegistrationEvent)
    .filter((e) => e.registrationId === id);
}

async function until(id: string, status: RegistrationEvent['status']): Promise<RegistrationEvent> {
  await expect.poll(() => events(id).find((e) => e.status === status), { timeout: 10_000 }).toBeDefined();
  return events(id).find((e) => e.status === status)!;
}

describe('creating the app by scanning a QR code', () => {
  it('shows the QR code, and on approval after a few polls hands the App ID and the scanner to the dialog; the secret stays in the core', async () => {
    h = await ServiceHarness.create({ accountsTls: true });
    h.lark.registration.script({ pendingPolls: 2, outcome: 'approve', ...NEW_APP });
    const { registrationId } = await h.call('registration.start', { platform: 'feishu' });
    const qr = await until(registrationId, 'qr');
    expect(qr.qr!.svg).toMatch(/^<svg[^>]*>.*<\/svg>\s*$/s);
    expect(qr.qr!.url).toContain(`user_code=${h.lark.registration.last()!.userCode}`);
    expect(qr.qr!.expiresAt).toBeGreaterThan(Date.now());
    const done = await until(registrationId, 'done');
    expect(done).toMatchObject({ appId: NEW_APP.appId, platform: 'feishu', ownerOpenId: NEW_APP.openId });
    expect(events(registrationId).filter((e) => e.status === 'polling').length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(h.seen)).not.toContain(NEW_APP.appSecret);

    // Checked and registered like typed credentials, with the registration in place of the secret,
    // on the Open Platform of the registration (here the fake's, set where the accounts hosts are).
    expect(await h.call('bots.checkCredentials', { platform: 'feishu', appId: NEW_APP.appId, registrationId })).toEqual({ ok: true });
    const agent = await h.createModelAgent();
    const bot = await h.call('bots.create', { platform: 'feishu', appId: NEW_APP.appId, registrationId, agentId: agent.id });
    expect(bot.hasAppSecret).toBe(true);
    await h.waitForEvent('bot.status', (s) => s.botId === bot.id && s.state === 'connected');
    expect(await h.failure('bots.checkCredentials', { platform: 'feishu', appId: NEW_APP.appId, registrationId: 'nope' })).toMatchObject({
      code: 'invalid_input',
      field: 'appSecret',
    });
    // Dropped once the bot is created: the id no longer stands for the secret.
    expect(await h.failure('bots.checkCredentials', { platform: 'feishu', appId: NEW_APP.appId, registrationId })).toMatchObject({
      code: 'invalid_input',
      field: 'appSecret',
    });
  });

  it("a scan's secret goes only to its registration's Open Platform: a URL or another platform beside it is refused, and closing the dialog drops it", async () => {
    h = await ServiceHarness.create({ accountsTls: true });
    h.lark.registration.script({ pendingPolls: 0, outcome: 'approve', ...NEW_APP });
    const { registrationId } = await h.call('registration.start', { platform: 'feishu' });
    await until(registrationId, 'done');
    const tokenRequests = () => h!.lark.requests().filter((r) => r.path.includes('tenant_access_token')).length;
    const before = tokenRequests();
    // An attacker's collector: the secret must never be sent there.
    const collector = net.createServer((socket) => socket.destroy());
    let reached = 0;
    collector.on('connection', () => reached++);
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(collector.address() as net.AddressInfo).port}`;
    try {
      expect(
        await h.failure('bots.checkCredentials', { platform: 'feishu', appId: NEW_APP.appId, registrationId, domain: url }),
      ).toMatchObject({
        code: 'invalid_input',
        field: 'domain',
      });
      const agent = await h.createModelAgent();
      expect(
        await h.failure('bots.create', { platform: 'feishu', appId: NEW_APP.appId, registrationId, agentId: agent.id, domain: url }),
      ).toMatchObject({ code: 'invalid_input', field: 'domain' });
      expect(await h.failure('bots.checkCredentials', { platform: 'lark', appId: NEW_APP.appId, registrationId })).toMatchObject({
        code: 'invalid_input',
        field: 'appSecret',
      });
      expect(reached).toBe(0);
      expect(tokenRequests()).toBe(before);
      // The dialog closes: the registration is cancelled, and its secret forgotten.
      expect(await h.call('registration.cancel', { registrationId })).toEqual({ cancelled: true });
      expect(await h.failure('bots.checkCredentials', { platform: 'feishu', appId: NEW_APP.appId, registrationId })).toMatchObject({
        field: 'appSecret',
      });
    } finally {
      await new Promise((resolve) => collector.close(resolve));
    }
  });

  it('says when the code expired, when the scan was declined, and when the accounts service cannot be reached', async () => {
    h = await ServiceHarness.create({ accountsTls: true });
    h.lark.registration.script({ pendingPolls: 1, outcome: 'expire' });
    const expired = (await h.call('registration.start', { platform: 'feishu' })).registrationId;
    expect(await until(expired, 'failed')).toMatchObject({ reason: 'expired', message: expect.stringMatching(/expired/) });

    h.lark.registration.script({ outcome: 'deny' });
    const denied = (await h.call('registration.start', { platform: 'feishu' })).registrationId;
    expect(await until(denied, 'failed')).toMatchObject({ reason: 'denied', message: expect.stringMatching(/declined/) });
  });

  it('a Lark tenant: switched once to the Lark host, and the QR link the Lark client opens (open.larksuite.com/page/cli)', async () => {
    h = await ServiceHarness.create({ accountsTls: true });
    h.lark.registration.script({ pendingPolls: 1, outcome: 'approve', tenantBrand: 'lark', ...NEW_APP });
    const { registrationId } = await h.call('registration.start', { platform: 'lark' });
    const qr = await until(registrationId, 'qr');
    expect(qr.qr!.url).toMatch(/^https:\/\/open\.larksuite\.com\/page\/cli\?user_code=/);
    expect(await until(registrationId, 'done')).toMatchObject({ appId: NEW_APP.appId, platform: 'lark' });
    expect(events(registrationId).some((e) => e.status === 'switched')).toBe(true);
  });

  it('cannot reach the accounts service: its own message', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    h = await ServiceHarness.create({ accountsHosts: { feishu: `127.0.0.1:${port}`, lark: `127.0.0.1:${port}` } });
    const { registrationId } = await h.call('registration.start', { platform: 'feishu' });
    expect(await until(registrationId, 'failed')).toMatchObject({
      reason: 'unreachable',
      message: expect.stringMatching(/could not be reached/),
    });
  });
});
