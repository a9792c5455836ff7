import { DEFAULT_RETRY, type RetryPolicy } from '../../lark/retry';

/**
 * The timings a bot runs on, each the platform's or a backend's figure (or our margin under it),
 * in one object passed down whole: tests shorten the ones they need without every layer in between
 * naming them. Where they nest: electron/core/README.md "Failures and retries".
 */
export interface BotTuning {
  /** One platform call's retries (lark/retry.ts). */
  retry: RetryPolicy;
  /** An answer that failed on a transient platform error is tried again after this × its attempt number. */
  redeliverDelayMs: number;
  /** Tries per answer before it is given up. */
  maxAttempts: number;
  /** Longest an agent may take to answer; the person is then told so. */
  agentTimeoutMs: number;
  /** The long connection is taken for dead after this long without a pong (the SDK's `pingTimeout`). */
  pingTimeoutSec: number;
  /** A streaming card's streaming is turned on again after this long (the platform ends it after 10 minutes, lark/README.md §5.11). */
  renewStreamingAfterMs: number;
  /** How long the agent's backend waits for a tool approval (the Kocoro daemon's `ApprovalTimeout`, 5 minutes). */
  approvalTimeoutMs: number;
}

export const DEFAULT_TUNING: Readonly<BotTuning> = Object.freeze({
  retry: DEFAULT_RETRY,
  redeliverDelayMs: 30_000,
  maxAttempts: 8,
  agentTimeoutMs: 10 * 60_000,
  pingTimeoutSec: 30,
  renewStreamingAfterMs: 9 * 60_000,
  approvalTimeoutMs: 5 * 60_000,
});

/** The defaults, with what `changes` gives in their place. */
export function tuningWith(changes: Partial<BotTuning> = {}): BotTuning {
  return { ...DEFAULT_TUNING, ...changes };
}
