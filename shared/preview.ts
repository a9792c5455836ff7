/**
 * The preview chat (README "Try it and Preview"): a chat with the real bot runtime over an
 * in-process stand-in for the platform (electron/core/preview/). What the UI sends and what it is
 * shown. Pure: no Node, no DOM.
 */
import { z } from 'zod';
import { platformSchema } from './config-schema';
import { idSchema } from './ids';

/** The two chats of a preview: a direct chat with the bot, and a group where it answers only when @mentioned (as configured). */
export const previewChatSchema = z.enum(['dm', 'group']);
export type PreviewChat = z.infer<typeof previewChatSchema>;

/** The echo agent a fresh install can preview without configuring anything. */
export const PREVIEW_ECHO_AGENT = 'echo';

export const previewStartSchema = z
  .object({
    /** Preview of an existing bot: its agent, language, reply mode and access rules. */
    botId: idSchema.optional(),
    /** Try it: any agent, or `echo` (PREVIEW_ECHO_AGENT) when there is none yet. With `botId`: overrides its agent. */
    agentId: z.string().min(1).max(100).optional(),
    /** How the chat looks (and the bot's language defaults to): Lark or Feishu. Try it only; a bot's own wins. */
    platform: platformSchema.optional(),
  })
  .refine((v) => v.botId !== undefined || v.agentId !== undefined, { message: 'a preview needs a bot or an agent', path: ['agentId'] });

export const previewSessionSchema = z.object({
  sessionId: z.string(),
  platform: platformSchema,
  /** The bot's name in the chat (its display name, or the agent's for Try it). */
  botName: z.string(),
  botOpenId: z.string(),
  /** The bot previewed, for Preview; absent for Try it. */
  botId: z.string().optional(),
  agentId: z.string(),
  agentName: z.string(),
  /** Who writes in the preview: the owner, as a member of the team (an approver of this preview's tool runs). */
  me: z.object({ openId: z.string(), name: z.string() }),
  groupName: z.string(),
  replyMode: z.object({ dm: z.enum(['card', 'message']), group: z.enum(['card', 'message']) }),
  /** The language the bot speaks ('auto': as the person writes). */
  language: z.string(),
});
export type PreviewSession = z.output<typeof previewSessionSchema>;

/** 10 MB, the platform's cap on an image (lark/README.md §5.8); files the preview takes up to the same. */
export const PREVIEW_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024;

export const previewAttachmentSchema = z.object({
  kind: z.enum(['image', 'file']),
  name: z.string().trim().min(1, 'the file needs a name').max(255),
  mimeType: z.string().max(200).optional(),
  /** The bytes, base64 (4/3 of the size). */
  dataBase64: z
    .string()
    .max(Math.ceil((PREVIEW_ATTACHMENT_MAX_BYTES * 4) / 3) + 4, 'the file is larger than 10 MB')
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64'),
});
export type PreviewAttachment = z.input<typeof previewAttachmentSchema>;

export const previewSendSchema = z
  .object({
    sessionId: z.string().min(1).max(100),
    chat: previewChatSchema,
    text: z.string().max(30_000, 'a message holds at most 30,000 characters'),
    /** Group only: the message @mentions the bot (first, as the client puts it). */
    mention: z.boolean().optional(),
    attachment: previewAttachmentSchema.optional(),
  })
  .refine((v) => v.text.trim() !== '' || v.attachment !== undefined, { message: 'write something or attach a file', path: ['text'] });

export const previewClickSchema = z.object({
  sessionId: z.string().min(1).max(100),
  /** The message holding the card whose button was pressed. */
  messageId: z.string().min(1).max(100),
  /** The button's callback value, as the card carries it. */
  value: z.record(z.string(), z.unknown()),
});

/** One message of the preview chats, as the UI draws it: sent again whole each time it changes (a card streaming, a reaction). */
export const previewMessageSchema = z.object({
  messageId: z.string(),
  chat: previewChatSchema,
  from: z.enum(['me', 'bot']),
  at: z.number(),
  /** The platform's message type: text, post, interactive, image, file. */
  msgType: z.string(),
  /** The content as the platform keeps it (JSON); for a card (`interactive`), the card's JSON as it is now. */
  content: z.string(),
  /** The message this one answers (a reply), if any. */
  replyTo: z.string().optional(),
  /** Reactions on the message, by emoji type (e.g. `Typing`), in the order added. */
  reactions: z.array(z.string()),
  /** Mentions in the message: placeholder key → name (text messages' `@_user_N`). */
  mentions: z.array(z.object({ key: z.string(), openId: z.string(), name: z.string() })).optional(),
});
export type PreviewMessage = z.output<typeof previewMessageSchema>;

/** A card action's answer, shown as the client shows it (a toast). */
export const previewToastSchema = z.object({ type: z.enum(['info', 'success', 'warning', 'error']), content: z.string() });
export type PreviewToast = z.output<typeof previewToastSchema>;

export const previewEventSchema = z.object({
  sessionId: z.string(),
  message: previewMessageSchema.optional(),
  /** The preview ended (closed, or the app stopping). */
  closed: z.boolean().optional(),
});
export type PreviewEvent = z.output<typeof previewEventSchema>;
