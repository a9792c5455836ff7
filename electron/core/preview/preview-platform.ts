import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { CARD_CALLBACK } from '@shared/lark-console';
import type { PreviewAttachment, PreviewChat, PreviewMessage } from '@shared/preview';
import type { ConnectionHandlers } from '../lark/connection';
import { inProcessHttp, type SdkHttp, type SdkRequest } from '../lark/http';
import { cardActionEvent, MESSAGE_EVENT, messageEvent, type PreviewCast } from './preview-events';
import { applyCardSettings, cardMessageId, CardEntities, setElementContent } from './preview-cards';

interface StoredMessage {
  messageId: string;
  chat: PreviewChat;
  from: 'me' | 'bot';
  at: number;
  msgType: string;
  content: string;
  replyTo?: string;
  /** reaction id → emoji type, in the order added. */
  reactions: Map<string, string>;
  mentions?: PreviewMessage['mentions'];
}

type Answer = { code: number; msg?: string; [key: string]: unknown };
/** A download as the SDK's HTTP client returns one asked with `$return_headers`: the bytes as a stream, and the headers. */
type Download = { data: Readable; headers: Record<string, string> };

/** A refusal as the SDK's HTTP client reports one: the body's `code` reaches lark/errors.ts as the platform's. */
class PlatformRefusal extends Error {
  readonly response: { status: number; data: Answer; headers: Record<string, string> };
  constructor(status: number, code: number, msg: string) {
    super(`preview platform: ${msg}`);
    this.response = { status, data: { code, msg }, headers: {} };
  }
}

/**
 * The Open Platform as one preview bot uses it, inside this process (README "Try it and Preview"):
 * the REST calls the runtime makes (through the official SDK, which is handed `http` instead of its
 * network client) and the events it receives (handed to the handlers the runtime registers with
 * `listen`). Two chats, a direct chat and a group, with one member. Nothing here opens a socket:
 * a preview cannot reach the real platform, whatever it is asked. Each call answers as the
 * platform documents it (lark/README.md §5), including CardKit's rule that a card's operations
 * carry increasing sequence numbers (§5.11); a call the runtime does not make in a preview is
 * refused, naming it.
 */
export class PreviewPlatform {
  readonly http: SdkHttp;
  readonly chatIds: Record<PreviewChat, string>;
  private handlers: ConnectionHandlers | undefined;
  private readonly messages = new Map<string, StoredMessage>();
  private readonly resources = new Map<string, { bytes: Buffer; mimeType: string }>();
  private readonly cards = new CardEntities();
  private readonly token = `t-preview-${randomBytes(16).toString('hex')}`;

  constructor(
    private readonly cast: PreviewCast,
    private readonly onMessage: (message: PreviewMessage) => void,
    private readonly now: () => number = Date.now,
  ) {
    const tag = randomBytes(12).toString('hex');
    this.chatIds = { dm: `oc_pvdm${tag}`, group: `oc_pvgr${tag}` };
    this.http = inProcessHttp(async (req) => this.request(req));
  }

  /** The runtime's handlers (bot-runtime.ts `listen`); returns the way to stop delivering to them. */
  listen(handlers: ConnectionHandlers): () => void {
    this.handlers = handlers;
    return () => {
      if (this.handlers === handlers) this.handlers = undefined;
    };
  }

  /**
   * A member writes: the message appears in the chat, then reaches the bot as the platform would
   * deliver it. An attachment with text goes as the client sends it: an image with a caption as one
   * rich-text (post) message, a file as its own message before the text.
   */
  async send(chat: PreviewChat, text: string, opts: { mention?: boolean; attachment?: PreviewAttachment } = {}): Promise<string> {
    const mention = chat === 'group' && opts.mention === true;
    const mentions = mention ? [{ key: '@_user_1', openId: this.cast.bot.openId, name: this.cast.bot.name }] : undefined;
    const body = mention ? `@_user_1 ${text}` : text;
    const a = opts.attachment;
    if (!a) return this.deliver(this.store(chat, 'me', 'text', JSON.stringify({ text: body }), { mentions }));
    const key = this.keep(a);
    if (a.kind === 'image' && text.trim()) {
      const post = { title: '', content: [[{ tag: 'text', text: body }], [{ tag: 'img', image_key: key }]] };
      return this.deliver(this.store(chat, 'me', 'post', JSON.stringify(post), { mentions }));
    }
    const attachment =
      a.kind === 'image'
        ? { msgType: 'image', content: { image_key: key } }
        : { msgType: 'file', content: { file_key: key, file_name: a.name } };
    // In a group a bare attachment cannot @mention anyone: it reaches a bot that needs a mention only with the text after it.
    const first = await this.deliver(this.store(chat, 'me', attachment.msgType, JSON.stringify(attachment.content)));
    return text.trim() ? this.deliver(this.store(chat, 'me', 'text', JSON.stringify({ text: body }), { mentions })) : first;
  }

