/**
 * Paces one app's Open Platform calls within the platform's published limits (lark/README.md §8),
 * so a busy bot waits its turn here instead of meeting 429s: every API 50/s and 1000/min per app,
 * and sending or replying 5/s per receiving user or group. One limiter per app, shared by all its
 * chats and cards. `acquire` never drops a call: it waits in line until its windows have room;
 * `tryAcquire` is for calls that can be skipped (streamed card text): room now, or when to ask again.
 * Several processes running one app share one limiter in their state store instead
 * (`CallLimiter`, runtime/stores/redis/redis-rate-limiter.ts), with the same keys and windows.
 */

/** At most `max` calls in any `ms` milliseconds. */
export interface RateWindow {
  max: number;
  ms: number;
}

/** A key (an API, a chat) and the windows its calls must fit in. */
export interface RateKey {
  key: string;
  windows: readonly RateWindow[];
  /** Also a token bucket: up to `burst` calls at once, refilled at `perSecond`. */
  bucket?: { burst: number; perSecond: number };
}

/**
 * Calls of each API window left unused for the rare call that reaches the platform later than
 * ARRIVAL_MARGIN_MS after it was granted (a process descheduled between the grant and the send):
 * with two replicas on two busy cores, 160 DMs at once (e2e/tests/runtime/replicas.test.ts) met one
 * 429 in 8 runs of 10 with the margin alone, each from a single late call, and none in 5 runs with
 * two calls held back. That costs 4% of the rate, where a longer margin for every call (250 ms,
 * none in 4 runs) cost 20%.
 */
export const LATE_ARRIVALS = 2;

/** lark/README.md §8: each API, per app and tenant (50/s, 1000/min), less LATE_ARRIVALS. */
export const API_WINDOWS: readonly RateWindow[] = [
  { max: 50 - LATE_ARRIVALS, ms: 1_000 },
  { max: 1_000 - LATE_ARRIVALS, ms: 60_000 },
];

/**
 * Streamed card text is a nicety that can wait: a later update carries everything an earlier one
 * would have. Beside the API's windows it takes a token bucket of 250 that refills at 12.5/s, so
 * a burst of many cards streams at full speed for seconds and a long busy stretch settles at a
 * steady pace instead of spending the minute's 1000 in 20 s and then freezing every card for 40:
 * in any minute at most 250 + 60 × 12.5 = 1000.
 */
export const CARD_TEXT_BUCKET = { burst: 250, perSecond: 12.5 };

/** lark/README.md §5.3, §8: sending and replying, per receiving user and per group (else 230020). */
export const CHAT_WINDOWS: readonly RateWindow[] = [{ max: 5, ms: 1_000 }];

/**
 * A call's start here and its arrival at the platform are apart by a different amount each time
 * (the SDK's own work before the request leaves, the event loop, the network); counting each
 * window this much longer keeps calls that left `ms` apart from landing in one of the platform's
 * windows. Measured on loopback with both cores busy (e2e/tests/runtime/team-scale.test.ts, 120 answers
 * at once): up to ~60 ms, which made the 51st call of a window arrive inside it.
 */
export const ARRIVAL_MARGIN_MS = 100;

interface Waiter {
  keys: readonly RateKey[];
  since: number;
  resolve: (waitedMs: number) => void;
}

interface Bucket {
  /** Start times of the calls granted, oldest first, pruned to the longest window. */
  grants: number[];
  pausedUntil: number;
  /** Token bucket level and when it was last brought up to date (keys with a `bucket`). */
  tokens?: number;
  tokensAt?: number;
  refill?: NonNullable<RateKey['bucket']>;
}

/**
 * Where an app's calls wait for room: this process's `RateLimiter` (`localLimiter`), or one every
 * replica of the app shares (runtime/stores/redis/redis-rate-limiter.ts). Same contract as the
 * RateLimiter's methods; `pause` takes a duration, since replicas' clocks differ.
 */
export interface CallLimiter {
  acquire(keys: readonly RateKey[]): Promise<number>;
  tryAcquire(keys: readonly RateKey[]): Promise<number>;
  pause(key: string, forMs: number): void;
}

/** One timer, for the earliest time asked: a later time never puts off an earlier one. */
export class WakeUp {
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(private readonly wake: () => void) {}

