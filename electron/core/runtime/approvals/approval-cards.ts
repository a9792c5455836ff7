import type { ChatPhrases } from '../../i18n/chat-text';
import { toLarkApiError } from '../../lark/errors';
import type { InboundMessage } from '../../lark/inbound';
import { type ApprovalCardView, type ApprovalEnd, approvalCard, closedApprovalCard } from '../../lark/outbound/approval-card';
import { type CardDestination, type CardEntity, CardHandle, type CardKitApi } from '../../lark/outbound/card-handle';
import { approvalUuid } from '../../lark/outbound/idempotency';
import type { Sanitize } from '../../lark/outbound/sanitize';
import type { Logger } from '../../log/logger';

export interface ApprovalCardDeps {
  api: CardKitApi;
  log: Logger;
  say: () => ChatPhrases;
  sanitize: Sanitize;
  /** A card entity of the request was made or closed: the set of cards to close after a crash changed. */
  changed: (requestId: string) => void;
}

/** An approval card this bot sent whose request may still be open: kept so a restart after a crash closes it. */
export interface KeptApprovalCard extends CardEntity {
  requestId: string;
  view: ApprovalCardView;
}

/** One card of a request: the asker's (in the chat, or their direct chat), or an approver's copy. */
export interface SentCard {
  view: ApprovalCardView;
  /** The approver it was sent to; none for the asker's card. */
  approver?: string;
  handle: CardHandle;
  /** Sending it, then closing it: a close waits until the card is sent (or failed to be). */
  ops: Promise<void>;
}

export function newCard(deps: Pick<ApprovalCardDeps, 'api'>, view: ApprovalCardView, approver?: string): SentCard {
  return { view, ...(approver ? { approver } : {}), handle: new CardHandle({ api: deps.api }), ops: Promise.resolve() };
}

/**
 * Creates the card and sends it where its readers are: an approver's copy to their direct chat
 * with the bot, the asker's as a reply in their thread or (`dm`) to their direct chat. A card that
 * cannot be sent is logged: the request's other cards and the app's list can still decide it.
 */
export async function sendApprovalCard(
  deps: ApprovalCardDeps,
  requestId: string,
  card: SentCard,
  message: InboundMessage,
  where: 'chat' | 'dm',
): Promise<void> {
  try {
    await card.handle.create(approvalCard(card.view, deps.say(), deps.sanitize));
    deps.changed(requestId);
    const asker: CardDestination =
      where === 'dm'
        ? { toUser: message.sender.openId }
        : { replyTo: { messageId: message.messageId, inThread: Boolean(message.threadId), chatId: message.chatId } };
    // The uuid names the request (and the approver): a send repeated by a retry is the same message.
    await card.handle.send(card.approver ? { toUser: card.approver } : asker, approvalUuid(requestId, card.approver));
  } catch (err) {
    deps.log.log('warn', 'approval.card_failed', {
      requestId,
      ...(card.approver ? { approver: card.approver } : {}),
      error: toLarkApiError(err).message,
      fallback: 'decide in the app',
    });
  }
}

/** After whatever the card is doing, it says how its request ended, without buttons. */
export function closeApprovalCard(deps: ApprovalCardDeps, requestId: string, card: SentCard, end: ApprovalEnd): void {
  card.ops = card.ops.then(async () => {
    if (!card.handle.cardId) return;
    try {
      await card.handle.update(closedApprovalCard(card.view, end, deps.say(), deps.sanitize));
    } catch (err) {
      deps.log.log('warn', 'approval.card_failed', { requestId, error: toLarkApiError(err).message });
    }
    deps.changed(requestId);
  });
}

/**
 * A card a crashed run left open (this process's last run, or a replica that is gone): its request
 * died with that run, and it says so now. False when it could not be updated.
 */
export async function closeKeptCard(deps: ApprovalCardDeps, kept: KeptApprovalCard): Promise<boolean> {
  try {
    const card = new CardHandle({ api: deps.api }, kept);
    await card.update(closedApprovalCard(kept.view, { ended: 'botStopped' }, deps.say(), deps.sanitize));
    return true;
  } catch (err) {
    deps.log.log('warn', 'approval.card_failed', { requestId: kept.requestId, error: toLarkApiError(err).message });
    return false;
  }
}
