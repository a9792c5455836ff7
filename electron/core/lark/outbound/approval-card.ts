/**
 * Card JSON 2.0 for a tool approval (lark/README.md §3.5, §5.11): what the agent wants to run —
 * whole, never cut (a collapsed panel where long) —, who asked, who may decide, and the buttons
 * this card's readers may press, whose callbacks name the request. Once decided or ended, the same
 * card without buttons says what became of it.
 */
import { z } from 'zod';
import type { ApprovalDecision } from '../../agents/provider';
import type { ChatPhrases } from '../../i18n/chat-text';
import { CARD_JSON_BUDGET_BYTES } from './card-json';
import type { Sanitize } from './sanitize';

/** `action.value.kocoro` of the approval buttons' callbacks. */
export const APPROVAL_ACTION = 'approval';

export interface ApprovalValue {
  kocoro: typeof APPROVAL_ACTION;
  requestId: string;
  decision: ApprovalDecision;
}

const decisionSchema = z.enum(['allow', 'deny', 'always_allow']);

/** One card of a request, as kept in the bot's state (state.json) to close it after a crash. Optional fields are absent on cards kept by earlier versions. */
export const approvalCardViewSchema = z.object({
  requestId: z.string(),
  tool: z.string(),
  title: z.string(),
  /** The call's arguments as runtime/tool-call-view.ts shows them: whole. */
  detail: z.string(),
  askerOpenId: z.string(),
  /** The card went to the asker's direct chat for a message they sent in a group. */
  fromGroup: z.boolean(),
  alwaysAllowOffered: z.boolean(),
  /** Values shown as `***`, invisible characters shown as `⟦U+…⟧`: said on the card. */
  hidden: z.number().optional(),
  invisible: z.number().optional(),
  /** The buttons this card offers; absent: all of them (cards of earlier versions). */
  buttons: z.array(decisionSchema).optional(),
  /** Whose decision the request waits for, said to the asker: the bot's approvers, or the owner in the app (no approvers). */
  waitsFor: z.enum(['approvers', 'owner']).optional(),
  /** The call was too long for a card (`detail` then left empty; this many characters): allowed only in the app, which shows it whole. */
  tooLong: z.number().optional(),
  /** An approver's copy, in their direct chat with the bot: where the asker asked, and what. */
  forApprover: z.object({ where: z.enum(['group', 'p2p']), question: z.string() }).optional(),
});
export type ApprovalCardView = z.infer<typeof approvalCardViewSchema>;

/** How a request ended: decided (by a person in the chat, or in the app), or some other way. */
export type ApprovalEnd =
  | { decision: ApprovalDecision; by: { openId: string } | 'app'; at: number }
  | { ended: 'expired' | 'stopped' | 'finished' | 'elsewhere' | 'botStopped' };

/** Arguments longer than this, or of more lines, are folded into a panel the reader opens. */
const FOLD_CHARS = 500;
const FOLD_LINES = 10;

/** The card while it waits for a decision. */
export function approvalCard(view: ApprovalCardView, say: ChatPhrases, sanitize: Sanitize): object {
  const labels: Record<ApprovalDecision, [string, string]> = {
    allow: [say('approval.allow'), 'primary_filled'],
    deny: [say('approval.deny'), 'danger'],
    always_allow: [say('approval.alwaysAllow'), 'default'],
  };
  const offered = (view.buttons ?? ['allow', 'deny', 'always_allow']).filter((d) => d !== 'always_allow' || view.alwaysAllowOffered);
  const asker = mention(view.askerOpenId);
  const rule = view.waitsFor
    ? [markdownEl(say(view.waitsFor === 'owner' ? 'approval.waitsOwner' : 'approval.waitsApprovers', { who: asker }))]
    : [];
  return card('orange', say('approval.header'), [
    ...describe(view, say, sanitize),
    markdownEl(say('approval.askedBy', { who: asker })),
    ...rule,
    {
      tag: 'column_set',
      flex_mode: 'flow',
      columns: offered.map((decision) => ({
        tag: 'column',
        width: 'auto',
        elements: [
          {
            tag: 'button',
            element_id: `apr_${decision}`,
            text: { tag: 'plain_text', content: labels[decision][0] },
            type: labels[decision][1],
            behaviors: [
              { type: 'callback', value: { kocoro: APPROVAL_ACTION, requestId: view.requestId, decision } satisfies ApprovalValue },
            ],
          },
        ],
      })),
    },
  ]);
}

/** Whether the waiting card, arguments and all, stays within the card size the platform takes. */
export function approvalCardFits(view: ApprovalCardView, say: ChatPhrases, sanitize: Sanitize): boolean {
  return Buffer.byteLength(JSON.stringify(approvalCard(view, say, sanitize)), 'utf8') <= CARD_JSON_BUDGET_BYTES;
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
  const out: object[] = [];
  if (view.fromGroup) out.push(markdownEl(`_${say('approval.fromGroup')}_`));
  if (view.forApprover) {
    const question = sanitize(view.forApprover.question.replace(/\s+/g, ' ').trim(), true);
    const key = view.forApprover.where === 'group' ? 'approval.askedInGroup' : 'approval.askedInDm';
    out.push(markdownEl(say(key, { who: mention(view.askerOpenId), question })));
  }
  out.push(markdownEl(`**${title}**`), markdownEl(`${say('approval.tool')}: **${sanitize(view.tool, true)}**`));
  if (view.tooLong) {
    out.push(markdownEl(say('approval.tooLong', { chars: view.tooLong.toLocaleString('en-US') })));
    return out;
  }
  if (view.detail) {
    const shown = argumentsEl(sanitize(view.detail, true));
    const lines = view.detail.split('\n').length;
    out.push(
      view.detail.length > FOLD_CHARS || lines > FOLD_LINES
        ? {
            tag: 'collapsible_panel',
            expanded: false,
            header: {
              title: {
                tag: 'plain_text',
                content: say('approval.folded', { chars: view.detail.length.toLocaleString('en-US'), lines: String(lines) }),
              },
              icon: { tag: 'standard_icon', token: 'down-small-ccm_outlined' },
              icon_position: 'right',
              icon_expanded_angle: -180,
            },
            elements: [shown],
          }
        : shown,
    );
  }
  const notes = [
    ...(view.hidden ? [say('approval.hidden', { n: String(view.hidden) })] : []),
    ...(view.invisible ? [say('approval.invisible', { n: String(view.invisible) })] : []),
  ];
  if (notes.length) out.push({ tag: 'markdown', text_size: 'notation', content: notes.join(' ') });
  return out;
}

/**
 * The arguments shown exactly: in a code block, where nothing renders as markup; as plain text
 * where they contain a fence that would end the block early (plain text renders nothing either).
 */
function argumentsEl(text: string): object {
  if (text.includes('```')) return { tag: 'div', text: { tag: 'plain_text', content: text } };
  return markdownEl(`\`\`\`\n${text}\n\`\`\``);
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
