import { describe, expect, it } from 'vitest';
import { chatPhrases } from '../../i18n/chat-text';
import { type ApprovalCardView, approvalCard, approvalCardFits, closedApprovalCard } from './approval-card';
import { outboundSanitizer } from './sanitize';

const say = chatPhrases('en');
const sanitize = outboundSanitizer(undefined);
const view = (detail: string, extra: Partial<ApprovalCardView> = {}): ApprovalCardView => ({
  requestId: 'apr_1',
  tool: 'bash',
  title: 'Clean up',
  detail,
  askerOpenId: 'ou_asker',
  fromGroup: false,
  alwaysAllowOffered: true,
  ...extra,
});
const json = (card: object) => JSON.stringify(card);
const elements = (card: object) => (card as { body: { elements: Array<Record<string, unknown>> } }).body.elements;

describe('the approval card', () => {
  it('shows a short command inline in a code block, and a long one whole inside a folded panel that says how long it is', () => {
    expect(json(approvalCard(view('rm notes.txt'), say, sanitize))).toContain('```\\nrm notes.txt\\n```');
    const long = `echo ${'y'.repeat(715)}`;
    const card = approvalCard(view(long), say, sanitize);
    const panel = elements(card).find((e) => e.tag === 'collapsible_panel') as { expanded: boolean; elements: Array<{ content: string }> };
    expect(panel.expanded).toBe(false);
    expect(panel.elements[0]!.content).toBe(`\`\`\`\n${long}\n\`\`\``);
    expect(json(card)).toContain('720 characters on 1 line(s)');
  });

  it('shows arguments holding a code fence as plain text, unchanged', () => {
    const detail = 'printf "```\\n<at id=all></at>"';
    const card = approvalCard(view(detail), say, (t) => t);
    expect(elements(card)).toContainEqual({ tag: 'div', text: { tag: 'plain_text', content: detail } });
  });

  it('says when values were hidden and invisible characters marked', () => {
    const text = json(approvalCard(view('x ***', { hidden: 1, invisible: 2 }), say, sanitize));
    expect(text).toContain('1 value(s) that look like secrets are shown as ***.');
    expect(text).toContain('2 invisible or text-reordering character(s)');
  });

  it('a call too large for a card does not fit; its card says it is allowed in the app, and offers only what is given', () => {
    expect(approvalCardFits(view('z'.repeat(10_000)), say, sanitize)).toBe(true);
    expect(approvalCardFits(view('z'.repeat(40_000)), say, sanitize)).toBe(false);
    const card = approvalCard(view('', { tooLong: 40_000, buttons: ['deny'], waitsFor: 'owner' }), say, sanitize);
    expect(json(card)).toContain('too long to show in a card (40,000 characters)');
    expect(json(card)).toContain("Waiting for the owner's approval in the Kocoro app; <at id=ou_asker></at> may deny it.");
    expect([...json(card).matchAll(/"element_id":"apr_(\w+)"/g)].map((m) => m[1])).toEqual(['deny']);
  });

  it("an approver's copy says who asked, where and what; a closed card has no buttons", () => {
    const card = approvalCard(view('ls', { forApprover: { where: 'group', question: 'tidy up please' } }), say, sanitize);
    expect(json(card)).toContain('<at id=ou_asker></at> asked in a group chat: “tidy up please”');
    const closed = closedApprovalCard(view('ls'), { decision: 'deny', by: { openId: 'ou_asker' }, at: 0 }, say, sanitize, 'UTC');
    expect(json(closed)).not.toContain('apr_');
    expect(json(closed)).toContain('Denied by <at id=ou_asker></at> at 00:00.');
  });
});
