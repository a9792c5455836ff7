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

/**
 * A card message: the answer and the card's place in it (never the card entity's id, which a
 * restart does not know), so a send repeated after a crash returns the message already sent.
 */
export function cardReplyUuid(messageId: string, part: number): string {
  return `kocoro-card-${digest(messageId)}-${part}`;
}

/** An approval card: one per request of the agent's backend, and one more per approver it is sent to. */
export function approvalUuid(requestId: string, approverOpenId?: string): string {
  return approverOpenId ? `kocoro-apra-${digest(`${requestId}\n${approverOpenId}`)}` : `kocoro-apr-${digest(requestId)}`;
}

/** The note that an answer waits for an approval in a direct message: one per request. */
export function approvalNoteUuid(requestId: string): string {
  return `kocoro-aprn-${digest(requestId)}`;
}

const CARD_OP_PREFIX = { content: 'c', settings: 's', update: 'u' } as const;

/**
 * One CardKit operation on a card entity (lark/README.md §5.11): named by the card and the
 * operation's sequence number, which no two operations on a card share, so a retried request is
 * the same operation and a new one never collides with an old one. The SDK's own streaming
 * (`LarkChannel.stream()`) names its operations the same way.
 */
export function cardOpUuid(kind: keyof typeof CARD_OP_PREFIX, cardId: string, sequence: number): string {
  return `${CARD_OP_PREFIX[kind]}_${cardId}_${sequence}`;
}
