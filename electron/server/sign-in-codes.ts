/**
 * One-time sign-in codes: what a printed, copied or opened link carries instead of the session
 * token. A link ends up in places a secret should not stay (terminal scrollback, a clipboard, a
 * file handed to the browser, the browser's history), so what it carries must be worthless soon:
 * a code is traded once for the session token (`POST /api/session`), and expires unused.
 *
 * - 32 random bytes (256 bits): guessing is hopeless; failed trades are still counted, and past
 *   `MAX_FAILURES` in a minute every trade is refused until the minute is over.
 * - Kept as SHA-256 digests, compared against every outstanding one with `timingSafeEqual` and no
 *   early exit: neither which code nor how much of it matched shows in the timing.
 * - At most `MAX_OUTSTANDING` at once (a new one pushes the oldest out): clicking "new link" in a
 *   loop cannot grow memory.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * How long a link works unused. Long enough for a person: copy it from a terminal, set up an SSH
 * tunnel, paste it into a browser. Short enough that a link left in scrollback, a clipboard
 * manager or a browser's history is dead long before anyone else finds it. A new link is one
 * command (`npm run headless -- --link`) or one click (Settings) away.
 */
export const CODE_TTL_MS = 10 * 60_000;
const MAX_OUTSTANDING = 16;
const MAX_FAILURES = 20;
const FAILURE_WINDOW_MS = 60_000;

export type Redemption = 'ok' | 'refused' | 'too_many';

interface Outstanding {
  readonly digest: Buffer;
  readonly expiresAt: number;
}

export class SignInCodes {
  private outstanding: Outstanding[] = [];
  private failuresAt: number[] = [];
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(opts: { ttlMs?: number; now?: () => number } = {}) {
    this.ttlMs = opts.ttlMs ?? CODE_TTL_MS;
    this.now = opts.now ?? Date.now;
  }

  /** A new code, valid once until `expiresAt` (ms since the epoch). */
  issue(): { code: string; expiresAt: number } {
    const code = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + this.ttlMs;
    this.prune();
    this.outstanding.push({ digest: digest(code), expiresAt });
    if (this.outstanding.length > MAX_OUTSTANDING) this.outstanding.shift();
    return { code, expiresAt };
  }

  /** Trades `candidate`: 'ok' once per issued code, before it expires. */
  redeem(candidate: string): Redemption {
    this.prune();
    if (this.failuresAt.length >= MAX_FAILURES) return 'too_many';
    const presented = digest(candidate);
    let found = -1;
    this.outstanding.forEach((entry, i) => {
      if (timingSafeEqual(entry.digest, presented)) found = i;
    });
    if (found < 0) {
      this.failuresAt.push(this.now());
      return 'refused';
    }
    this.outstanding.splice(found, 1);
    return 'ok';
  }

  private prune(): void {
    const now = this.now();
    this.outstanding = this.outstanding.filter((entry) => entry.expiresAt > now);
    this.failuresAt = this.failuresAt.filter((at) => now - at < FAILURE_WINDOW_MS);
  }
}

function digest(code: string): Buffer {
  return createHash('sha256').update(code, 'utf8').digest();
}
