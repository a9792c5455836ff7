/**
 * The replicas run of `npm run bench` (issue 20, point 7): 1, 2 and 3 headless replicas of one app,
 * their state in one private Redis (append-only file fsynced on every write, as README asks for),
 * against the file store's single process, at 40 DMs/s with the platform's limits on; then `kill -9`
 * of one of three replicas mid-load. Figures only, read off the fake platform (e2e/support/replica-check.ts).
 */
import { Redis } from 'ioredis';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PrivateRedis, startPrivateRedis } from '../support/redis-server';
import { answersTo, type Asked } from '../support/replica-check';
import { Replicas, type ReplicaSetOptions, sleep } from '../support/replicas';
import { fmt, quantile } from './stats';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/**
 * 40 DMs/s from 40 people, in two phases: 5 s right after the processes start (200 messages from
 * chats of their own), then 20 s measured (800 messages, 20 from each person, so each chat's order
 * means something). A process answers its first messages slower while V8 compiles the code they
 * take; with three replicas on this machine's two cores three processes do that at once. That is a
 * start-up cost of the processes, not of where their state is, so the comparison with the file
 * store is made after it, and the start-up phase is printed on its own row.
 */
const START_UP = { chats: 40, perChat: 5, everyMs: 25, firstChat: 100 };
const LOAD = { chats: 40, perChat: 20, everyMs: 25 };

export interface ReplicaFigures {
  label: string;
  messages: number;
  lost: number;
  unacked: number;
  doubled: number;
  outOfOrder: number;
  refusals: number;
  /** Message → first reply, for the measured phase, and for the start-up phase (without a kill). */
  replyMs: number[];
  startUpMs: number[];
  redisCalls?: number;
  takeover?: { orphans: number; firstWriteMs: number; lastAnswerMs: number };
}

/**
 * Counts the round trips the replicas make to Redis while it runs: every command a client sends
 * (a script is one, whatever it runs inside: commandstats would count those too), seen by MONITOR.
 */
async function countRoundTrips(redis: PrivateRedis): Promise<{ stop(): Promise<number> }> {
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  const monitor = await client.monitor();
  let trips = 0;
  monitor.on('monitor', (_time: string, _args: string[], source: string) => {
    if (source !== 'lua') trips++;
  });
  return {
    async stop() {
      monitor.disconnect();
      client.disconnect();
      return trips;
    },
  };
}

async function setFsync(redis: PrivateRedis, policy: 'always' | 'everysec'): Promise<void> {
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  await client.config('SET', 'appendfsync', policy);
  client.disconnect();
}

async function flush(redis: PrivateRedis): Promise<void> {
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  await client.flushall();
  client.disconnect();
}

/** One load on a fresh set of replicas; `kill` = kill -9 that replica this long after the load began. */
async function run(label: string, opts: ReplicaSetOptions, kill?: { replica: number; afterMs: number }): Promise<ReplicaFigures> {
  if (opts.redis) await flush(opts.redis);
  const set = await Replicas.start({ replyMode: 'message', seed: 40, ...opts });
  try {
    const startUp = kill ? [] : await set.askMany(START_UP);
    if (startUp.length) await set.waitForAnswers(startUp, 60_000).catch(() => undefined);
    const trips = opts.redis ? await countRoundTrips(opts.redis) : undefined;
    const load = set.askMany(kill ? { ...LOAD, perChat: 10 } : LOAD);
    let takeover: ReplicaFigures['takeover'];
    let killedAt = 0;
    let orphans: string[] = [];
    if (kill) {
      await sleep(kill.afterMs);
      const answeredBy = (tag: string, t: number) =>
        answersTo(set.lark, set.asked.find((a) => a.tag === tag)!.messageId).some((x) => x.beganAt <= t);
      await set.kill(kill.replica);
      killedAt = set.list[kill.replica]!.killedAt!;
      orphans = [...new Set(set.runs.filter((r) => r.replica === kill.replica && !answeredBy(r.tag, killedAt)).map((r) => r.tag))];
    }
    const asked = await load;
    await set.waitForAnswers(asked, 60_000).catch(() => undefined);
    const calls = trips ? await trips.stop() : undefined;
    const v = set.check({ asked: [...startUp, ...asked] });
    if (kill) {
      const chats = new Set(orphans.map((t) => set.asked.find((a) => a.tag === t)!.chatId));
      const firstWrites = [...chats].map(
        (c) => set.writes({ after: killedAt }).find((w) => w.replica !== kill.replica && w.chatId === c)?.at,
      );
      const answers = orphans.map((t) => answersTo(set.lark, set.asked.find((a) => a.tag === t)!.messageId)[0]?.beganAt);
      const worst = (xs: Array<number | undefined>) => (xs.some((x) => x === undefined) ? NaN : Math.max(...(xs as number[])) - killedAt);
      takeover = { orphans: orphans.length, firstWriteMs: worst(firstWrites), lastAnswerMs: worst(answers) };
    }
    const replyMs = (list: Asked[]) =>
      list.flatMap((a) => {
        const first = answersTo(set.lark, a.messageId)[0];
        return first ? [first.beganAt - a.at] : [];
      });
    return {
      label,
      messages: startUp.length + asked.length,
      lost: v.unanswered.length,
      unacked: v.unacked.length,
      doubled: v.doubled.length,
      outOfOrder: v.outOfOrder.reduce((n, c) => n + c.pairs.length, 0),
      refusals: v.refusals.length,
      replyMs: replyMs(asked),
      startUpMs: replyMs(startUp),
      ...(calls !== undefined ? { redisCalls: calls / asked.length } : {}),
      ...(takeover ? { takeover } : {}),
    };
  } finally {
    await set.dispose();
  }
}

