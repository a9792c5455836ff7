import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { errorMessage } from '@core/log/error-message';
import type { Logger } from '@core/log/logger';
import { ARRIVAL_MARGIN_MS, type CallLimiter, type RateKey, RateLimiter, WakeUp } from '@core/lark/rate-limiter';
import { keyPrefix } from './redis-keys';
import { runScript, type StoreScript } from './redis-scripts';

/**
 * One app's rate limiter shared by every process that runs it on one Redis (lark/README.md §8:
 * the platform's limits are per app, not per process). The same keys, windows, bucket and pauses
 * as this process's `RateLimiter`, kept in Redis and counted on Redis's clock (`TIME` inside the
 * scripts), so the replicas' own clocks do not matter. Per rate key, under the app's prefix
 * (redis-keys.ts, one hash tag): `rate:<key>`, a ZSET of the grants scored by their time, trimmed
 * to the longest window and expiring with it; `rate-state:<key>`, a HASH of the pause and the
 * token bucket, expiring once both are over. An idle app leaves nothing behind.
 *
 * One round trip per call that finds room; a call that has to wait asks again when Redis said
 * room would come (another replica may have taken it: then it waits again). This process's callers
 * wait in one line in front: first come, first served among those sharing a key, and a key that is
 * full (a chat at its 5/s) holds back only the calls under it. While Redis cannot be reached, the
 * calls are paced by a local `RateLimiter` instead (logged once when it starts and once when it
 * ends), so answers in flight finish; the platform's 429s cover the rest meanwhile.
 */

/** Grants a call under every key, or says how long until all have room and how long each key is full for. */
const TAKE_LUA = String.raw`
local specs = cjson.decode(ARGV[1])
local margin = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local ready, waits, levels, pauses, spans = now, {}, {}, {}, {}
for i, spec in ipairs(specs) do
  local grants, state = KEYS[2 * i - 1], KEYS[2 * i]
  local longest = 0
  for _, w in ipairs(spec.w) do longest = math.max(longest, w[2] + margin) end
  spans[i] = longest
  redis.call('ZREMRANGEBYSCORE', grants, '-inf', string.format('%.3f', now - longest))
  local paused = tonumber(redis.call('HGET', state, 'pause') or 0)
  pauses[i] = paused
  local at = math.max(now, paused)
  for _, w in ipairs(spec.w) do
    local span = w[2] + margin
    -- Room once the max-th newest grant has left the window.
    local nth = redis.call('ZREVRANGE', grants, w[1] - 1, w[1] - 1, 'WITHSCORES')
    if #nth == 2 then
      local pivot = math.min(tonumber(nth[2]), now)
      if pivot > now - span then at = math.max(at, pivot + span) end
    end
  end
  if spec.b then
    local burst, rate = spec.b[1], spec.b[2]
    local st = redis.call('HMGET', state, 'tokens', 'at')
    local level, since = tonumber(st[1]) or burst, tonumber(st[2]) or now
    local tokens = math.min(burst, level + math.max(0, now - since) / 1000 * rate)
    levels[i] = tokens
    if tokens < 1 then at = math.max(at, now + (1 - tokens) / rate * 1000) end
  end
  waits[i] = at - now
  ready = math.max(ready, at)
end
if ready > now then
  local out = { math.ceil(ready - now) }
  for i = 1, #specs do out[i + 1] = math.ceil(waits[i]) end
  return out
end
local score = string.format('%.3f', now)
for i, spec in ipairs(specs) do
  local grants, state = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('ZADD', grants, score, ARGV[3])
  redis.call('PEXPIRE', grants, math.ceil(spans[i]))
  if spec.b then
    local burst, rate = spec.b[1], spec.b[2]
    local left = levels[i] - 1
    redis.call('HSET', state, 'tokens', string.format('%.6f', left), 'at', score)
    redis.call('PEXPIRE', state, math.ceil(math.max((burst - left) / rate * 1000, pauses[i] - now)) + 1)
  end
end
return { 0, math.floor(now) }
`;

