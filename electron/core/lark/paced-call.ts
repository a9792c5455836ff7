import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '../log/logger';
import { fromCode } from './errors';
import { API_WINDOWS, CARD_TEXT_BUCKET, type CallLimiter, localLimiter, type RateKey } from './rate-limiter';
import { type RetryPolicy, withLarkRetry } from './retry';

export interface LarkCallObserver {
  /** A call waited `waitedMs` for room under the platform's limits before it was made. */
  paced?: (op: string, waitedMs: number) => void;
  /** The platform answered a call with a rate limit (99991400 / 429, 230020); it is retried after the wait. */
  rateLimited?: (op: string, code: number | undefined, waitMs: number) => void;
}

/**
 * A check made before every attempt of the calls started inside `guardCalls` (a retry's too, after
 * its wait): it throws when the call must not be made any more. runtime/answer/fenced-api.ts uses
 * it for a chat lease that ran out while a call waited, slept or retried.
 */
const attemptGuard = new AsyncLocalStorage<() => void>();

export function guardCalls<T>(check: () => void, fn: () => T): T {
  return attemptGuard.run(check, fn);
}

/** lark/README.md §7: "operation triggers the frequency limit", the per-user / per-group 5 QPS of sending. */
const CHAT_RATE_LIMIT = 230020;

/**
 * Makes one app's Open Platform calls: each waits for room under the app's rate limits (one
 * limiter for all its chats and cards: this process's, or one shared by every replica of the app),
 * then runs with the platform's retry rules. A rate-limit answer holds back every call under the
 * same key until its reset (230020 is about one chat: only that chat waits).
 */
export class PacedCaller {
  private readonly limiter: CallLimiter;

  constructor(
    private readonly opts: {
      /** Where the calls wait for room; this process's own limiter when absent. */
      limiter?: CallLimiter;
      retry: RetryPolicy;
      sleep: (ms: number) => Promise<void>;
      logger: Logger;
      observer?: LarkCallObserver;
      /** Makes the next call fetch a new tenant token. */
      onTokenRejected: () => void;
    },
  ) {
    this.limiter = opts.limiter ?? localLimiter();
  }

  /** `op` names the API (its own limits); `chat` adds the receiving chat's, for sends and replies. */
  async call<T extends { code?: number; msg?: string }>(op: string, fn: () => Promise<T>, chat?: RateKey): Promise<T> {
    return this.run(op, fn, chat, false);
  }

  /**
   * A call that need not happen now (streamed card text): made at once when the app's limits have
   * room, else not made at all and the answer is the milliseconds after which to try again; it
   * never waits in line, so it never holds up the calls that must happen (a card's final text).
   */
  async callIfRoom<T extends { code?: number; msg?: string }>(op: string, fn: () => Promise<T>): Promise<{ retryInMs: number }> {
    const wait = await this.limiter.tryAcquire([this.apiKey(op)]);
    if (wait > 0) {
      this.opts.observer?.paced?.(op, wait);
      return { retryInMs: wait };
    }
    await this.run(op, fn, undefined, true);
    return { retryInMs: 0 };
  }

  private apiKey(op: string): RateKey {
    return op === 'cardkit.content' ? { key: op, windows: API_WINDOWS, bucket: CARD_TEXT_BUCKET } : { key: op, windows: API_WINDOWS };
  }

  private async run<T extends { code?: number; msg?: string }>(
    op: string,
    fn: () => Promise<T>,
    chat: RateKey | undefined,
    granted: boolean,
  ): Promise<T> {
    const apiKey = this.apiKey(op);
    const keys = chat ? [apiKey, chat] : [apiKey];
    const { observer, logger } = this.opts;
    let first = granted;
    return withLarkRetry(
      async () => {
        // A retry waits its turn like any call.
        if (first) first = false;
        else {
          const waited = await this.limiter.acquire(keys);
          if (waited > 0) observer?.paced?.(op, waited);
        }
        // Checked before every attempt, a retry's too: the caller may no longer be the one to make it.
        attemptGuard.getStore()?.();
        const res = await fn();
        // Some failures come back as HTTP 200 with a non-zero code.
        if (typeof res?.code === 'number' && res.code !== 0) throw fromCode(res.code, res.msg ?? '');
        return res;
      },
      this.opts.retry,
      {
        sleep: this.opts.sleep,
        onTokenRejected: this.opts.onTokenRejected,
        onRetry: (err, attempt, delayMs) => {
          if (err.kind === 'rate_limit') {
            // The chat's limit is per second: its window is over a second after the refused call at the latest.
            if (err.code === CHAT_RATE_LIMIT && chat) this.limiter.pause(chat.key, Math.max(delayMs, 1_000));
            else this.limiter.pause(apiKey.key, err.retryAfterMs ?? delayMs);
            observer?.rateLimited?.(op, err.code, delayMs);
          }
          logger.log('warn', 'lark.retry', { op, attempt, delayMs, code: err.code, error: err.platformMessage });
        },
      },
    );
  }
}
