import * as lark from '@larksuiteoapi/node-sdk';
import { z } from 'zod';
import { formatZodError } from '@shared/config-schema';

/**
 * `im.message.receive_v1` as the SDK's EventDispatcher hands it over: header and event flattened
 * into one object (lark/README.md §3.1, §3.2). Unknown fields pass through untouched.
 */
const idSchema = z.object({ open_id: z.string().optional(), union_id: z.string().optional(), user_id: z.string().nullish() }).loose();

export const messageEventSchema = z
  .object({
    event_id: z.string().min(1),
    event_type: z.literal('im.message.receive_v1'),
    create_time: z.string().optional(),
    sender: z
      .object({
        sender_id: idSchema,
        sender_type: z.string(),
        tenant_key: z.string().optional(),
      })
      .loose(),
    message: z
      .object({
        message_id: z.string().min(1),
        root_id: z.string().optional(),
        parent_id: z.string().optional(),
        create_time: z.string().optional(),
        chat_id: z.string().min(1),
        thread_id: z.string().optional(),
        chat_type: z.enum(['p2p', 'group']),
        message_type: z.string().min(1),
        content: z.string(),
        mentions: z
          .array(
            z
              .object({
                key: z.string(),
                id: idSchema,
                name: z.string().optional(),
                tenant_key: z.string().optional(),
                mentioned_type: z.string().optional(),
              })
              .loose(),
          )
          .optional(),
      })
      .loose(),
  })
  .loose();

export type MessageEvent = z.infer<typeof messageEventSchema>;

/** Someone @mentioned in the message: `key` is the placeholder in the text (`@_user_1`, lark/README.md §3.3). */
export interface Mention {
  key: string;
  openId?: string;
  name?: string;
}

/** The bot as far as it is known: its open_id and name come from `bot/v3/info` (lark/README.md §5.2). */
export interface BotIdentity {
  openId: string;
  name: string;
}

/**
 * One received message, in the one shape every stage after intake works with. Built once per
 * message and run: from the event when it arrives, from the inbox entry after a restart.
 */
export interface InboundMessage {
  messageId: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  /** The thread the message is in; the reply then stays in it. */
  threadId?: string;
  rootId?: string;
  /** The message this one replies to. */
  parentId?: string;
  messageType: string;
  /** The content JSON as received, shaped per `messageType` (lark/README.md §3.3). */
  content: string;
  sender: {
    /** '' for senders without one (some app senders). */
    openId: string;
    /** `user`, or `app` for bots. */
    type: string;
    /** The other ids the platform sent (an app sender may be named by `app_id` or `id`). */
    ids: Record<string, unknown>;
  };
  mentions: Mention[];
  /**
   * The SDK's normalised form: markdown text, with placeholders for attachments and the bot's own
   * @mention removed (other mentions as @Name). Started when the message is built and shared by
   * every stage, so it runs once, and never holds up the platform's ack. Merged forwards are
   * expanded later, when answered, since that needs API calls (turn-builder.ts).
   */
  normalized: Promise<lark.NormalizedMessage>;
  /** The bot open_id the mention was removed for; '' when the bot's identity was not known yet. */
  normalizedFor: string;
  /** The event as it was validated: what the inbox keeps. */
  event: MessageEvent;
}

export type ParseResult = { ok: true; event: MessageEvent } | { ok: false; error: string };

export function parseMessageEvent(data: unknown): ParseResult {
  const parsed = messageEventSchema.safeParse(data);
  if (parsed.success) return { ok: true, event: parsed.data };
  return { ok: false, error: formatZodError(parsed.error, 'im.message.receive_v1') };
}

