import { type LarkApiError, toLarkApiError } from '../../lark/errors';

export type PlatformCheck = { ok: true } | { ok: false; error: LarkApiError } | { ok: 'closed' };

/**
 * The first check of a bot's credentials, repeated while the Open Platform cannot be reached (the
 * laptop is offline, the Wi-Fi not joined yet): the SDK would then retry its connection only
 * every two minutes, so the bot waits here instead, checking every few seconds, and connects
 * moments after the network is back. `onWaiting` says so once, with the cause.
 */
export async function whenPlatformReachable(opts: {
  check: () => Promise<void>;
  closed: () => boolean;
  onWaiting: (reason: string) => void;
  /** The first check already failed and the caller said so: wait before checking again. */
  alreadyWaiting?: boolean;
  /** Longest pause between two checks (default 3 s): the bot connects within it of the network coming back. */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}): Promise<PlatformCheck> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let delay = 500;
  let said = opts.alreadyWaiting ?? false;
  if (said) await sleep(delay);
  for (;;) {
    if (opts.closed()) return { ok: 'closed' };
    try {
      await opts.check();
      return { ok: true };
    } catch (err) {
      const e = toLarkApiError(err);
      // Anything but "nothing answers" (wrong secret, a platform error) is for the caller to judge.
      if (!e.networkCause) return { ok: false, error: e };
      if (!said) opts.onWaiting(waitingReason(e));
      said = true;
    }
    await sleep(delay);
    delay = Math.min(delay * 2, opts.maxDelayMs ?? 3_000);
  }
}

/** What the bot's status says while the platform cannot be reached. */
export function waitingReason(e: LarkApiError): string {
  return `waiting for the network: the Open Platform could not be reached (${e.networkCause ?? 'no answer'})`;
}

/** One check, its failure as a value. */
export function checkOnce(check: () => Promise<void>): Promise<PlatformCheck> {
  return check().then(
    (): PlatformCheck => ({ ok: true }),
    (err: unknown): PlatformCheck => ({ ok: false, error: toLarkApiError(err) }),
  );
}
