import type { Redis } from 'ioredis';

/** How often Redis's time is read again (the local clock drifts, a resample after a reconnect too). */
const SAMPLE_EVERY_MS = 10_000;
/** A reading whose round trip took longer says too little about when Redis read its clock: kept the last one. */
const MAX_ROUND_TRIP_MS = 500;

/** This process's time, steady: not moved by a step of the system clock (NTP, a person), only by its rate. */
const steadyNow = (): number => performance.timeOrigin + performance.now();

export interface SharedClock {
  /** Wall-clock milliseconds on Redis's clock, as near as one round trip tells; never less than an earlier answer. */
  now(): number;
  /** Settles once Redis's time was first asked for (answered or not: this process's wall clock is used until it is), or on close. */
  readonly sampled: Promise<void>;
  close(): void;
}

export interface RedisClockOptions {
  /** This process's wall clock, what `now()` is until Redis's time is read (tests give one that is behind). */
  wall?: () => number;
  /** This process's steady clock, which `now()` runs on between readings. */
  local?: () => number;
  sampleEveryMs?: number;
}

/**
 * A clock every process on one Redis agrees on, for what must never go backwards when another
 * process takes over: card sequence numbers (lark/README.md §5.11). Redis's `TIME` is read when
 * opened, every 10 s and after each reconnect; the offset to this process's steady clock is taken
 * at the midpoint of the round trip (off by at most half of it). `now()` is the local clock plus
 * that offset and never goes backwards within the process: a reading that moves it back holds it
 * where it was until the time catches up. Until the first reading, it is this process's wall clock.
 */
export function openRedisClock(client: Redis, opts: RedisClockOptions = {}): SharedClock {
  const local = opts.local ?? steadyNow;
  let offset = (opts.wall ?? Date.now)() - local();
  let last = -Infinity;
  let closed = false;
  let markSampled = (): void => undefined;
  const sampled = new Promise<void>((resolve) => (markSampled = resolve));

  const sample = async (): Promise<void> => {
    if (closed || client.status !== 'ready') return;
    try {
      const before = local();
      const [seconds, micros] = (await client.time()).map(Number);
      const after = local();
      if (after - before > MAX_ROUND_TRIP_MS || seconds === undefined || micros === undefined) return;
      offset = seconds * 1000 + micros / 1000 - (before + after) / 2;
    } catch {
      // Redis away: the last offset stands; the next reading (or the reconnect's) brings it up to date.
    }
    markSampled();
  };
  const onReady = (): void => void sample();
  const timer = setInterval(onReady, opts.sampleEveryMs ?? SAMPLE_EVERY_MS);
  timer.unref();
  const close = (): void => {
    closed = true;
    markSampled();
    clearInterval(timer);
    client.off('ready', onReady);
    client.off('end', close);
  };
  client.on('ready', onReady);
  client.once('end', close);
  void sample();

  return {
    now() {
      last = Math.max(last, local() + offset);
      return last;
    },
    sampled,
    close,
  };
}

const clocks = new WeakMap<Redis, SharedClock>();

/** The shared clock of a connection, opened once (it stops when the connection ends). */
export function redisClock(client: Redis): () => number {
  let clock = clocks.get(client);
  if (!clock) clocks.set(client, (clock = openRedisClock(client)));
  const opened = clock;
  return () => opened.now();
}
