import { json } from './http-util.js';
import type { HttpReply } from './http-util.js';
import { hex } from './ids.js';

/**
 * Which scopes each REST surface needs (any one suffices, lark/README.md §6). Send/reply lists the two scopes of the
 * captured 99991672 response (lark/README.md §6); resources list all three of lark/README.md §5.8.
 */
export const SCOPES = {
  send: ['im:message', 'im:message:send_as_bot'],
  messageRead: ['im:message', 'im:message:readonly'],
  reactions: ['im:message', 'im:message.reactions:write_only'],
  resources: ['im:message', 'im:message:readonly', 'im:message.history:readonly'],
  cardkit: ['cardkit:card:write'],
  contact: ['contact:contact.base:readonly', 'contact:contact:readonly_as_app', 'contact:contact:readonly'],
  chats: ['im:chat', 'im:chat:readonly'],
  appInfo: ['application:application:self_manage', 'admin:app.info:readonly'],
} as const satisfies Record<string, readonly string[]>;

/**
 * What `application/v6/scopes` lists as "requested by the app version" (lark/README.md §5.12, §5.13): the
 * user guide's 10 scopes (an app set up by the guide), and the reactions write scope.
 */
const REQUESTED_SCOPES = [
  'im:message.reactions:read',
  'im:message',
  'im:message:send_as_bot',
  'im:message:readonly',
  'im:message.p2p_msg:readonly',
  'im:message.group_at_msg:readonly',
  'im:message.reactions:write_only',
  'im:resource',
  'cardkit:card:write',
  'contact:user.base:readonly',
  'contact:contact.base:readonly',
];

/** Per-app granted scopes; an app without an entry has every scope. */
export class ScopeGrants {
  private readonly granted = new Map<string, Set<string>>();

  set(appId: string, scopes: readonly string[] | undefined): void {
    if (scopes === undefined) this.granted.delete(appId);
    else this.granted.set(appId, new Set(scopes));
  }

  /** Undefined when the app holds at least one of `anyOf`; else the 99991672 reply. */
  check(appId: string, anyOf: readonly string[]): HttpReply | undefined {
    const granted = this.granted.get(appId);
    if (!granted || anyOf.some((s) => granted.has(s))) return undefined;
    return scopeDenied(appId, anyOf);
  }

  /** The scopes the app's version asks for: the product's set plus any granted beyond it. */
  requested(appId: string): string[] {
    return [...new Set([...REQUESTED_SCOPES, ...(this.granted.get(appId) ?? [])])];
  }

  /** lark/README.md §5.12 `data.scopes[]`: 1 granted, 2 not granted; `scope_type` as in the SDK typings (all app-identity here). */
  list(appId: string): Array<{ scope_name: string; grant_status: 1 | 2; scope_type: 'tenant' }> {
    const granted = this.granted.get(appId);
    return this.requested(appId).map((scope_name) => ({
      scope_name,
      grant_status: !granted || granted.has(scope_name) ? 1 : 2,
      scope_type: 'tenant',
    }));
  }
}

/** lark/README.md §6: the console link, scopes comma-joined and not URL-encoded. */
export const scopeGrantUrl = (appId: string, scopes: readonly string[]): string =>
  `https://open.feishu.cn/app/${appId}/auth?q=${scopes.join(',')}&op_from=openapi&token_type=tenant`;

/** The 99991672 body of lark/README.md §6 (bilingual `msg` with the link, violations, helps); HTTP 400 as captured. */
export function scopeDenied(appId: string, scopes: readonly string[]): HttpReply {
  const link = scopeGrantUrl(appId, scopes);
  const logId = hex(32).toUpperCase();
  return json(
    400,
    {
      code: 99991672,
      msg:
        `Access denied. One of the following scopes is required: [${scopes.join(', ')}].` +
        `应用尚未开通所需的应用身份权限：[${scopes.join(',')}]，点击链接申请并开通任一权限即可：${link}`,
      error: {
        log_id: logId,
        message:
          'Refer to the documentation to fix the error: https://open.feishu.cn/document/uAjLw4CM/ugTN1YjL4UTN24CO1UjN/trouble-shooting/how-to-fix-the-99991672-error',
        permission_violations: scopes.map((subject) => ({ type: 'action_scope_required', subject })),
        helps: [{ url: link, description: 'Learn more about scopes and how to add them.' }],
      },
    },
    { 'x-tt-logid': logId },
  );
}
