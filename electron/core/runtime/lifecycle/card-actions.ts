import { type CardActionAnswer, parseCardAction } from '../../lark/card-action';
import { APPROVAL_ACTION } from '../../lark/outbound/approval-card';
import type { Logger } from '../../log/logger';
import type { ApprovalDesk } from '../approvals/approval-desk';
import type { StopControl } from '../answer/stop-control';

/**
 * A press of one of the bot's card buttons (`card.action.trigger`, lark/README.md §2.12, §3.5),
 * read once and handed to what the button belongs to: an approval card's to the approval desk
 * (once the bot's folder is open), the Stop button's to stop control. The answer travels in the
 * ack, within the platform's 3 s; a callback that is not one of the bot's buttons is only
 * acknowledged.
 */
export async function answerCardAction(
  data: unknown,
  to: { desk: ApprovalDesk | undefined; stop: StopControl; log: Logger },
): Promise<CardActionAnswer> {
  const parsed = parseCardAction(data);
  if (!parsed.ok) {
    to.log.log('warn', 'card.action_malformed', { error: parsed.error });
    return {};
  }
  const { value, operatorOpenId } = parsed.action;
  if (value.kocoro === APPROVAL_ACTION) return to.desk ? to.desk.onCardAction({ value, operatorOpenId }) : {};
  return to.stop.onCardAction({ value, operatorOpenId });
}