/** Nothing under the key starts for ARGV[1] ms from now (Redis's now); a longer pause already set stands. */
const PAUSE: StoreScript = {
  name: 'kocoroRatePause',
  keys: 1,
  lua: String.raw`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local till = math.max(tonumber(redis.call('HGET', KEYS[1], 'pause') or 0), now + tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'pause', string.format('%.3f', till))
local ttl = math.ceil(till - now) + 1
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return ttl
`,
};

/** The take script for calls under `n` rate keys (two Redis keys each: a script's KEYS are fixed in number). */
const takeScripts = new Map<number, StoreScript>();
function takeScript(n: number): StoreScript {
  let script = takeScripts.get(n);
  if (!script) takeScripts.set(n, (script = { name: `kocoroRateTake${n}`, keys: 2 * n, lua: TAKE_LUA }));
  return script;
}

export interface RedisRateLimiterOptions {
  /** The shared command connection (redis-connection.ts: no offline queue, a command timeout). */
  client: Redis;
  appId: string;
  logger: Logger;
  /** This process's clock, for its own timers and the local fallback. */
  now?: () => number;
  /** While Redis is away, how often whether it is back is asked (a PING). */
  probeEveryMs?: number;
  /** Each grant with its time: Redis's (`shared`), or this process's while Redis is away (`local`). For tests and metrics. */
  onGrant?: (keys: readonly string[], at: number, where: 'shared' | 'local') => void;
}

interface Waiter {
  keys: readonly RateKey[];
  since: number;
  resolve: (waitedMs: number) => void;
  /** Not worth asking before then (this process's clock): when the last answer said room would come. */
  notBefore: number;
  /** The keys that were full at the last answer: they hold back later callers under them. */
  full: string[];
}

interface Taken {
  waitMs: number;
  full: string[];
}

export class RedisRateLimiter implements CallLimiter {
  private readonly prefix: string;
  private readonly id = randomUUID().slice(0, 8);
  private seq = 0;
  private readonly waiters: Waiter[] = [];
  private pumping = false;
  private again = false;
  private readonly wake = new WakeUp(() => void this.pump());
  private readonly local: RateLimiter;
  private readonly now: () => number;
  /** Redis could not be reached (or refused the script): the local limiter paces the calls meanwhile. */
  private down = false;
  private probing = false;
  private nextProbeAt = 0;

  constructor(private readonly opts: RedisRateLimiterOptions) {
    this.prefix = keyPrefix(opts.appId);
    this.now = opts.now ?? Date.now;
    this.local = new RateLimiter(this.now);
  }

  acquire(keys: readonly RateKey[]): Promise<number> {
    return new Promise((resolve) => {
      const now = this.now();
      this.waiters.push({ keys, since: now, resolve, notBefore: now, full: [] });
      void this.pump();
    });
  }

  async tryAcquire(keys: readonly RateKey[]): Promise<number> {
    // Never ahead of a caller of this process waiting under the same key.
    if (this.waiters.some((w) => w.keys.some((k) => keys.some((mine) => mine.key === k.key)))) return 10;
    return (await this.take(keys)).waitMs;
  }

  pause(key: string, forMs: number): void {
    // Kept here too, for the fallback should Redis go away before the pause is over.
    this.local.pause(key, this.now() + forMs);
    if (!this.usable()) return;
    runScript(this.opts.client, PAUSE, [this.stateKey(key)], [Math.ceil(forMs)]).then(
      () => this.pump(),
      (err: unknown) => this.fellBack(err),
    );
  }

