import { describe, expect, it } from 'vitest';
import { buttonsFor, mayDecide } from './approval-rights';

const ASKER = 'ou_asker';
const APPROVER = 'ou_approver';
const BYSTANDER = 'ou_bystander';
const request = { askerOpenId: ASKER, shownWhole: true };
const withApprover = { approvers: [APPROVER] };

describe('who may decide a tool approval', () => {
  it('by default only approvers allow; the asker may only deny their own request; a bystander nothing', () => {
    expect(mayDecide('allow', { openId: APPROVER }, request, withApprover)).toBeUndefined();
    expect(mayDecide('always_allow', { openId: APPROVER }, request, withApprover)).toBeUndefined();
    expect(mayDecide('allow', { openId: ASKER }, request, withApprover)).toBe('askerMayOnlyDeny');
    expect(mayDecide('always_allow', { openId: ASKER }, request, withApprover)).toBe('approversOnly');
    expect(mayDecide('deny', { openId: ASKER }, request, withApprover)).toBeUndefined();
    for (const decision of ['allow', 'deny', 'always_allow'] as const)
      expect(mayDecide(decision, { openId: BYSTANDER }, request, withApprover)).toBe('notInvolved');
  });

  it('with askersMayApprove the asker may allow once, never Always allow', () => {
    const bot = { approvers: [APPROVER], askersMayApprove: true };
    expect(mayDecide('allow', { openId: ASKER }, request, bot)).toBeUndefined();
    expect(mayDecide('always_allow', { openId: ASKER }, request, bot)).toBe('approversOnly');
    expect(mayDecide('allow', { openId: BYSTANDER }, request, bot)).toBe('notInvolved');
  });

  it('the app (the owner at the computer) always may; a call too long for the card is allowed only there', () => {
    expect(mayDecide('always_allow', 'app', request, {})).toBeUndefined();
    expect(mayDecide('allow', 'app', { ...request, shownWhole: false }, {})).toBeUndefined();
    expect(mayDecide('allow', { openId: APPROVER }, { ...request, shownWhole: false }, withApprover)).toBe('inAppOnly');
    expect(mayDecide('deny', { openId: APPROVER }, { ...request, shownWhole: false }, withApprover)).toBeUndefined();
  });

  it("a card offers only what its readers may press: the asker's own chat only Deny, an approver's all", () => {
    const r = { alwaysAllowOffered: true, shownWhole: true, askerIsApprover: false };
    expect(buttonsFor('asker', r, withApprover)).toEqual(['deny']);
    expect(buttonsFor('asker', r, { ...withApprover, askersMayApprove: true })).toEqual(['allow', 'deny']);
    expect(buttonsFor('asker', { ...r, askerIsApprover: true }, withApprover)).toEqual(['allow', 'deny', 'always_allow']);
    expect(buttonsFor('approver', r, withApprover)).toEqual(['allow', 'deny', 'always_allow']);
    expect(buttonsFor('chat', r, withApprover)).toEqual(['allow', 'deny', 'always_allow']);
    expect(buttonsFor('chat', r, {})).toEqual(['deny']);
    expect(buttonsFor('approver', { ...r, shownWhole: false }, withApprover)).toEqual(['deny']);
    expect(buttonsFor('approver', { ...r, alwaysAllowOffered: false }, withApprover)).toEqual(['allow', 'deny']);
  });
});
