import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SetupReport } from '@shared/contract';
import { REQUIRED_SCOPES } from '@shared/lark-console';
import { APP, RuntimeHarness } from '../../support/runtime-harness';
import { HeadlessProcess } from '../../support/headless-process';

let h: RuntimeHarness | undefined;
const procs: HeadlessProcess[] = [];
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null) p.kill('SIGKILL');
  await h?.dispose();
  h = undefined;
});

const WITHOUT_P2P = [...REQUIRED_SCOPES.filter((s) => s !== 'im:message.p2p_msg:readonly'), 'application:application:self_manage'];

async function started() {
  h = await RuntimeHarness.create();
  const reports: SetupReport[] = [];
  await h.start(h.config([h.bot({ agentId: 'echo' })]));
  h.manager.onSetup((r) => reports.push(r));
  return reports;
}

const item = (r: SetupReport | undefined, id: string) => r?.items.find((i) => i.id === id);

describe('the setup check of a running bot', () => {
  it('runs when the bot connects: its own connection is not another program, a second one is', async () => {
    const reports = await started();
    await h!.lark.waitForConnections(APP.appId);
    await expect.poll(() => reports.at(-1)?.problems, { timeout: 5_000 }).toBe(0);
    expect(h!.manager.status('team-bot').setupProblems).toBeUndefined();

    h!.lark.setOtherConnections(APP.appId, 1);
    const report = await h!.manager.setup('team-bot')!.check(true);
    expect(item(report, 'connections')).toMatchObject({
      state: 'problem',
      blocking: true,
      message: expect.stringMatching(/^Another program is connected/),
    });
    expect(h!.manager.status('team-bot').setupProblems).toBe(1);
    expect(h!.events('setup.problem')).toEqual([expect.objectContaining({ level: 'warn', item: 'connections', blocking: true })]);
    // A look within 30 s gets the same report, and the same problem is not logged again.
    expect(await h!.manager.setup('team-bot')!.check()).toBe(report);
    await h!.manager.setup('team-bot')!.check(true);
    expect(h!.events('setup.problem')).toHaveLength(1);
  });

  it('names missing scopes, events and version problems; fixed on the platform, the next check is clean', async () => {
    const reports = await started();
    await h!.lark.waitForConnections(APP.appId);
    h!.lark.setGrantedScopes(APP.appId, WITHOUT_P2P);
    h!.lark.setAppInfo(APP.appId, { eventMode: 'webhook', onlineVersionId: null });
    const bad = await h!.manager.setup('team-bot')!.check(true);
    expect(bad.items.filter((i) => i.state === 'problem').map((i) => i.id)).toEqual(['scopes', 'events', 'version']);
    expect(item(bad, 'scopes')!.link).toContain('auth?q=im:message.p2p_msg:readonly&');
    expect(h!.events('setup.problem').map((e) => e.item)).toEqual(['scopes', 'events', 'version']);

    h!.lark.setGrantedScopes(APP.appId, undefined);
    h!.lark.setAppInfo(APP.appId, { eventMode: 'websocket', onlineVersionId: 'oav_1' });
    const good = await h!.manager.setup('team-bot')!.check(true);
    expect(good.problems).toBe(0);
    expect(reports.at(-1)).toBe(good);
    // applications/me also answers the app's secret: it is dropped on arrival, in no report and no log line.
    expect(JSON.stringify(reports) + JSON.stringify(h!.logger.records)).not.toContain(APP.appSecret);
  });

  it('without the self-manage scope, a message that arrives shows events work', async () => {
    await started();
    await h!.lark.waitForConnections(APP.appId);
    h!.lark.setGrantedScopes(APP.appId, [...REQUIRED_SCOPES]);
    const before = await h!.manager.setup('team-bot')!.check(true);
    expect(item(before, 'events')).toMatchObject({
      state: 'unknown',
      link: expect.stringContaining('application:application:self_manage'),
    });
    const { push } = h!.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'hello' });
    await h!.lark.waitForAck(push.pushId);
    await expect.poll(() => item(h!.manager.setup('team-bot')!.report, 'events')?.state, { timeout: 5_000 }).toBe('ok');
  });
});

describe('npm run headless -- --check', () => {
  it('prints each problem with its link and exits 1 when something blocks the bot; 0 once all is well', async () => {
    h = await RuntimeHarness.create();
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-check-'));
    const file = path.join(dir, 'config.json');
    await fs.writeFile(
      file,
      JSON.stringify({
        agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }],
        bots: [
          { id: 'team-bot', platform: 'feishu', appId: APP.appId, appSecret: 'env:TEST_APP_SECRET', agentId: 'echo', domain: h.lark.url },
        ],
      }),
    );
    const run = async () => {
      const p = HeadlessProcess.start(['--check', '--config', file, '--data-dir', path.join(dir, 'data')], {
        TEST_APP_SECRET: APP.appSecret,
      });
      procs.push(p);
      return { ...(await p.exited), stdout: p.stdout, stderr: p.stderr };
    };
    h.lark.setGrantedScopes(APP.appId, WITHOUT_P2P);
    h.lark.setOtherConnections(APP.appId, 1);
    const bad = await run();
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`Setup of bot team-bot (${APP.appId}):`);
    expect(bad.stdout).toContain('✓ Credentials: The App ID and App Secret are accepted.');
    expect(bad.stdout).toMatch(
      /✗ Permissions: 1 of the 10 permissions is missing: im:message\.p2p_msg:readonly \(the bot will not receive direct messages\)/,
    );
    expect(bad.stdout).toContain(
      `https://open.feishu.cn/app/${APP.appId}/auth?q=im:message.p2p_msg:readonly&op_from=openapi&token_type=tenant`,
    );
    expect(bad.stdout).toMatch(
      /✗ Other programs: Another program is connected to this app; Feishu will split the messages .* \[blocks the bot\]/,
    );
    expect(bad.stderr).toContain('"event":"setup.problem"');
    expect(bad.stdout).not.toContain(APP.appSecret);
    // --check does not connect: the fake saw no long connection from it.
    expect(h.lark.connections(APP.appId)).toEqual([]);

    h.lark.setGrantedScopes(APP.appId, undefined);
    h.lark.setOtherConnections(APP.appId, 0);
    const good = await run();
    expect(good.stdout).toContain('Nothing to fix.');
    expect(good.code).toBe(0);
    await fs.rm(dir, { recursive: true, force: true });
  }, 60_000);
});