  /** Calls of this process waiting for room now. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Goes through the line in order, asking for each caller that is not held back by an earlier one. */
  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        const blocked = new Set<string>();
        let next = Infinity;
        for (const waiter of [...this.waiters]) {
          if (waiter.keys.some((k) => blocked.has(k.key))) continue;
          if (waiter.notBefore > this.now()) {
            for (const key of waiter.full) blocked.add(key);
            next = Math.min(next, waiter.notBefore);
            continue;
          }
          const taken = await this.take(waiter.keys);
          const now = this.now();
          if (taken.waitMs === 0) {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            waiter.resolve(now - waiter.since);
            continue;
          }
          waiter.notBefore = now + taken.waitMs;
          waiter.full = taken.full;
          // Only the keys that are full hold the line: a chat at its limit does not stop other chats' calls.
          for (const key of taken.full) blocked.add(key);
          next = Math.min(next, waiter.notBefore);
        }
        this.wake.at(next, this.now());
      } while (this.again);
    } finally {
      this.pumping = false;
    }
  }

  /** One attempt, never queued: granted under every key (0), or how long to wait and which keys are full. */
  private async take(keys: readonly RateKey[]): Promise<Taken> {
    if (this.usable()) {
      const { client } = this.opts;
      const redisKeys = keys.flatMap((k) => [this.grantsKey(k.key), this.stateKey(k.key)]);
      const specs = JSON.stringify(
        keys.map((k) => ({ w: k.windows.map((w) => [w.max, w.ms]), ...(k.bucket ? { b: [k.bucket.burst, k.bucket.perSecond] } : {}) })),
      );
      try {
        const reply = (await runScript(client, takeScript(keys.length), redisKeys, [specs, ARRIVAL_MARGIN_MS, this.member()])) as number[];
        const [wait = 0, ...rest] = reply.map(Number);
        if (wait === 0) {
          this.granted(keys, rest[0] ?? 0, 'shared');
          return { waitMs: 0, full: [] };
        }
        return { waitMs: wait, full: keys.filter((_, i) => (rest[i] ?? 0) > 0).map((k) => k.key) };
      } catch (err) {
        this.fellBack(err);
      }
    }
    const taken = this.local.takeNow(keys);
    if (taken.waitMs === 0) this.granted(keys, this.now(), 'local');
    return taken;
  }

  private granted(keys: readonly RateKey[], at: number, where: 'shared' | 'local'): void {
    const { onGrant } = this.opts;
    if (onGrant)
      onGrant(
        keys.map((k) => k.key),
        at,
        where,
      );
  }

  /** Whether to ask Redis now; while it is away, asks now and then in the background whether it is back. */
  private usable(): boolean {
    const { client } = this.opts;
    if (!this.down) {
      if (client.status === 'ready') return true;
      this.fellBack(new Error(`the connection is ${client.status}`));
      return false;
    }
    const now = this.now();
    if (!this.probing && now >= this.nextProbeAt && client.status === 'ready') {
      this.probing = true;
      client.ping().then(
        () => {
          this.probing = false;
          if (!this.down) return;
          this.down = false;
          this.opts.logger.log('info', 'rate_limit.shared_again', { appId: this.opts.appId });
          void this.pump();
        },
        () => {
          this.probing = false;
          this.nextProbeAt = this.now() + (this.opts.probeEveryMs ?? 1_000);
        },
      );
    }
    return false;
  }

  private fellBack(err: unknown): void {
    // Redis's own error (a script refused: out of memory, a bug) is not over within a second like an outage.
    const refused = err instanceof Error && err.name === 'ReplyError';
    this.nextProbeAt = this.now() + (refused ? 60_000 : (this.opts.probeEveryMs ?? 1_000));
    if (this.down) return;
    this.down = true;
    this.opts.logger.log('warn', 'rate_limit.shared_unavailable', {
      appId: this.opts.appId,
      error: errorMessage(err),
      fallback: "this process paces its own calls until the state store answers again (the app's limits may be passed meanwhile)",
    });
  }

  private member(): string {
    return `${this.id}:${(++this.seq).toString(36)}`;
  }

  private grantsKey(key: string): string {
    return `${this.prefix}rate:${key}`;
  }

  private stateKey(key: string): string {
    return `${this.prefix}rate-state:${key}`;
  }
}

/** One shared limiter per app on this connection (a bot restarted in this process joins the same line). */
export function redisLimiters(client: Redis, logger: Logger): (appId: string) => CallLimiter {
  const limiters = new Map<string, RedisRateLimiter>();
  return (appId) => {
    let limiter = limiters.get(appId);
    if (!limiter) limiters.set(appId, (limiter = new RedisRateLimiter({ client, appId, logger })));
    return limiter;
  };
}
