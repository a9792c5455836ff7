import type { AgentTurn } from '../../agents/provider';
import type { LarkApi } from '../../lark/api';
import { type BotIdentity, type InboundMessage, normalizeEvent } from '../../lark/inbound';
import type { ChatPhrases } from '../../i18n/chat-text';
import type { Logger } from '../../log/logger';
import type { BotFileStore } from '../stores/file-store';
import type { ConversationMemory } from '../stores/bot-store';
import { conversationKey } from '../stores/conversation-store';
import { quoteParent, subMessageFetcher } from '../../lark/quoted-message';
import { describeAttachmentsBriefly, resolveAttachments } from '../../lark/attachments';
import { errorMessage } from '../../log/error-message';

/** What the agent is given for one incoming message. */
export interface PreparedTurn {
  /** The message as the agent sees it (also the preview shown in the app). */
  text: string;
  /** The conversation handed to the provider: the remembered turns, then this message. */
  turns: AgentTurn[];
  /** What the conversation memory keeps of this message once it has been answered. */
  memory: { key: string; messageId: string; userText: string };
  /** Lines for the chat below the answer (a file that was not kept, and why). */
  notices: string[];
}

/** What building a turn needs besides the message. */
export interface TurnContext {
  api: LarkApi;
  appId: string;
  /** Whether the agent can look at images. */
  acceptsImages: boolean;
  /** Where sent files are kept; absent when the agent cannot open local files. */
  files: BotFileStore | undefined;
  /** What the bot says in the chat, for the notes about files not kept. */
  say: ChatPhrases;
  conversations: ConversationMemory;
  logger: Logger;
}

/**
 * The message as text, without fetching anything: the bot's own @mention removed, other mentions
 * as @Name, attachments named in brackets. For previews and chat commands.
 */
export async function messageText(message: InboundMessage): Promise<string> {
  return describeAttachmentsBriefly(await message.normalized, message.content).trim();
}

/**
 * Builds the agent's input for one message: rich text as markdown, attachments fetched or
 * described, the replied-to message quoted, and the conversation so far before it. Never throws
 * for an attachment or a parent that cannot be read: the agent is told instead.
 */
export async function buildTurn(message: InboundMessage, identity: BotIdentity | undefined, ctx: TurnContext): Promise<PreparedTurn> {
  const { messageId, parentId } = message;
  const key = conversationKey(message);
  // A merged forward is the one kind normalised again: its sub-messages need API calls, which
  // have no place before the platform's ack.
  const normalized =
    message.messageType === 'merge_forward'
      ? await normalizeEvent(message.event, identity, subMessageFetcher(ctx.api))
      : await message.normalized;
  const notices: string[] = [];
  const attachments = await resolveAttachments(normalized, message.content, {
    api: ctx.api,
    messageId,
    acceptsImages: ctx.acceptsImages,
    files: ctx.files,
    notice: (key, params) => notices.push(`_${ctx.say(key, params)}_`),
    logger: ctx.logger,
  });
  const text = attachments.text.trim();

  let history: AgentTurn[] = [];
  let remembered = false;
  try {
    history = await ctx.conversations.history(key);
    remembered = parentId ? await ctx.conversations.includes(key, parentId) : false;
  } catch (err) {
    ctx.logger.log('warn', 'conversation.load_failed', { messageId, error: errorMessage(err) });
  }

  // A reply to a message the agent already has in its memory needs no quote.
  let quote: string | undefined;
  if (parentId && !remembered) {
    try {
      quote = await quoteParent(ctx.api, message, identity, ctx.appId);
    } catch (err) {
      ctx.logger.log('warn', 'message.parent_unavailable', {
        messageId,
        parentId,
        error: errorMessage(err),
      });
    }
  }

  const current: AgentTurn = { role: 'user', text: quote ? `${quote}\n\n${text}` : text };
  if (attachments.images.length > 0) current.images = attachments.images;
  return { text, turns: [...history, current], memory: { key, messageId, userText: attachments.memoryText.trim() }, notices };
}

/**
 * Remembers an exchange once its answer was sent: the user's message, and the answer unless the
 * agent failed (`answer` undefined).
 */
export async function rememberTurn(
  conversations: ConversationMemory,
  turn: PreparedTurn,
  answer: { text: string; messageId: string } | undefined,
): Promise<void> {
  await conversations.record(turn.memory.key, [
    { role: 'user', text: turn.memory.userText, messageId: turn.memory.messageId },
    ...(answer ? [{ role: 'assistant' as const, text: answer.text, ...(answer.messageId ? { messageId: answer.messageId } : {}) }] : []),
  ]);
}