  at(at: number, now: number): void {
    if (at === Infinity || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.wake();
      },
      Math.max(1, at - now),
    );
  }
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly waiters: Waiter[] = [];
  private readonly wake = new WakeUp(() => this.pump());

  constructor(private readonly now: () => number = Date.now) {}

  /** The clock this limiter counts on (a pause is until a time of it). */
  clock(): number {
    return this.now();
  }

  /**
   * Resolves, with the milliseconds waited, once a call under all `keys` may start; it is then
   * counted against each. Calls are granted first come, first served among those that share a key.
   */
  acquire(keys: readonly RateKey[]): Promise<number> {
    return new Promise((resolve) => {
      const now = this.now();
      this.waiters.push({ keys, since: now, resolve });
      this.pump(now);
    });
  }

  /**
   * For calls that need not happen now: granted (0) when every key has room and nobody waits on
   * them, else the milliseconds after which to ask again; nothing is queued.
   */
  tryAcquire(keys: readonly RateKey[]): number {
    if (this.waiters.some((w) => w.keys.some((k) => keys.some((mine) => mine.key === k.key)))) return 10;
    return this.takeNow(keys).waitMs;
  }

  /**
   * Granted now (`waitMs` 0) when every key has room, whoever waits in this limiter's line; else
   * the milliseconds until all have room and the keys that are full. For a caller that keeps its
   * own line (the shared limiter's local fallback, runtime/stores/redis/redis-rate-limiter.ts).
   */
  takeNow(keys: readonly RateKey[]): { waitMs: number; full: string[] } {
    const now = this.now();
    let readyAt = now;
    const full: string[] = [];
    for (const k of keys) {
      const at = this.readyAt(k, now);
      if (at > now) full.push(k.key);
      readyAt = Math.max(readyAt, at);
    }
    if (readyAt > now) return { waitMs: Math.ceil(readyAt - now), full };
    this.grant(keys, now);
    // Nobody may be waiting in this line to prune on the way: forget what every window has left.
    if (this.waiters.length === 0) this.prune(now);
    return { waitMs: 0, full };
  }

  /** Nothing under `key` starts before `untilMs` (the platform said so: a 429's reset, a 230020). */
  pause(key: string, untilMs: number): void {
    const bucket = this.bucket(key);
    bucket.pausedUntil = Math.max(bucket.pausedUntil, untilMs);
    this.pump();
  }

  /** Calls waiting for room now. */
  get waiting(): number {
    return this.waiters.length;
  }

  private pump(now = this.now()): void {
    let next = Infinity;
    // A waiter blocked on one key must not let a later waiter on the same key overtake it.
    const blocked = new Set<string>();
    for (let i = 0; i < this.waiters.length;) {
      const waiter = this.waiters[i]!;
      let readyAt = now;
      const full: string[] = [];
      for (const k of waiter.keys) {
        const at = this.readyAt(k, now);
        if (at > now) full.push(k.key);
        readyAt = Math.max(readyAt, at);
      }
      if (readyAt <= now && !waiter.keys.some((k) => blocked.has(k.key))) {
        this.grant(waiter.keys, now);
        this.waiters.splice(i, 1);
        waiter.resolve(now - waiter.since);
        continue;
      }
      // Only the keys that are full hold the line: a chat at its limit does not stop other chats' calls.
      for (const key of full) blocked.add(key);
      // One held back only by an earlier waiter's key is looked at again when that one's time comes.
      if (readyAt > now) next = Math.min(next, readyAt);
      i++;
    }
    this.prune(now);
    this.wake.at(next, now);
  }

  private grant(keys: readonly RateKey[], now: number): void {
    for (const k of keys) {
      const bucket = this.bucket(k.key);
      bucket.grants.push(now);
      if (k.bucket) bucket.tokens = this.tokensOf(bucket, k.bucket, now) - 1;
    }
  }

  private tokensOf(bucket: Bucket, spec: NonNullable<RateKey['bucket']>, now: number): number {
    const level = bucket.tokens ?? spec.burst;
    const since = bucket.tokensAt ?? now;
    bucket.tokensAt = now;
    bucket.refill = spec;
    bucket.tokens = Math.min(spec.burst, level + ((now - since) / 1000) * spec.perSecond);
    return bucket.tokens;
  }

  /** When a call under `k` may start: after a pause, and once each window (and its bucket) has room. */
  private readyAt(k: RateKey, now: number): number {
    const bucket = this.bucket(k.key);
    let at = bucket.pausedUntil;
    if (k.bucket) {
      const tokens = this.tokensOf(bucket, k.bucket, now);
      if (tokens < 1) at = Math.max(at, now + ((1 - tokens) / k.bucket.perSecond) * 1000);
    }
    for (const w of k.windows) {
      const span = w.ms + ARRIVAL_MARGIN_MS;
      const { grants } = bucket;
      if (grants.length < w.max) continue;
      // The window has room once the max-th newest grant has left it.
      const pivot = grants[grants.length - w.max]!;
      if (pivot > now - span) at = Math.max(at, pivot + span);
    }
    return at;
  }

  /** Forgets grants older than every window, and keys with nothing left to remember (an idle bot holds nothing). */
  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      const keep = now - 60_000 - ARRIVAL_MARGIN_MS;
      let drop = 0;
      while (drop < bucket.grants.length && bucket.grants[drop]! <= keep) drop++;
      if (drop > 0) bucket.grants.splice(0, drop);
      const { refill, tokens = 0, tokensAt = now } = bucket;
      const full = !refill || tokens + ((now - tokensAt) / 1000) * refill.perSecond >= refill.burst;
      if (bucket.grants.length === 0 && bucket.pausedUntil <= now && full) this.buckets.delete(key);
    }
  }

  private bucket(key: string): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { grants: [], pausedUntil: 0 };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}

/** This process's own limiter as a `CallLimiter`: what an app's calls wait on when no state store shares one. */
export function localLimiter(limiter = new RateLimiter()): CallLimiter {
  return {
    acquire: (keys) => limiter.acquire(keys),
    tryAcquire: async (keys) => limiter.tryAcquire(keys),
    pause: (key, forMs) => limiter.pause(key, limiter.clock() + forMs),
  };
}
