import { isRetryable, type LarkApiError, toLarkApiError } from './errors';

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 15_000 };

export interface RetryHooks {
  sleep: (ms: number) => Promise<void>;
  /** Called before retrying after a rejected token; must make the next call fetch a new one. */
  onTokenRejected: () => void;
  onRetry?: (err: LarkApiError, attempt: number, delayMs: number) => void;
}

/** Rate-limit answers waited out before giving up: the limiter paces most away, so many in a row mean something is wrong. */
export const RATE_LIMIT_RETRIES = 10;

/**
 * Runs one Open Platform call with the platform's retry rules (lark/README.md §7, §8):
 * 5xx and network errors back off exponentially; a rate limit waits what `x-ogw-ratelimit-reset`
 * says (or backs off when it says nothing) and does not use up an attempt; a rejected tenant token
 * is refreshed once; everything else fails at once.
 */
export async function withLarkRetry<T>(fn: () => Promise<T>, policy: RetryPolicy, hooks: RetryHooks): Promise<T> {
  let tokenRefreshed = false;
  let rateLimited = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (raw) {
      const err = toLarkApiError(raw);
      if (err.kind === 'token' && !tokenRefreshed) {
        tokenRefreshed = true;
        hooks.onTokenRejected();
        attempt--; // a token refresh is not a failed attempt
        continue;
      }
      let delay: number;
      if (err.kind === 'rate_limit' && rateLimited < RATE_LIMIT_RETRIES) {
        rateLimited++;
        attempt--;
        const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (rateLimited - 1));
        // Never sooner than the reset: spread later, so callers that met the limit together do not return together.
        delay = err.retryAfterMs ? err.retryAfterMs * (1 + Math.random() * 0.2) : backoff * (0.8 + Math.random() * 0.4);
      } else {
        // A token rejected again right after a fresh one is not the call's to retry: the answer is redelivered later.
        if (!isRetryable(err) || err.kind === 'token' || attempt >= policy.attempts) throw err;
        const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
        delay = backoff * (0.8 + Math.random() * 0.4);
      }
      hooks.onRetry?.(err, attempt, Math.round(delay));
      await hooks.sleep(delay);
    }
  }
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
