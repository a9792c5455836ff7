import type { ChatPhrases } from '../i18n/chat-text';
import type { LarkApi } from '../lark/api';
import { toLarkApiError } from '../lark/errors';
import type { InboundMessage } from '../lark/inbound';
import { type ApprovalCardView, type ApprovalEnd, approvalCard, closedApprovalCard } from '../lark/outbound/approval-card';
import { approvalUuid } from '../lark/outbound/idempotency';
import type { Sanitize } from '../lark/outbound/sanitize';
import type { Logger } from '../log/logger';

export interface ApprovalCardDeps {
  api: Pick<LarkApi, 'createCard' | 'replyMessage' | 'sendToUser' | 'updateCard'>;
  log: Logger;
  say: () => ChatPhrases;
  sanitize: Sanitize;
  /** A card entity was made or closed: the set of cards to close after a crash changed. */
  changed: () => void;
}

/** An approval card this bot sent whose request may still be open: kept so a restart after a crash closes it. */
export interface KeptApprovalCard {
  requestId: string;
  cardId: string;
  createdAt: number;
  view: ApprovalCardView;
}

/** One card of a request: the asker's (in the chat, or their direct chat), or an approver's copy. */
export interface SentCard {
  view: ApprovalCardView;
  /** The approver it was sent to; none for the asker's card. */
  approver?: string;
  /** The card entity, once created; its operations run in order on `ops`. */
  cardId?: string;
  createdAt: number;
  sequence: number;
  ops: Promise<void>;
}

export function newCard(view: ApprovalCardView, createdAt: number, approver?: string): SentCard {
  return { view, ...(approver ? { approver } : {}), createdAt, sequence: 0, ops: Promise.resolve() };
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
    card.cardId = await deps.api.createCard(approvalCard(card.view, deps.say(), deps.sanitize));
    deps.changed();
    const content = JSON.stringify({ type: 'card', data: { card_id: card.cardId } });
    // The uuid names the request (and the approver): a send repeated by a retry is the same message.
    const uuid = approvalUuid(requestId, card.approver);
    if (card.approver) await deps.api.sendToUser(card.approver, { msgType: 'interactive', content, uuid });
    else if (where === 'dm') await deps.api.sendToUser(message.sender.openId, { msgType: 'interactive', content, uuid });
    else {
      await deps.api.replyMessage(message.messageId, {
        msgType: 'interactive',
        content,
        uuid,
        replyInThread: Boolean(message.threadId),
        chatId: message.chatId,
      });
    }
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
    if (!card.cardId) return;
    // A whole-card update with the next sequence number (tenths of a second since creation, strictly increasing).
    card.sequence = Math.max(card.sequence + 1, Math.floor((Date.now() - card.createdAt) / 100) + 1);
    try {
      await deps.api.updateCard(card.cardId, closedApprovalCard(card.view, end, deps.say(), deps.sanitize), card.sequence);
    } catch (err) {
      deps.log.log('warn', 'approval.card_failed', { requestId, error: toLarkApiError(err).message });
    }
    deps.changed();
  });
}

/** A card a crashed run left open: its request died with that run, and it says so now. False when it could not be updated. */
export async function closeKeptCard(deps: ApprovalCardDeps, kept: KeptApprovalCard): Promise<boolean> {
  const sequence = Math.floor((Date.now() - kept.createdAt) / 100) + 1;
  try {
    await deps.api.updateCard(kept.cardId, closedApprovalCard(kept.view, { ended: 'botStopped' }, deps.say(), deps.sanitize), sequence);
    return true;
  } catch (err) {
    deps.log.log('warn', 'approval.card_failed', { requestId: kept.requestId, error: toLarkApiError(err).message });
    return false;
  }
}
