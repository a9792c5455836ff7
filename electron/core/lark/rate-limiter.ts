/**
 * Paces one app's Open Platform calls within the platform's published limits (lark/README.md §8),
 * so a busy bot waits its turn here instead of meeting 429s: every API 50/s and 1000/min per app,
 * and sending or replying 5/s per receiving user or group. One limiter per app, shared by all its
 * chats and cards. Nothing is ever dropped: a call waits in line until its windows have room.
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
}

/** lark/README.md §8: each API, per app and tenant. */
export const API_WINDOWS: readonly RateWindow[] = [
  { max: 50, ms: 1_000 },
  { max: 1_000, ms: 60_000 },
];

/**
 * The same limits for calls that are a nicety and can wait (streamed card text: a later update
 * carries everything an earlier one would have): also 166 per 10 s, so a long stream settles at
 * the per-minute pace instead of spending the minute's budget in 20 s and then freezing for 40.
 * Six 10 s windows hold at most 996, within the 1000 of any minute.
 */
export const SMOOTH_API_WINDOWS: readonly RateWindow[] = [...API_WINDOWS, { max: 166, ms: 10_000 }];

/** lark/README.md §5.3, §8: sending and replying, per receiving user and per group (else 230020). */
export const CHAT_WINDOWS: readonly RateWindow[] = [{ max: 5, ms: 1_000 }];

/**
 * A call's start here and its arrival at the platform are a few milliseconds apart, by a
 * different amount each time; counting each window this much longer keeps two calls that left
 * `ms` apart from landing in one of the platform's windows.
 */
const ARRIVAL_MARGIN_MS = 50;

interface Waiter {
  keys: readonly RateKey[];
  since: number;
  resolve: (waitedMs: number) => void;
}

interface Bucket {
  /** Start times of the calls granted, oldest first, pruned to the longest window. */
  grants: number[];
  pausedUntil: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Resolves, with the milliseconds waited, once a call under all `keys` may start; it is then
   * counted against each. Calls are granted first come, first served among those that share a key.
   */
  acquire(keys: readonly RateKey[]): Promise<number> {
    return new Promise((resolve) => {
      this.waiters.push({ keys, since: this.now(), resolve });
      this.pump();
    });
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

  private pump(): void {
    const now = this.now();
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
        for (const k of waiter.keys) this.bucket(k.key).grants.push(now);
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
    this.arm(next, now);
  }

  /** When a call under `k` may start: after a pause, and once each window has room. */
  private readyAt(k: RateKey, now: number): number {
    const bucket = this.bucket(k.key);
    let at = bucket.pausedUntil;
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

  private arm(at: number, now: number): void {
    if (at === Infinity || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(1, at - now),
    );
  }

  /** Forgets grants older than every window, and keys with nothing left to remember (an idle bot holds nothing). */
  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      const keep = now - 60_000 - ARRIVAL_MARGIN_MS;
      let drop = 0;
      while (drop < bucket.grants.length && bucket.grants[drop]! <= keep) drop++;
      if (drop > 0) bucket.grants.splice(0, drop);
      if (bucket.grants.length === 0 && bucket.pausedUntil <= now) this.buckets.delete(key);
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
