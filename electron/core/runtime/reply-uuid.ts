import { createHash } from 'node:crypto';

/** The reply's idempotency key: ≤ 50 characters (docs §5.3), stable for a given message and part. */
export function replyUuid(messageId: string, part: number): string {
  return `kocoro-${createHash('sha256').update(messageId).digest('hex').slice(0, 32)}-${part}`;
}
