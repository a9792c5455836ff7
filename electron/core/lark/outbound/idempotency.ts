import { createHash } from 'node:crypto';

/**
 * Every idempotency key the bot sends, derived here and nowhere else. The platform keeps a
 * `uuid` for an hour and answers a repeated send with the message it already made
 * (README.md §5.3 in this folder's parent): at most 50 characters.
 */
const digest = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32);

/** A `post` reply: stable for a given user message and part, so a reply sent just before a crash is not sent twice. */
export function replyUuid(messageId: string, part: number): string {
  return `kocoro-${digest(messageId)}-${part}`;
}

/** The card message: one per card entity, stable across the SDK's own retries of that send. */
export function cardReplyUuid(messageId: string, cardId: string): string {
  return `kocoro-card-${digest(`${messageId}:${cardId}`)}`;
}
