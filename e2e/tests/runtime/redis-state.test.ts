import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeLarkPlatform } from '../../fakes/lark';
import { FakeOpenAi } from '../../fakes/openai/server';
import { HeadlessProcess } from '../../support/headless-process';
import { type PrivateRedis, startPrivateRedis } from '../../support/redis-server';
import { APP, postText } from '../../support/runtime-harness';

/**
 * `npm run headless -- --state redis://…`: the bots' state in a real Redis (a private
 * redis-server, with the append-only file fsynced on every write), the message path unchanged.
 */
const ANSWER = Array.from({ length: 24 }, (_, i) => `Point ${i} of the answer.`).join(' ');

let lark: FakeLarkPlatform;
let model: FakeOpenAi;
let redis: PrivateRedis;
let dir: string;
let run = 0;
const running: HeadlessProcess[] = [];

beforeAll(async () => {
  lark = await FakeLarkPlatform.start({ apps: [APP] });
  model = await FakeOpenAi.start({ reply: () => ANSWER, chunkChars: 8, chunkDelayMs: 30 });
  redis = await startPrivateRedis({ persistence: true });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-redis-state-'));
});
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.kill('SIGKILL');
    await p.exited;
  }
});
afterAll(async () => {
  await lark.close();
  await model.close();
  await redis.dispose();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A headless Kocoro for the test app, its state in the Redis (by `--state`, or as the environment says). */
async function start(opts: { dataDir?: string; env?: NodeJS.ProcessEnv; replyMode?: 'message'; wait?: boolean; args?: string[] } = {}) {
  const file = path.join(dir, `config-${run}.json`);
  const config = {
    agents: [{ id: 'model', name: 'Model', provider: { type: 'openai', baseUrl: model.baseUrl, model: 'm' } }],
    bots: [
      {
        id: 'team-bot',
        platform: 'feishu',
        appId: APP.appId,
        appSecret: APP.appSecret,
        agentId: 'model',
        domain: lark.url,
        ...(opts.replyMode ? { replyMode: { dm: opts.replyMode, group: opts.replyMode } } : {}),
      },
    ],
  };
  await fs.writeFile(file, JSON.stringify(config));
  const dataDir = opts.dataDir ?? path.join(dir, `data-${run++}`);
  const args = ['--config', file, '--data-dir', dataDir, ...(opts.env?.KOCORO_STATE ? [] : ['--state', redis.url]), ...(opts.args ?? [])];
  const p = HeadlessProcess.start(args, opts.env ?? {});
  running.push(p);
  if (opts.wait !== false) await p.waitForLog('bot.connected');
  return { p, dataDir, file };
}

async function keysOf(pattern: string): Promise<string[]> {
  const client = new Redis(redis.url);
  try {
    return (await client.keys(pattern)).sort();
  } finally {
    client.disconnect();
  }
}

describe('the bots’ state in Redis (--state)', () => {
  it('answers a DM with its dedupe, inbox, memory and record in Redis under the app’s keys, none in the data folder', async () => {
    const { p, dataDir } = await start({ replyMode: 'message' });
    const { messageId } = lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'hello redis' });
    await p.waitForLog('reply.sent', { messageId });
    const [reply] = lark.sentMessages({ replyTo: messageId });
    expect(postText(reply!.content)).toBe(ANSWER);
    const keys = await keysOf(`kocoro:{${APP.appId}}:*`);
    expect(keys).toContain(`kocoro:{${APP.appId}}:seen:${messageId}`);
    expect(keys.some((k) => k.includes(':conv:'))).toBe(true);
    expect(keys).toContain(`kocoro:{${APP.appId}}:replicas`);
    // The data folder keeps only what stays on this computer (the files people send).
    const folder = path.join(dataDir, 'bots', 'team-bot');
    const entries = await fs.readdir(folder).catch(() => []);
    expect(entries.filter((e) => ['inbox', 'dedupe.jsonl', 'conversations', 'state.json'].includes(e))).toEqual([]);
    // A re-push of the same message is recognised from Redis, also by a new process.
    p.kill('SIGTERM');
    await p.exited;
    const again = await start({ replyMode: 'message' });
    lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'hello redis', messageId });
    await again.p.waitForLog('message.duplicate', { messageId });
    expect(lark.sentMessages({ replyTo: messageId })).toHaveLength(1);
  });

  it(
    'after kill -9 mid-answer, a restart on the same Redis (another data folder) finishes it in the same card, once',
    { timeout: 120_000 },
    async () => {
      for (let i = 0; i < 4; i++) {
        const first = await start();
        const { messageId } = lark.pushMessage(APP.appId, { chatType: 'p2p', text: `question ${i}` });
        await first.p.waitForLog('message.accepted', { messageId });
        await new Promise((r) => setTimeout(r, 150 + i * 250));
        first.p.kill('SIGKILL');
        await first.p.exited;
        // Another machine's process would do the same: its own data folder, the state in Redis.
        const second = await start();
        await second.p.waitForLog('reply.sent', { messageId }, 30_000);
        second.p.kill('SIGTERM');
        await second.p.exited;
        const replies = lark.sentMessages({ replyTo: messageId });
        expect(replies, `run ${i}`).toHaveLength(1);
        expect(lark.cardText(replies[0]!.cardId!), `run ${i}`).toBe(ANSWER);
        expect(lark.card(replies[0]!.cardId!)!.streaming, `run ${i}`).toBe(false);
      }
    },
  );

  it('Redis away at start: the bot waits, saying so, and answers once Redis is back (KOCORO_STATE)', { timeout: 60_000 }, async () => {
    await redis.stop();
    const { p } = await start({ env: { KOCORO_STATE: redis.url }, wait: false, replyMode: 'message' });
    const waiting = await waitForLine(p, (l) => l.event === 'bot.connecting' && String(l.reason).startsWith('waiting for the state store'));
    expect(String(waiting.reason)).toMatch(/cannot be reached/);
    await redis.restart();
    await p.waitForLog('bot.connected', {}, 20_000);
    const { messageId } = lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'are you there?' });
    await p.waitForLog('reply.sent', { messageId });
  });

  it(
    'Redis killed mid-load: messages are not acknowledged while it is away, and each is answered once when it is back',
    { timeout: 60_000 },
    async () => {
      const { p } = await start({ replyMode: 'message' });
      const before = Array.from({ length: 5 }, (_, i) =>
        lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: `ou_before${i}`, text: `before ${i}` }),
      );
      for (const m of before) await lark.waitForAck(m.push.pushId);
      await redis.kill();
      const during = Array.from({ length: 5 }, (_, i) =>
        lark.pushMessage(APP.appId, { chatType: 'p2p', senderOpenId: `ou_during${i}`, text: `during ${i}` }),
      );
      await waitForLine(p, (l) => l.event === 'state.unreachable');
      await redis.restart();
      // The platform delivers again what was not acknowledged (lark/README.md §2.9); the fake does it at once.
      for (const m of during) await lark.waitForAck(m.push.pushId, 30_000);
      for (const m of [...before, ...during]) {
        await expect.poll(() => lark.sentMessages({ replyTo: m.messageId }).length, { timeout: 20_000 }).toBe(1);
      }
    },
  );

  it(
    'a second process on the same app and Redis runs as a replica: both connected and registered, --check prints both, /metrics counts them',
    { timeout: 60_000 },
    async () => {
      const client = new Redis(redis.url);
      const key = `kocoro:{${APP.appId}}:replicas`;
      try {
        // The earlier tests' processes were killed (-9): their entries would count as alive for 10 s more.
        await client.del(key);
        const { p: first, file } = await start({ replyMode: 'message', args: ['--metrics', '0'] });
        const { p: second } = await start({ replyMode: 'message' });
        await expect.poll(() => lark.connections(APP.appId).length, { timeout: 10_000 }).toBe(2);
        const entries = Object.values(await client.hgetall(key)).map((raw) => JSON.parse(raw) as { pid: number });
        expect(entries.map((e) => e.pid).sort()).toEqual([first.child.pid, second.child.pid].sort());
        expect(second.lines().filter((l) => l.event === 'bot.connecting' && /another Kocoro/.test(String(l.reason)))).toEqual([]);

        // `--check` on the same Redis (a third process, not running the bot): the two replicas, and no "another program".
        const check = HeadlessProcess.start([
          '--check',
          '--config',
          file,
          '--data-dir',
          path.join(dir, 'data-check'),
          '--state',
          redis.url,
        ]);
        running.push(check);
        await check.exited;
        expect(check.stdout).toMatch(
          /✓ Other programs: No other program is connected to this app: its 2 connections are Kocoro's own \(2 replicas/,
        );
        expect(check.stdout).toContain('  Replicas: 2\n');
        for (const p of [first, second]) expect(check.stdout).toMatch(new RegExp(`^    \\S+, pid ${p.child.pid}, since \\d{4}-`, 'm'));
        expect(check.stdout).not.toContain('(this one)');

        const metricsUrl = await first.waitForStderr(/^Metrics: (\S+)$/m);
        await expect.poll(async () => (await fetch(metricsUrl)).text(), { timeout: 10_000 }).toContain('kocoro_replicas{bot="team-bot"} 2');
      } finally {
        client.disconnect();
      }
    },
  );

  it('says at start what in the Redis setup may lose state, each with its fix; nothing for a safe one', async () => {
    const safe = await start({ replyMode: 'message' });
    // The test server: append-only file fsynced on every write, noeviction (the default).
    expect(safe.p.stderr).not.toMatch(/State store:/);
    const unsafe = await startPrivateRedis();
    try {
      const client = new Redis(unsafe.url);
      await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
      client.disconnect();
      const file = path.join(dir, 'config-unsafe.json');
      await fs.writeFile(file, JSON.stringify({ agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }], bots: [] }));
      const p = HeadlessProcess.start(['--config', file, '--data-dir', path.join(dir, 'data-unsafe'), '--state', unsafe.url]);
      running.push(p);
      await p.waitForStderr(/State store: maxmemory-policy is allkeys-lru: .* Set maxmemory-policy noeviction\./);
      await p.waitForStderr(/State store: Redis keeps the state in memory only .* Set appendonly yes\./);
      expect(p.lines().filter((l) => l.event === 'state.warning')).toHaveLength(2);
    } finally {
      await unsafe.dispose();
    }
  });
});

async function waitForLine(p: HeadlessProcess, match: (l: Record<string, unknown>) => boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = p.lines().find(match);
    if (found) return found;
    if (Date.now() > deadline || p.child.exitCode !== null)
      throw new Error(`no matching log line\nstdout:\n${p.stdout}\nstderr:\n${p.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