  /** The member presses a button on one of the bot's cards: the callback the platform sends, and the bot's answer (its toast, unread). */
  async click(messageId: string, value: Record<string, unknown>): Promise<{ toast?: unknown }> {
    const message = this.messages.get(messageId);
    if (!message || message.msgType !== 'interactive') throw new Error('no card with this message id in the preview');
    const handlers = this.requireHandlers();
    const press = { messageId, chatId: this.chatIds[message.chat], value, at: this.now() };
    const answer = (await handlers.onEvent(CARD_CALLBACK, cardActionEvent(this.cast, press))) as { toast?: unknown } | undefined;
    return { toast: answer?.toast };
  }

  // ---- the events -------------------------------------------------------------------------

  private async deliver(message: StoredMessage): Promise<string> {
    const handlers = this.requireHandlers();
    const chatType = message.chat === 'dm' ? 'p2p' : 'group';
    // The platform waits for the ack and pushes again when it fails; in a preview the member sees it at once.
    await handlers.onEvent(MESSAGE_EVENT, messageEvent(this.cast, { ...message, chatId: this.chatIds[message.chat], chatType }));
    return message.messageId;
  }

  private requireHandlers(): ConnectionHandlers {
    if (!this.handlers) throw new Error('the preview bot is not listening yet');
    return this.handlers;
  }

  // ---- the REST calls (through the SDK) -------------------------------------------------------

  private request(req: SdkRequest): unknown {
    const url = new URL(req.url, 'https://preview.invalid');
    const body = (req.data ?? {}) as Record<string, unknown>;
    const query: Record<string, string> = Object.fromEntries(url.searchParams);
    for (const [k, v] of Object.entries(req.params)) query[k] = String(v);
    const route = `${req.method} ${url.pathname.replace(/^\/open-apis/, '')}`;
    if (route === 'POST /auth/v3/tenant_access_token/internal') return this.answer(this.tenantToken(body), req);
    const auth = req.headers.Authorization ?? req.headers.authorization;
    if (auth !== `Bearer ${this.token}`) throw new PlatformRefusal(400, 99991663, 'Invalid access token for authorization.');
    const answer = this.route(route, body, query);
    return isDownload(answer) ? answer : this.answer(answer, req);
  }

  /** As the platform answers: HTTP 400 with the code for a refusal (the SDK's client throws), the body otherwise. */
  private answer(answer: Answer, req: SdkRequest): unknown {
    if (answer.code !== 0) throw new PlatformRefusal(400, answer.code, answer.msg ?? 'refused');
    return req.returnHeaders ? { data: answer, headers: {} } : answer;
  }

  private route(route: string, body: Record<string, unknown>, query: Record<string, string>): Answer | Download {
    const [method, path] = route.split(' ') as [string, string];
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (route === 'GET /bot/v3/info') {
      return { code: 0, msg: 'ok', bot: { open_id: this.cast.bot.openId, app_name: this.cast.bot.name, activate_status: 2 } };
    }
    // im/v1/messages…
    if (parts[0] === 'im' && parts[1] === 'v1' && parts[2] === 'messages') {
      if (method === 'POST' && parts.length === 3) return this.sendTo(query.receive_id_type, body);
      const message = parts[3] ? this.messages.get(parts[3]) : undefined;
      if (!message) return { code: 230011, msg: 'The message was not found in this preview.' };
      if (method === 'POST' && parts[4] === 'reply' && parts.length === 5) return this.reply(message, body);
      if (method === 'GET' && parts.length === 4) return this.read(message);
      if (method === 'POST' && parts[4] === 'reactions' && parts.length === 5) return this.react(message, body);
      if (method === 'DELETE' && parts[4] === 'reactions' && parts[5]) return this.unreact(message, parts[5]);
      if (method === 'GET' && parts[4] === 'resources' && parts[5]) return this.resource(parts[5]);
    }
    if (parts[0] === 'cardkit' && parts[1] === 'v1' && parts[2] === 'cards') {
      const cardId = parts[3];
      if (method === 'POST' && !cardId) return this.cards.create(body);
      if (!cardId) return { code: 300301, msg: 'card not found' };
      const changed = (answer: Answer) => (answer.code === 0 ? (this.cardChanged(cardId), answer) : answer);
      if (method === 'PUT' && parts[4] === 'elements' && parts[5] && parts[6] === 'content')
        return changed(this.cards.operate(cardId, body, (json) => setElementContent(json, parts[5]!, body.content)));
      if (method === 'PATCH' && parts[4] === 'settings')
        return changed(this.cards.operate(cardId, body, (json) => applyCardSettings(json, body.settings)));
      if (method === 'PUT' && parts.length === 4) return changed(this.cards.replace(cardId, body));
    }
    return { code: 99991400, msg: `${route} is not available in a preview` };
  }

  private tenantToken(body: Record<string, unknown>): Answer {
    if (body.app_id !== this.cast.appId || body.app_secret !== this.cast.appSecret) {
      return { code: 10014, msg: 'app secret invalid' };
    }
    return { code: 0, msg: 'ok', tenant_access_token: this.token, expire: 7200 };
  }

