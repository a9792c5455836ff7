/**
 * Card JSON 2.0 for a tool approval (lark/README.md §3.5, §5.11): what the agent wants to run, who
 * asked, and Allow / Deny / Always allow buttons whose callbacks name the request. Once decided or
 * ended, the same card without buttons says what became of it.
 */
import type { ApprovalDecision } from '../../agents/provider';
import type { ChatPhrases } from '../../i18n/chat-text';
import type { Sanitize } from './sanitize';

/** `action.value.kocoro` of the approval buttons' callbacks. */
export const APPROVAL_ACTION = 'approval';

export interface ApprovalValue {
  kocoro: typeof APPROVAL_ACTION;
  requestId: string;
  decision: ApprovalDecision;
}

export function isApprovalValue(value: unknown): value is ApprovalValue {
  const v = value as ApprovalValue | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.kocoro === APPROVAL_ACTION &&
    typeof v.requestId === 'string' &&
    (v.decision === 'allow' || v.decision === 'deny' || v.decision === 'always_allow')
  );
}

export interface ApprovalCardView {
  requestId: string;
  tool: string;
  title: string;
  detail: string;
  askerOpenId: string;
  /** The card went to the asker's direct chat for a message they sent in a group. */
  fromGroup: boolean;
  alwaysAllowOffered: boolean;
}

/** How a request ended: decided (by a person in the chat, or in the app), or some other way. */
export type ApprovalEnd =
  | { decision: ApprovalDecision; by: { openId: string } | 'app'; at: number }
  | { ended: 'expired' | 'stopped' | 'finished' | 'elsewhere' | 'botStopped' };

/** The card while it waits for a decision. */
export function approvalCard(view: ApprovalCardView, say: ChatPhrases, sanitize: Sanitize): object {
  const buttons: Array<[ApprovalDecision, string, string]> = [
    ['allow', say('approval.allow'), 'primary_filled'],
    ['deny', say('approval.deny'), 'danger'],
  ];
  if (view.alwaysAllowOffered) buttons.push(['always_allow', say('approval.alwaysAllow'), 'default']);
  return card('orange', say('approval.header'), [
    ...describe(view, say, sanitize),
    markdownEl(say('approval.askedBy', { who: mention(view.askerOpenId) })),
    {
      tag: 'column_set',
      flex_mode: 'flow',
      columns: buttons.map(([decision, label, type]) => ({
        tag: 'column',
        width: 'auto',
        elements: [
          {
            tag: 'button',
            element_id: `apr_${decision}`,
            text: { tag: 'plain_text', content: label },
            type,
            behaviors: [
              { type: 'callback', value: { kocoro: APPROVAL_ACTION, requestId: view.requestId, decision } satisfies ApprovalValue },
            ],
          },
        ],
      })),
    },
  ]);
}

/** The card once the request no longer waits: no buttons, what happened and, when decided, who decided and when. */
export function closedApprovalCard(
  view: ApprovalCardView,
  end: ApprovalEnd,
  say: ChatPhrases,
  sanitize: Sanitize,
  timeZone?: string,
): object {
  if ('ended' in end) return card('grey', say('approval.header'), [...describe(view, say, sanitize), markdownEl(say(ENDED[end.ended]))]);
  const who = end.by === 'app' ? say('approval.byApp') : mention(end.by.openId);
  const time = new Date(end.at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', ...(timeZone ? { timeZone } : {}) });
  const [template, key] = DECIDED[end.decision];
  return card(template, say('approval.header'), [...describe(view, say, sanitize), markdownEl(say(key, { who, time }))]);
}

const ENDED = {
  expired: 'approval.expired',
  stopped: 'approval.stopped',
  finished: 'approval.finished',
  elsewhere: 'approval.elsewhere',
  botStopped: 'approval.botStopped',
} as const;

const DECIDED = {
  allow: ['green', 'approval.allowed'],
  always_allow: ['green', 'approval.alwaysAllowed'],
  deny: ['red', 'approval.denied'],
} as const;

/** What the agent asked for; its words are the agent's, so they go through `sanitize` like an answer. */
function describe(view: ApprovalCardView, say: ChatPhrases, sanitize: Sanitize): object[] {
  const title = sanitize(view.title.replace(/\s+/g, ' ').trim(), true);
  // Inside a code block, so nothing in it renders as markup; a fence in it cannot close the block.
  const detail = sanitize(view.detail, true).replace(/```/g, "'''");
  return [
    ...(view.fromGroup ? [markdownEl(`_${say('approval.fromGroup')}_`)] : []),
    markdownEl(`**${title}**`),
    markdownEl(`${say('approval.tool')}: **${sanitize(view.tool, true)}**${detail ? `\n\`\`\`\n${detail}\n\`\`\`` : ''}`),
  ];
}

/** Added after sanitizing (which makes mentions inert): the one mention the bot itself writes, of the asker or decider. */
function mention(openId: string): string {
  return /^ou_[A-Za-z0-9_-]+$/.test(openId) ? `<at id=${openId}></at>` : openId.replace(/[<>]/g, '');
}

function markdownEl(content: string): object {
  return { tag: 'markdown', content };
}

function card(template: string, title: string, elements: object[]): object {
  return {
    schema: '2.0',
    config: { update_multi: true, summary: { content: title } },
    header: { template, title: { tag: 'plain_text', content: title } },
    body: { elements },
  };
}
