import { describe, expect, it } from 'vitest';
import type { PendingApproval } from '@shared/contract';
import { addedApproval, approvalNotification, approvalsPageUrl, APPROVAL_NOTIFICATION_MAX } from './approval-notification';

const approval: PendingApproval = {
  botId: 'team-bot',
  requestId: 'apr_0123456789abcdef',
  chatId: 'oc_dm',
  chatType: 'p2p',
  askerOpenId: 'ou_asker',
  question: 'please delete my notes',
  tool: 'bash',
  title: 'Delete the notes file',
  detail: 'rm notes.txt',
  hidden: 0,
  invisible: 0,
  alwaysAllowOffered: true,
  since: 0,
};

describe('approval notification', () => {
  it('is shown for a new request only, not for a decision or another event', () => {
    expect(addedApproval('approvals.changed', { added: approval })).toEqual({ tool: 'bash', title: 'Delete the notes file' });
    expect(addedApproval('approvals.changed', {})).toBeUndefined();
    expect(addedApproval('approvals.changed', undefined)).toBeUndefined();
    expect(addedApproval('approvals.changed', { added: { title: 'no tool' } })).toBeUndefined();
    expect(addedApproval('bots.changed', { added: approval })).toBeUndefined();
  });

  it('says the tool and what it would do', () => {
    expect(approvalNotification(approval)).toEqual({ title: 'Approval needed', body: 'bash: Delete the notes file' });
    // The daemon's title is the tool's name when the call has no description.
    expect(approvalNotification({ tool: 'bash', title: 'bash' }).body).toBe('bash');
    expect(approvalNotification({ tool: 'bash', title: '' }).body).toBe('bash');
    expect(approvalNotification({ tool: 'web_fetch', title: 'Fetch\n  the  page\t' }).body).toBe('web_fetch: Fetch the page');
  });

  it(`is cut to ${APPROVAL_NOTIFICATION_MAX} characters, never inside a character`, () => {
    const long = approvalNotification({ tool: 'bash', title: 'x'.repeat(500) }).body;
    expect(Array.from(long)).toHaveLength(APPROVAL_NOTIFICATION_MAX);
    expect(long.endsWith('x…')).toBe(true);
    const emoji = approvalNotification({ tool: 'bash', title: '😀'.repeat(200) }).body;
    expect(Array.from(emoji)).toHaveLength(APPROVAL_NOTIFICATION_MAX);
    expect(emoji).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    const exact = 'y'.repeat(APPROVAL_NOTIFICATION_MAX - 'bash: '.length);
    expect(approvalNotification({ tool: 'bash', title: exact }).body).toBe(`bash: ${exact}`);
  });

  it("opens the Connectors page's approvals section", () => {
    expect(approvalsPageUrl('app://kocoro/index.html')).toBe('app://kocoro/index.html#/connectors/approvals');
    expect(approvalsPageUrl('http://localhost:5173/#/agents')).toBe('http://localhost:5173/#/connectors/approvals');
  });
});
