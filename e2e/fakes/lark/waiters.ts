import type { TimerSet } from './timers.js';
import type { PushRecord } from './types.js';

interface Waiter {
  probe: () => boolean;
  reject: (err: Error) => void;
}

/**
 * Event-driven "wait until" helper. State changes call `notify()`, which re-runs every pending
 * probe; this avoids polling loops in tests and gives one place to reject everything on close.
 */
export class Waiters {
  private readonly pending = new Set<Waiter>();

  constructor(private readonly timers: TimerSet) {}

  /**
   * Resolves with the first non-undefined value returned by `probe`. A probe that throws rejects
   * the wait (used for "this can no longer happen", e.g. a push that gave up).
   */
  until<T>(probe: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        probe: () => {
          let value: T | undefined;
          try {
            value = probe();
          } catch (err) {
            finish();
            reject(err instanceof Error ? err : new Error(String(err)));
            return true;
          }
          if (value === undefined) return false;
          finish();
          resolve(value);
          return true;
        },
        reject: (err) => {
          finish();
          reject(err);
        },
      };
      const timer = this.timers.set(() => {
        waiter.reject(new Error(`fake-lark: timed out after ${timeoutMs} ms waiting for ${describe()}`));
      }, timeoutMs);
      const finish = (): void => {
        this.timers.clear(timer);
        this.pending.delete(waiter);
      };
      this.pending.add(waiter);
      waiter.probe();
    });
  }

  notify(): void {
    for (const waiter of [...this.pending]) waiter.probe();
  }

  rejectAll(reason: string): void {
    for (const waiter of [...this.pending]) waiter.reject(new Error(reason));
  }
}

/** A push as both deliveries (long connection, webhook) keep it: acked, or given up on. */
interface PushState {
  record: PushRecord;
  gaveUp: boolean;
}

/** Until the push is acked; fails once the delivery gave up on it, saying why (`gaveUp`). */
export function untilAcked(
  waiters: Waiters,
  state: PushState,
  timeoutMs: number,
  words: { gaveUp: () => string; waiting: string },
): Promise<PushRecord> {
  return waiters.until(
    () => {
      if (state.record.acked) return state.record;
      if (state.gaveUp) throw new Error(words.gaveUp());
      return undefined;
    },
    timeoutMs,
    () => `${words.waiting} (attempts so far: ${state.record.attempts})`,
  );
}
