import { z } from 'zod';
import { formatZodError } from '@shared/config-schema';
import { chatText, type ChatPhrases, type ChatTextKey } from '../i18n/chat-text';
import { APPROVAL_ACTION, type ApprovalValue } from './outbound/approval-card';
import { STOP_ACTION, type StopValue } from './outbound/card-json';

/**
 * `card.action.trigger` as the SDK's EventDispatcher hands it over (lark/README.md §3.5): header
 * and event flattened into one object. Only the buttons this app puts on its cards are expected;
 * their `action.value` names which (`kocoro`). Unknown fields pass through untouched.
 */
const stopValueSchema = z.object({ kocoro: z.literal(STOP_ACTION), messageId: z.string() }).loose();
const approvalValueSchema = z
  .object({ kocoro: z.literal(APPROVAL_ACTION), requestId: z.string(), decision: z.enum(['allow', 'deny', 'always_allow']) })
  .loose();

const cardActionSchema = z
  .object({
    // Always sent by the platform; a callback without one is treated as from nobody (refused where it matters).
    operator: z.object({ open_id: z.string().optional() }).loose().optional(),
    action: z.object({ value: z.discriminatedUnion('kocoro', [stopValueSchema, approvalValueSchema]) }).loose(),
  })
  .loose();

/** A press of one of the app's buttons, as the approval desk and the Stop button handle it. */
export interface CardAction<V = StopValue | ApprovalValue> {
  value: V;
  /** Who pressed it; '' when the callback did not say. */
  operatorOpenId: string;
}

export type ParsedCardAction = { ok: true; action: CardAction } | { ok: false; error: string };

/** The one place a card callback is read; a malformed one is described field by field. */
export function parseCardAction(data: unknown): ParsedCardAction {
  const parsed = cardActionSchema.safeParse(data);
  if (!parsed.success) return { ok: false, error: formatZodError(parsed.error, 'card.action.trigger') };
  const { action, operator } = parsed.data;
  return { ok: true, action: { value: action.value, operatorOpenId: operator?.open_id ?? '' } };
}

/** The callback's answer, in the ack (lark/README.md §3.5); `{}` only acknowledges. */
export interface CardActionAnswer {
  toast?: { type: 'info' | 'success' | 'error' | 'warning'; content: string; i18n: { en_us: string; zh_cn: string } };
}

/** A toast in the bot's language; it carries both, and the client shows the one of its own locale (`content` otherwise). */
export function toast(type: NonNullable<CardActionAnswer['toast']>['type'], key: ChatTextKey, say: ChatPhrases): CardActionAnswer {
  return { toast: { type, content: say(key), i18n: { en_us: chatText('en', key), zh_cn: chatText('zh-CN', key) } } };
}
