import { type LarkApiError, toLarkApiError } from './errors';

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

/**
 * Runs one Open Platform call with the platform's retry rules (lark/README.md §7, §8):
 * 5xx, network errors and rate limits back off exponentially (honouring x-ogw-ratelimit-reset),
 * a rejected tenant token is refreshed once, everything else fails at once.
 */
export async function withLarkRetry<T>(fn: () => Promise<T>, policy: RetryPolicy, hooks: RetryHooks): Promise<T> {
  let tokenRefreshed = false;
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
      const retryable = err.kind === 'transient' || err.kind === 'rate_limit';
      if (!retryable || attempt >= policy.attempts) throw err;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.max(backoff, err.retryAfterMs ?? 0) * (0.8 + Math.random() * 0.4);
      hooks.onRetry?.(err, attempt, Math.round(delay));
      await hooks.sleep(delay);
    }
  }
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