/** Validates a received event and builds its InboundMessage: the one place an event becomes one. Synchronous. */
export function toInboundMessage(
  data: unknown,
  bot: BotIdentity | undefined,
): { ok: true; message: InboundMessage } | { ok: false; error: string } {
  const parsed = parseMessageEvent(data);
  if (!parsed.ok) return parsed;
  const event = parsed.event;
  const m = event.message;
  const normalized = normalizeEvent(event, bot);
  // Handled here so a message nobody reads the text of (an ignored one) cannot raise an unhandled rejection; readers still see the error.
  normalized.catch(() => undefined);
  return {
    ok: true,
    message: {
      messageId: m.message_id,
      chatId: m.chat_id,
      chatType: m.chat_type,
      ...(m.thread_id ? { threadId: m.thread_id } : {}),
      ...(m.root_id ? { rootId: m.root_id } : {}),
      ...(m.parent_id ? { parentId: m.parent_id } : {}),
      messageType: m.message_type,
      content: m.content,
      sender: { openId: event.sender.sender_id.open_id ?? '', type: event.sender.sender_type, ids: event.sender.sender_id },
      mentions: (m.mentions ?? []).map((x) => ({
        key: x.key,
        ...(x.id.open_id ? { openId: x.id.open_id } : {}),
        ...(x.name ? { name: x.name } : {}),
      })),
      normalized,
      normalizedFor: bot?.openId ?? '',
      event,
    },
  };
}

/** The SDK's `normalize()` (markdown, attachments as placeholders), optionally expanding merged forwards. */
export function normalizeEvent(
  event: MessageEvent,
  bot: BotIdentity | undefined,
  fetchSubMessages?: lark.NormalizeOptions['fetchSubMessages'],
): Promise<lark.NormalizedMessage> {
  return lark.normalize(withPostMentions(event, bot?.openId), {
    botIdentity: { openId: bot?.openId ?? '', name: bot?.name ?? '' },
    stripBotMentions: true,
    ...(fetchSubMessages ? { fetchSubMessages } : {}),
  });
}

/** Whether the bot itself is @mentioned; `@_all` is not a mention of the bot (it is not in `mentions`). */
export function mentionsBot(message: Pick<InboundMessage, 'mentions'>, botOpenId: string): boolean {
  return message.mentions.some((m) => m.openId === botOpenId);
}

/**
 * Received posts name mentioned people by placeholder (`{"tag":"at","user_id":"@_user_1"}`, lark/README.md §3.3)
 * while the SDK's converter looks `at` elements up by open_id: given the open_id, it names the
 * others like in text messages. The bot's own mention is taken out here with the space after it
 * (the SDK's stripping would leave that space and eat the line break before).
 */
function withPostMentions(event: MessageEvent, botOpenId: string | undefined): lark.RawMessageEvent {
  const raw = event as unknown as lark.RawMessageEvent;
  const mentions = event.message.mentions ?? [];
  if (event.message.message_type !== 'post' || mentions.length === 0) return raw;
  const byKey = new Map(mentions.filter((m) => m.id.open_id).map((m) => [m.key, m.id.open_id!]));
  const openIdOf = (el: Record<string, unknown>): string | undefined =>
    typeof el.user_id === 'string' ? (byKey.get(el.user_id) ?? (el.user_id.startsWith('ou_') ? el.user_id : undefined)) : undefined;
  const paragraph = (row: unknown[]): unknown[] => {
    const out: unknown[] = [];
    let trimNext = false;
    for (const node of row) {
      const el = (node ?? {}) as Record<string, unknown>;
      if (el.tag === 'at') {
        const openId = openIdOf(el);
        if (botOpenId && openId === botOpenId) {
          trimNext = true;
          continue;
        }
        out.push(openId ? { ...el, user_id: openId } : el);
      } else if (trimNext && el.tag === 'text' && typeof el.text === 'string') {
        const text = el.text.trimStart();
        if (text) out.push({ ...el, text });
      } else {
        out.push(node);
      }
      if (!(el.tag === 'text' && trimNext && typeof el.text === 'string' && !el.text.trim())) trimNext = false;
    }
    return out;
  };
  try {
    const post = JSON.parse(event.message.content) as Record<string, unknown>;
    const rewrite = (body: Record<string, unknown>) =>
      Array.isArray(body.content) ? { ...body, content: body.content.map((row) => (Array.isArray(row) ? paragraph(row) : row)) } : body;
    // Received posts have no locale wrapper; sent ones (and some clients) do.
    const content = Array.isArray(post.content)
      ? rewrite(post)
      : Object.fromEntries(
          Object.entries(post).map(([locale, body]) => [
            locale,
            body && typeof body === 'object' ? rewrite(body as Record<string, unknown>) : body,
          ]),
        );
    return { ...raw, message: { ...raw.message, content: JSON.stringify(content) } } as lark.RawMessageEvent;
  } catch {
    return raw;
  }
}
