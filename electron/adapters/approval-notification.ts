/**
 * The desktop notification for a tool approval an agent waits for: which events call for one, its
 * text, and the page its click opens. Pure (no Electron import), so it is tested under Node;
 * main.ts shows the `Notification`.
 */
import type { PendingApproval } from '@shared/contract';

export const APPROVAL_NOTIFICATION_TITLE = 'Approval needed';
/** Notification centres cut long bodies anyway, each its own way: one line of at most this many characters. */
export const APPROVAL_NOTIFICATION_MAX = 120;
/** Where the renderer lists the approvals (renderer/src/shell/route.ts: `routeHref('connectors', 'approvals')`). */
export const APPROVALS_HASH = '#/connectors/approvals';

/** The new request an `approvals.changed` event announces; undefined for any other event (a decision, an end). */
export function addedApproval(event: string, payload: unknown): Pick<PendingApproval, 'tool' | 'title'> | undefined {
  if (event !== 'approvals.changed' || typeof payload !== 'object' || payload === null) return undefined;
  const added: unknown = (payload as { added?: unknown }).added;
  if (typeof added !== 'object' || added === null) return undefined;
  const { tool, title } = added as { tool?: unknown; title?: unknown };
  if (typeof tool !== 'string') return undefined;
  return { tool, title: typeof title === 'string' ? title : '' };
}

/** "bash: Delete the notes file" on one line, cut to `max` characters (an ellipsis included). */
export function approvalNotification(
  approval: Pick<PendingApproval, 'tool' | 'title'>,
  max = APPROVAL_NOTIFICATION_MAX,
): { title: string; body: string } {
  const tool = oneLine(approval.tool) || 'A tool';
  const title = oneLine(approval.title);
  const text = title && title !== tool ? `${tool}: ${title}` : tool;
  return { title: APPROVAL_NOTIFICATION_TITLE, body: truncate(text, max) };
}

/** The renderer's URL showing the approvals: `rendererUrl` with its fragment replaced. */
export function approvalsPageUrl(rendererUrl: string): string {
  const url = new URL(rendererUrl);
  url.hash = APPROVALS_HASH;
  return url.href;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Cuts by code points, so an emoji or a CJK surrogate pair is never split. */
function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars
    .slice(0, max - 1)
    .join('')
    .trimEnd()}…`;
}
