/** The replicas of an app on a shared state store (redis-replicas.ts), and the state backend that registers them, on a real Redis. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BotConfig } from '@shared/config-schema';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { redisForFile } from '@e2e/support/redis-fixture';
import { type StateBackend, StateUnavailable } from '../state-backend';
import { MAX_REPLICAS_PER_APP, readReplicas, ReplicaRegistry, type ReplicaRegistryOptions, replicasKey } from './redis-replicas';
import { openRedisState } from './redis-state-backend';

const redis = redisForFile();
let app: string;
let apps = 0;
let logger: MemoryLogger;
const registries: ReplicaRegistry[] = [];

beforeEach(() => {
  app = `cli_replicas_${++apps}_${Math.random().toString(36).slice(2, 8)}`;
  logger = new MemoryLogger();
});
afterEach(async () => {
  for (const r of registries.splice(0)) await r.close();
});

const SINCE = '2026-12-03T10:00:00.000Z';

function registry(id: string, opts: Partial<ReplicaRegistryOptions> = {}): ReplicaRegistry {
  const r = new ReplicaRegistry({
    client: redis.connections.client,
    appId: app,
    me: { id, host: `host-${id}`, pid: 100, since: SINCE },
    logger,
    ...opts,
  });
  registries.push(r);
  return r;
}

/** Redis's own clock, in ms. */
async function redisNow(): Promise<number> {
  const [s, us] = await redis.admin.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

/** An entry written behind the registry's back: another process, seen `agoMs` before Redis's now. */
async function writeEntry(id: string, agoMs: number): Promise<void> {
  const seenAt = (await redisNow()) - agoMs;
  await redis.admin.hset(replicasKey(app), id, JSON.stringify({ version: 1, id, host: 'elsewhere', pid: 7, since: SINCE, seenAt }));
}

describe('the replica registry', () => {
  it('registers under the app’s hash tag with Redis’s clock, and a clean close removes the entry', async () => {
    const before = await redisNow();
    const a = registry('a');
    await a.register();
    const after = await redisNow();
    expect(replicasKey(app)).toBe(`kocoro:{${app}}:replicas`);
    const raw = await redis.admin.hgetall(replicasKey(app));
    expect(Object.keys(raw)).toEqual(['a']);
    const entry = JSON.parse(raw.a!) as Record<string, unknown>;
    expect(entry).toMatchObject({ version: 1, id: 'a', host: 'host-a', pid: 100, since: SINCE });
    expect(entry.seenAt).toBeGreaterThanOrEqual(before);
    expect(entry.seenAt).toBeLessThanOrEqual(after);
    expect(await a.alive()).toEqual([{ id: 'a', host: 'host-a', pid: 100, since: SINCE, seenAt: entry.seenAt }]);
    expect(await a.isAlive('a')).toBe(true);
    // A registry only read from (never registered) leaves the entry alone when closed.
    const reader = registry('a');
    expect((await reader.alive()).map((r) => r.id)).toEqual(['a']);
    await reader.close();
    expect(await redis.admin.hexists(replicasKey(app), 'a')).toBe(1);

    await a.close();
    expect(await redis.admin.exists(replicasKey(app))).toBe(0);
    expect(await a.alive()).toEqual([]);
  });

  it('keeps a beating replica alive; one that stopped beating is gone after the alive time, then forgotten on request', async () => {
    const short = { heartbeatMs: 50, aliveMs: 400 };
    const a = registry('a', short);
    // b beats once, at registration, then never again: a crashed process.
    const b = registry('b', { ...short, heartbeatMs: 60_000 });
    await a.register();
    await b.register();
    expect((await a.alive()).map((r) => r.id).sort()).toEqual(['a', 'b']);
    expect(await a.isAlive('b')).toBe(true);

    await new Promise((r) => setTimeout(r, 700));
    expect((await a.alive()).map((r) => r.id)).toEqual(['a']);
    expect((await a.gone()).map((r) => r.id)).toEqual(['b']);
    expect(await a.isAlive('b')).toBe(false);
    // Whoever closed b's leftovers forgets it; a live one cannot be forgotten.
    expect(await a.forget('a')).toBe(false);
    expect(await a.forget('b')).toBe(true);
    expect(await a.gone()).toEqual([]);
    expect(await redis.admin.hexists(replicasKey(app), 'b')).toBe(0);
  });

  it('prunes entries gone for longer than the prune time at the next heartbeat, and keeps recently gone ones', async () => {
    await writeEntry('long-gone', 2 * 60 * 60_000);
    await writeEntry('just-gone', 20_000);
    const a = registry('a');
    await a.register();
    expect(await redis.admin.hkeys(replicasKey(app))).toEqual(expect.arrayContaining(['a', 'just-gone']));
    expect(await redis.admin.hexists(replicasKey(app), 'long-gone')).toBe(0);
    expect((await a.gone()).map((r) => r.id)).toEqual(['just-gone']);
    expect((await a.alive()).map((r) => r.id)).toEqual(['a']);
  });

  it(`refuses a ${MAX_REPLICAS_PER_APP + 1}st live replica, saying why (the platform's connection limit); gone ones do not count`, async () => {
    for (let i = 0; i < MAX_REPLICAS_PER_APP - 2; i++) await writeEntry(`other-${i}`, 0);
    await writeEntry('stale', 30_000);
    const fiftieth = registry('fiftieth');
    await fiftieth.register();
    expect(await fiftieth.isAlive('fiftieth')).toBe(true);
    expect(await readReplicas(redis.connections.client, app).then((s) => s.alive.length)).toBe(MAX_REPLICAS_PER_APP - 1);
    await registry('almost').register();

    const extra = registry('extra');
    const refused = await extra.register().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(StateUnavailable);
    expect((refused as StateUnavailable).passes).toBe(true);
    expect((refused as Error).message).toMatch(
      /already has 50 live replicas on this state store, and the platform allows at most 50 long connections per app \(lark\/README\.md §2\.11\)/,
    );
    expect(await redis.admin.hexists(replicasKey(app), 'extra')).toBe(0);
    // One leaves: the next one gets its place.
    await redis.admin.hdel(replicasKey(app), 'other-0');
    await extra.register();
    expect(await extra.isAlive('extra')).toBe(true);
  });

  it('skips an entry it cannot read (logged once), and never counts it', async () => {
    await redis.admin.hset(replicasKey(app), 'damaged', '{not json');
    await redis.admin.hset(
      replicasKey(app),
      'partial',
      JSON.stringify({ id: 'partial', host: 'h', since: SINCE, seenAt: await redisNow() }),
    );
    await redis.admin.hset(
      replicasKey(app),
      'renamed',
      JSON.stringify({ id: 'other', host: 'h', pid: 1, since: SINCE, seenAt: await redisNow() }),
    );
    const a = registry('a', { maxReplicas: 1 });
    await a.register();
    expect((await a.alive()).map((r) => r.id)).toEqual(['a']);
    expect(await a.gone()).toEqual([]);
    const unreadable = logger.records.filter((r) => r.event === 'state.replica_unreadable');
    expect(unreadable.map((r) => r.field).sort()).toEqual(['damaged', 'partial', 'renamed']);
    expect(String(unreadable.find((r) => r.field === 'partial')?.error)).toMatch(/pid/);
  });

  it('reads a newer Kocoro’s entry (more fields, a higher version) as the live replica it is', async () => {
    const seenAt = await redisNow();
    await redis.admin.hset(
      replicasKey(app),
      'next',
      JSON.stringify({ version: 2, id: 'next', host: 'h', pid: 9, since: SINCE, seenAt, zone: 'b' }),
    );
    expect(await readReplicas(redis.connections.client, app)).toMatchObject({
      alive: [{ id: 'next', host: 'h', pid: 9, since: SINCE, seenAt }],
      gone: [],
    });
  });
});

describe('the Redis state backend: several processes per app', () => {
  const backends: StateBackend[] = [];
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-replicas-'));
  });
  afterEach(async () => {
    for (const b of backends.splice(0)) await b.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function startProcess(): Promise<StateBackend> {
    const backend = await openRedisState(redis.server.url, new MemoryLogger());
    backends.push(backend);
    return backend;
  }

  it('runs a second process on the same app as a replica: both listed, each knowing itself; a closed one leaves the list', async () => {
    const bot = { id: 'team-bot', appId: app } as BotConfig;
    const first = await startProcess();
    const second = await startProcess();
    expect(first.replica?.id).toBeDefined();
    expect(first.replica?.id).not.toBe(second.replica?.id);
    expect(first.replica).toMatchObject({ host: os.hostname(), pid: process.pid });

    const a = await first.open(bot, path.join(dir, 'a'), new MemoryLogger(), Date.now);
    const b = await second.open(bot, path.join(dir, 'b'), new MemoryLogger(), Date.now);
    const ids = async (backend: StateBackend) => (await backend.replicasOf!(app)).map((r) => r.id).sort();
    expect(await ids(first)).toEqual([first.replica!.id, second.replica!.id].sort());
    expect(await ids(second)).toEqual(await ids(first));
    // Both use the same state: what one stores the other sees.
    await a.dedupe.add('om_1');
    expect(await b.dedupe.has('om_1')).toBe(true);
    expect(await redis.admin.exists(`kocoro:{${app}}:holder`)).toBe(0);

    await b.close!();
    expect(await ids(first)).toEqual([first.replica!.id]);
    await a.close!();
    expect(await first.replicasOf!(app)).toEqual([]);
  });
});
