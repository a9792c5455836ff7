/**
 * Several processes running one app on a shared Redis (`--state`): each is one of the app's
 * replicas, and each bot's status, its metrics and its setup check say so. Two BotManagers over
 * two state backends stand for two processes; the fake platform and the Redis are real servers.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { BotManager } from '@core/runtime/lifecycle/bot-manager';
import { REPLICA_POLL_MS } from '@core/runtime/lifecycle/replica-watch';
import { openRedisState } from '@core/runtime/stores/redis/redis-state-backend';
import type { StateBackend } from '@core/runtime/stores/state-backend';
import { FakeLarkPlatform } from '../../fakes/lark';
import { MemoryLogger } from '../../support/memory-logger';
import { type PrivateRedis, startPrivateRedis } from '../../support/redis-server';
import { APP } from '../../support/runtime-harness';

let lark: FakeLarkPlatform;
let redis: PrivateRedis;
let dir: string;
const running: Array<{ manager: BotManager; state: StateBackend }> = [];

beforeAll(async () => {
  lark = await FakeLarkPlatform.start({ apps: [APP] });
  redis = await startPrivateRedis();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-replicas-'));
});
afterEach(async () => {
  for (const p of running.splice(0)) await stop(p);
});
afterAll(async () => {
  await lark.close();
  await redis.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

/** One "process": its own data folder and state backend, the bot on the shared Redis. */
async function startProcess(name: string): Promise<{ manager: BotManager; state: StateBackend }> {
  const state = await openRedisState(redis.url, new MemoryLogger());
  const manager = new BotManager({ dataDir: path.join(dir, name), logger: new MemoryLogger(), state });
  await manager.startAll({
    agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }],
    bots: [{ id: 'team-bot', platform: 'feishu', appId: APP.appId, appSecret: APP.appSecret, agentId: 'echo', domain: lark.url }],
  });
  const p = { manager, state };
  running.push(p);
  return p;
}

async function stop(p: { manager: BotManager; state: StateBackend }): Promise<void> {
  await p.manager.stopAll(500);
  await p.state.close();
}

const WAIT = { timeout: REPLICA_POLL_MS + 3_000, interval: 100 };

it('a second process runs as a replica: both connected, each status lists both (itself marked), /metrics and the setup check count them', async () => {
  const first = await startProcess('first');
  await expect.poll(() => first.manager.status('team-bot').state, WAIT).toBe('connected');
  await expect.poll(() => first.manager.status('team-bot').replicas?.length, WAIT).toBe(1);
  const second = await startProcess('second');
  await expect.poll(() => lark.connections(APP.appId).length, WAIT).toBe(2);

  for (const [me, other] of [
    [first, second],
    [second, first],
  ] as const) {
    await expect.poll(() => me.manager.status('team-bot').replicas?.length, WAIT).toBe(2);
    const replicas = me.manager.status('team-bot').replicas!;
    expect(replicas.find((r) => r.self)).toMatchObject({ id: me.state.replica!.id, host: os.hostname(), pid: process.pid });
    expect(replicas.find((r) => !r.self)).toMatchObject({ id: other.state.replica!.id });
    expect(replicas.every((r) => Number.isFinite(r.since) && r.since > 0)).toBe(true);
    expect(await me.manager.metrics.text()).toContain('kocoro_replicas{bot="team-bot"} 2');
  }

  // Two connections, two replicas: no "another program"; a third connection is a stranger's.
  const ours = await first.manager.setup('team-bot')!.check(true);
  expect(ours.items.find((i) => i.id === 'connections')).toMatchObject({ state: 'ok', message: expect.stringMatching(/2 replicas/) });
  lark.setOtherConnections(APP.appId, 1);
  const stranger = await first.manager.setup('team-bot')!.check(true);
  expect(stranger.items.find((i) => i.id === 'connections')).toMatchObject({
    state: 'problem',
    message: expect.stringMatching(/^Another program is connected to this app, besides Kocoro's 2 replicas/),
  });
  lark.setOtherConnections(APP.appId, 0);

  // The second stops: it leaves the registry at once, the first's status says so at its next read.
  running.splice(running.indexOf(second), 1);
  await stop(second);
  expect(second.manager.status('team-bot').replicas).toBeUndefined();
  await expect.poll(() => first.manager.status('team-bot').replicas?.map((r) => r.id), WAIT).toEqual([first.state.replica!.id]);
  await expect.poll(async () => first.manager.metrics.text(), WAIT).toContain('kocoro_replicas{bot="team-bot"} 1');
});
