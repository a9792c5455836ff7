import * as lark from '@larksuiteoapi/node-sdk';
import type { AgentTurn } from '../agents/provider';
import type { BotInfo, LarkApi } from '../lark/api';
import type { MessageEvent } from '../lark/inbound';
import type { Logger } from '../log/logger';
import { type ConversationStore, conversationKey } from './conversation-store';
import { quoteParent, subMessageFetcher } from './quoted-message';
import { describeAttachmentsBriefly, resolveAttachments } from './resources';

/** What the agent is given for one incoming message. */
export interface PreparedTurn {
  /** The message as the agent sees it (also the preview shown in the app). */
  text: string;
  /** The conversation handed to the provider: the remembered turns, then this message. */
  turns: AgentTurn[];
  /** What the conversation memory keeps of this message once it has been answered. */
  memory: { key: string; messageId: string; userText: string };
}

/** What building a turn needs besides the message. */
export interface TurnContext {
  api: LarkApi;
  appId: string;
  /** Whether the agent can look at images. */
  acceptsImages: boolean;
  /** `<dataDir>/bots/<id>/files`, where sent files are saved. */
  filesDir: string;
  conversations: ConversationStore;
  logger: Logger;
}

function normalizeOptions(identity: BotInfo | undefined): lark.NormalizeOptions {
  return { botIdentity: { openId: identity?.openId ?? '', name: identity?.name ?? '' }, stripBotMentions: true };
}

/**
 * Received posts name mentioned people by placeholder (`{"tag":"at","user_id":"@_user_1"}`,
 * docs/lark-platform.md §3.3) while the SDK's converter looks `at` elements up by open_id: given
 * the open_id, it names the others like in text messages. The bot's own mention is taken out here
 * with the space after it (the SDK's stripping would leave that space and eat the line break before).
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

/**
 * The message as text, without fetching anything: the bot's own @mention removed, other mentions
 * as @Name, attachments named in brackets. For previews and chat commands.
 */
export async function messageText(event: MessageEvent, identity: BotInfo | undefined): Promise<string> {
  const normalized = await lark.normalize(withPostMentions(event, identity?.openId), normalizeOptions(identity));
  return describeAttachmentsBriefly(normalized, event.message.content).trim();
}

/**
 * Builds the agent's input for one message: rich text as markdown, attachments fetched or
 * described, the replied-to message quoted, and the conversation so far before it. Never throws
 * for an attachment or a parent that cannot be read: the agent is told instead.
 */
export async function buildTurn(event: MessageEvent, identity: BotInfo | undefined, ctx: TurnContext): Promise<PreparedTurn> {
  const messageId = event.message.message_id;
  const key = conversationKey(event);
  const normalized = await lark.normalize(withPostMentions(event, identity?.openId), {
    ...normalizeOptions(identity),
    ...(event.message.message_type === 'merge_forward' ? { fetchSubMessages: subMessageFetcher(ctx.api) } : {}),
  });
  const attachments = await resolveAttachments(normalized, event.message.content, {
    api: ctx.api,
    messageId,
    acceptsImages: ctx.acceptsImages,
    filesDir: ctx.filesDir,
    logger: ctx.logger,
  });
  const text = attachments.text.trim();

  let history: AgentTurn[] = [];
  let remembered = false;
  try {
    history = await ctx.conversations.history(key);
    remembered = event.message.parent_id ? await ctx.conversations.includes(key, event.message.parent_id) : false;
  } catch (err) {
    ctx.logger.log('warn', 'conversation.load_failed', { messageId, error: err instanceof Error ? err.message : String(err) });
  }

  // A reply to a message the agent already has in its memory needs no quote.
  let quote: string | undefined;
  if (event.message.parent_id && !remembered) {
    try {
      quote = await quoteParent(ctx.api, event, identity, ctx.appId);
    } catch (err) {
      ctx.logger.log('warn', 'message.parent_unavailable', {
        messageId,
        parentId: event.message.parent_id,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  const current: AgentTurn = { role: 'user', text: quote ? `${quote}\n\n${text}` : text };
  if (attachments.images.length > 0) current.images = attachments.images;
  return { text, turns: [...history, current], memory: { key, messageId, userText: attachments.memoryText.trim() } };
}

/**
 * Remembers an exchange once its answer was sent: the user's message, and the answer unless the
 * agent failed (`answer` undefined).
 */
export async function rememberTurn(
  conversations: ConversationStore,
  turn: PreparedTurn,
  answer: { text: string; messageId: string } | undefined,
): Promise<void> {
  await conversations.record(turn.memory.key, [
    { role: 'user', text: turn.memory.userText, messageId: turn.memory.messageId },
    ...(answer ? [{ role: 'assistant' as const, text: answer.text, ...(answer.messageId ? { messageId: answer.messageId } : {}) }] : []),
  ]);
}