  /** A message to a person by open_id: only the member of the preview has a chat with the bot (the approval cards come here). */
  private sendTo(idType: string | undefined, body: Record<string, unknown>): Answer {
    if (idType !== 'open_id' || body.receive_id !== this.cast.me.openId) {
      return { code: 230013, msg: 'The preview has one member: the bot can only write to them.' };
    }
    const sent = this.store('dm', 'bot', String(body.msg_type), String(body.content ?? ''));
    return { code: 0, msg: 'success', data: this.messageData(sent) };
  }

  private reply(to: StoredMessage, body: Record<string, unknown>): Answer {
    const sent = this.store(to.chat, 'bot', String(body.msg_type), String(body.content ?? ''), { replyTo: to.messageId });
    return { code: 0, msg: 'success', data: this.messageData(sent) };
  }

  private read(message: StoredMessage): Answer {
    const sender =
      message.from === 'me'
        ? { id: this.cast.me.openId, id_type: 'open_id', sender_type: 'user' }
        : { id: this.cast.appId, id_type: 'app_id', sender_type: 'app' };
    return {
      code: 0,
      msg: 'success',
      data: {
        items: [
          {
            message_id: message.messageId,
            msg_type: message.msgType,
            create_time: String(message.at),
            chat_id: this.chatIds[message.chat],
            sender,
            body: { content: message.content },
            mentions: (message.mentions ?? []).map((m) => ({ key: m.key, id: m.openId, id_type: 'open_id', name: m.name })),
          },
        ],
      },
    };
  }

  private react(message: StoredMessage, body: Record<string, unknown>): Answer {
    const emoji = (body.reaction_type as { emoji_type?: unknown } | undefined)?.emoji_type;
    if (typeof emoji !== 'string' || !emoji) return { code: 231001, msg: 'reaction type is invalid' };
    const reactionId = `r_${randomBytes(8).toString('hex')}`;
    message.reactions.set(reactionId, emoji);
    this.show(message);
    return { code: 0, msg: 'success', data: { reaction_id: reactionId, reaction_type: { emoji_type: emoji } } };
  }

  private unreact(message: StoredMessage, reactionId: string): Answer {
    if (!message.reactions.delete(reactionId)) return { code: 231003, msg: 'The reaction does not exist.' };
    this.show(message);
    return { code: 0, msg: 'success', data: { reaction_id: reactionId } };
  }

  private resource(key: string): Answer | Download {
    const found = this.resources.get(key);
    if (!found) return { code: 234003, msg: 'File not in msg.' };
    return {
      data: Readable.from([found.bytes]),
      headers: { 'content-length': String(found.bytes.byteLength), 'content-type': found.mimeType },
    };
  }

  // ---- the chats ----------------------------------------------------------------------------

  private keep(a: PreviewAttachment): string {
    const key = `${a.kind === 'image' ? 'img' : 'file'}_v3_pv${randomBytes(10).toString('hex')}`;
    this.resources.set(key, { bytes: Buffer.from(a.dataBase64, 'base64'), mimeType: a.mimeType ?? 'application/octet-stream' });
    return key;
  }

  private store(
    chat: PreviewChat,
    from: 'me' | 'bot',
    msgType: string,
    content: string,
    more: { replyTo?: string; mentions?: PreviewMessage['mentions'] } = {},
  ): StoredMessage {
    const message: StoredMessage = {
      messageId: `om_pv${randomBytes(14).toString('hex')}`,
      chat,
      from,
      at: this.now(),
      msgType,
      content,
      reactions: new Map(),
      ...(more.replyTo ? { replyTo: more.replyTo } : {}),
      ...(more.mentions ? { mentions: more.mentions } : {}),
    };
    this.messages.set(message.messageId, message);
    const cardId = msgType === 'interactive' ? cardMessageId(content) : undefined;
    if (cardId) this.cards.shownIn(cardId, message.messageId);
    this.show(message);
    return message;
  }

  private messageData(message: StoredMessage) {
    return {
      message_id: message.messageId,
      chat_id: this.chatIds[message.chat],
      msg_type: message.msgType,
      create_time: String(message.at),
      ...(message.replyTo ? { parent_id: message.replyTo, root_id: message.replyTo } : {}),
    };
  }

  private cardChanged(cardId: string): void {
    for (const messageId of this.cards.messagesOf(cardId)) {
      const message = this.messages.get(messageId);
      if (message) this.show(message);
    }
  }

  /** The message as the UI draws it: a card message shows its card's JSON as it is now. */
  private show(message: StoredMessage): void {
    const cardId = message.msgType === 'interactive' ? cardMessageId(message.content) : undefined;
    const content = cardId ? JSON.stringify(this.cards.json(cardId) ?? {}) : message.content;
    this.onMessage({
      messageId: message.messageId,
      chat: message.chat,
      from: message.from,
      at: message.at,
      msgType: message.msgType,
      content,
      reactions: [...message.reactions.values()],
      ...(message.replyTo ? { replyTo: message.replyTo } : {}),
      ...(message.mentions ? { mentions: message.mentions } : {}),
    });
  }
}

const isDownload = (answer: Answer | Download): answer is Download => answer.data instanceof Readable;
