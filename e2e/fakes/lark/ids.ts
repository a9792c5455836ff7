import { createHash, randomBytes } from 'node:crypto';

/** Random lowercase hex of `chars` characters. */
export function hex(chars: number): string {
  return randomBytes(Math.ceil(chars / 2))
    .toString('hex')
    .slice(0, chars);
}

/**
 * Stable id derived from a seed, so the same user or chat gets the same id in every test run
 * and across calls (e.g. a p2p chat id for an open_id that never messaged the bot).
 */
export function derivedHex(seed: string, chars = 32): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, chars);
}

// Prefixes follow the real id families (lark/README.md §3.2, §5.3): om_ message, oc_ chat, ou_ open_id,
// on_ union_id, omt_ thread, t- tenant token, c- card-update token.
export const newMessageId = (): string => `om_${hex(32)}`;
export const newEventId = (): string => hex(32);
export const newThreadId = (): string => `omt_${hex(11)}`;
export const newTenantToken = (): string => `t-${hex(40)}`;
export const newCardToken = (): string => `c-${hex(40)}`;
export const newTraceId = (): string => hex(16);