const row = (label: string, value: string, target = '') => console.log(`  ${label.padEnd(58)} ${value.padStart(18)}   ${target}`);

function print(f: ReplicaFigures, fileP99?: number): void {
  console.log(`  ${f.label}`);
  row('lost / doubled / out of order', `${f.lost} / ${f.doubled} / ${f.outOfOrder}`, 'target 0 / 0 / 0');
  row('refused for a rate limit (429, 230020)', String(f.refusals), 'target 0');
  if (f.unacked) row('never acked (the platform gave up re-pushing)', String(f.unacked));
  const p50p99 = (xs: number[]) => `${fmt(quantile(xs, 0.5), 'ms')} / ${fmt(quantile(xs, 0.99), 'ms')}`;
  if (f.startUpMs.length) row('message → reply p50 / p99, first 5 s after start', p50p99(f.startUpMs), 'start-up, for information');
  row(
    f.startUpMs.length ? 'message → reply p50 / p99, the 20 s after' : 'message → reply p50 / p99',
    p50p99(f.replyMs),
    fileP99 !== undefined ? `target p99 ≤ the file store's ${fmt(fileP99, 'ms')}` : '',
  );
  if (f.redisCalls !== undefined) {
    row('Redis round trips per message (all replicas)', f.redisCalls.toFixed(1), 'heartbeats, leases, scans included');
  }
  if (f.takeover) {
    row('answers running on the killed replica', String(f.takeover.orphans));
    row('takeover: kill → a survivor writes in its last chat', fmt(f.takeover.firstWriteMs, 'ms'), 'target ≤ 10 s');
    row('kill → its last answer sent by a survivor', fmt(f.takeover.lastAnswerMs, 'ms'));
  }
}

export async function replicasBench(): Promise<void> {
  console.log(
    'Replicas: one app, state in one Redis (appendfsync always), 40 DMs/s from 40 people, reply mode "message": 5 s from start, then 20 s measured',
  );
  let redis: PrivateRedis;
  try {
    redis = await startPrivateRedis({ persistence: true });
  } catch (err) {
    console.log(`  skipped: ${(err as Error).message}\n`);
    return;
  }
  try {
    const { build } = await import('vite');
    await build({ configFile: path.join(ROOT, 'vite.headless.config.ts'), logLevel: 'warn' });
    const instant = { answerWords: 3, chunkChars: 100, chunkDelayMs: 0 };
    const file = await run('file store, 1 process, instant agent', { replicas: 1, ...instant });
    print(file);
    const fileP99 = quantile(file.replyMs, 0.99);
    for (const n of [1, 2, 3])
      print(await run(`Redis, ${n} replica${n > 1 ? 's' : ''}, instant agent`, { replicas: n, redis, ...instant }), fileP99);
    // The same with Redis flushing its append-only file once a second: what `appendfsync always` costs on this disk.
    await setFsync(redis, 'everysec');
    print(await run('Redis (appendfsync everysec), 1 replica, instant agent', { replicas: 1, redis, ...instant }), fileP99);
    await setFsync(redis, 'always');
    // A 1-second agent, so answers are running when a replica dies; 10 s of load, the kill in its middle.
    const second = { answerWords: 20, chunkChars: 6, chunkDelayMs: 50 };
    print(
      await run('Redis, 3 replicas, 1 s agent, kill -9 of one at 5 s', { replicas: 3, redis, ...second }, { replica: 0, afterMs: 5_000 }),
    );
  } finally {
    await redis.dispose();
  }
  console.log('');
}
