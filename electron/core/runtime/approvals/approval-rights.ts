import type { BotConfig } from '@shared/config-schema';
import type { ApprovalDecision } from '../../agents/provider';

/** Who decides: a person by their open_id (a card's button), or the app itself (its list, its notification). */
export type Decider = { openId: string } | 'app';

/**
 * Why a person may not make a decision: `askerMayOnlyDeny` (the asker pressed Allow), `approversOnly`
 * (Always allow from anyone but an approver), `notInvolved` (neither the asker nor an approver),
 * `inAppOnly` (Allow from a card whose request was too long to show whole there).
 */
export type Refusal = 'askerMayOnlyDeny' | 'approversOnly' | 'notInvolved' | 'inAppOnly';

/**
 * Who may decide a tool approval (README "Tool approvals", "Security"). The tool runs on the
 * computer of the bot's owner, with the owner's files and accounts, so allowing it is the owner's
 * call: the app (the owner at their computer) and the bot's **approvers** (people the owner named)
 * may Allow and Always allow. The person who asked may always Deny their own request — refusing
 * never runs anything — and may Allow it only where the owner turned on `askersMayApprove`.
 * Always allow changes what the owner's agent does for everyone, so it is only ever an approver's.
 * Anyone else in the chat may decide nothing. `shownWhole`: the card showed the whole call (one
 * too long for a card is allowed only where it is shown whole: the app).
 */
export function mayDecide(
  decision: ApprovalDecision,
  by: Decider,
  request: { askerOpenId: string; shownWhole: boolean },
  bot: Pick<BotConfig, 'approvers' | 'askersMayApprove'>,
): Refusal | undefined {
  if (by === 'app') return undefined;
  const approver = (bot.approvers ?? []).includes(by.openId);
  const asker = by.openId === request.askerOpenId;
  if (!approver && !asker) return 'notInvolved';
  if (decision === 'deny') return undefined;
  if (!request.shownWhole) return 'inAppOnly';
  if (approver) return undefined;
  if (decision === 'always_allow') return 'approversOnly';
  return bot.askersMayApprove ? undefined : 'askerMayOnlyDeny';
}

/** Which buttons a card offers to the people who can see it: only decisions one of them may make. */
export function buttonsFor(
  seenBy: 'asker' | 'approver' | 'chat',
  request: { alwaysAllowOffered: boolean; shownWhole: boolean; askerIsApprover: boolean },
  bot: Pick<BotConfig, 'approvers' | 'askersMayApprove'>,
): ApprovalDecision[] {
  const always: ApprovalDecision[] = request.alwaysAllowOffered ? ['always_allow'] : [];
  if (!request.shownWhole) return ['deny'];
  // A group chat: the asker and any approver in it may press; the card offers what an approver may.
  const approverSees = seenBy === 'approver' || request.askerIsApprover || (seenBy === 'chat' && (bot.approvers ?? []).length > 0);
  if (approverSees) return ['allow', 'deny', ...always];
  return bot.askersMayApprove ? ['allow', 'deny'] : ['deny'];
}
