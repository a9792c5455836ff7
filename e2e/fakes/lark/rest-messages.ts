import type { AppRecord } from './apps.js';
import type { CardStore } from './cardkit.js';
import { readBackContent } from './content.js';
import { apiError, isObject, json, ok } from './http-util.js';
import type { HttpReply } from './http-util.js';
import { newMessageId, newThreadId } from './ids.js';
import type { MessageStore, StoredMessage } from './messages.js';
import type { SentMessage } from './types.js';

// lark/README.md §5.3 msg_type values and size limits (230025).
const MSG_TYPES = new Set(['text', 'post', 'image', 'file', 'audio', 'media', 'sticker', 'interactive', 'share_chat', 'share_user']);
const MAX_CONTENT_BYTES: Record<string, number> = { text: 150 * 1024, post: 30 * 1024, interactive: 30 * 1024 };
const RECEIVE_ID_TYPES = new Set(['open_id', 'union_id', 'user_id', 'email', 'chat_id']);

const invalidParam = (detail: string): HttpReply => apiError(230001, `Your request contains an invalid request parameter, ext=${detail}`);

interface Payload {
  msgType: string;
  content: string;
  uuid?: string;
  /** Set for `{"type":"card","data":{"card_id"}}` (lark/README.md §5.11). */
  cardId?: string;
}

/** Send (lark/README.md §5.3), reply (lark/README.md §5.4) and read (GET …/messages/:id) of IM messages. */
export class MessageRoutes {
  constructor(
    private readonly messages: MessageStore,
    private readonly cards: CardStore,
  ) {}

  send(app: AppRecord, query: Record<string, string>, body: unknown): HttpReply {
    const receiveIdType = query.receive_id_type;
    if (!receiveIdType || !RECEIVE_ID_TYPES.has(receiveIdType)) return invalidParam('receive_id_type');
    if (!isObject(body)) return invalidParam('body');
    const receiveId = body.receive_id;
    if (typeof receiveId !== 'string' || receiveId === '') return invalidParam('receive_id');
    const payload = validatePayload(body);
    if ('error' in payload) return payload.error;

    const existing = this.messages.findByUuid(app.appId, payload.uuid);
    if (existing) return messageReply(app, existing);
    return this.create(app, payload, { chatId: this.messages.chatFor(app.appId, receiveIdType, receiveId) });
  }

  /**
   * lark/README.md §5.4. The fake cannot know every user message, so replying to an unknown id succeeds into chat
   * "unknown". Threads: a reply to a message in a thread stays there; reply_in_thread opens one.
   */
  reply(app: AppRecord, targetId: string, body: unknown): HttpReply {
    if (!isObject(body)) return invalidParam('body');
    const payload = validatePayload(body);
    if ('error' in payload) return payload.error;
    const replyInThread = body.reply_in_thread === true;

    const existing = this.messages.findByUuid(app.appId, payload.uuid);
    if (existing) return messageReply(app, existing);

    const target = this.messages.lookup(targetId);
    const chatId = target?.chatId ?? 'unknown';
    let threadId = target?.threadId;
    if (!threadId && replyInThread) {
      threadId = newThreadId();
      this.messages.startThread(targetId, chatId, threadId);
    }
    return this.create(app, payload, {
      chatId,
      replyTo: targetId,
      ...(body.reply_in_thread !== undefined ? { replyInThread } : {}),
      ...(threadId ? { threadId } : {}),
      rootId: target?.rootId ?? targetId,
    });
  }

  /** GET …/messages/:id → `data.items[0]`. Unknown ids answer 230001 (invalid message_id; the doc names no code). */
  get(messageId: string): HttpReply {
    const m = this.messages.record(messageId);
    if (!m) return invalidParam(`invalid message_id ${messageId}`);
    return ok({ items: [apiMessage(m)] });
  }

  private create(
    app: AppRecord,
    payload: Payload,
    where: Pick<SentMessage, 'chatId' | 'replyTo' | 'replyInThread' | 'threadId' | 'rootId'>,
  ): HttpReply {
    const messageId = newMessageId();
    if (payload.cardId !== undefined) {
      const err = this.cards.markSent(app.appId, payload.cardId, messageId);
      if (err) return apiError(err.code, err.msg);
    }
    const message: SentMessage = {
      messageId,
      ...where,
      msgType: payload.msgType,
      content: payload.content,
      ...(payload.uuid !== undefined ? { uuid: payload.uuid } : {}),
      ...(payload.cardId !== undefined ? { cardId: payload.cardId } : {}),
      createdAt: Date.now(),
    };
    this.messages.add(app, message);
    return messageReply(app, message);
  }
}

function validatePayload(body: Record<string, unknown>): Payload | { error: HttpReply } {
  const { msg_type: msgType, content, uuid } = body;
  if (typeof msgType !== 'string' || !MSG_TYPES.has(msgType)) return { error: invalidParam('msg_type') };
  if (typeof content !== 'string') return { error: invalidParam('content must be a JSON string') };
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return { error: invalidParam('content is not valid JSON') };
  }
  if (uuid !== undefined && (typeof uuid !== 'string' || uuid.length > 50)) return { error: invalidParam('uuid') };
  const limit = MAX_CONTENT_BYTES[msgType];
  if (limit !== undefined && Buffer.byteLength(content) > limit) {
    return { error: apiError(230025, 'The message content length exceeds the limit.') };
  }
  const payload: Payload = { msgType, content, ...(uuid !== undefined ? { uuid } : {}) };
  if (msgType === 'interactive' && isObject(parsed) && parsed.type === 'card') {
    const cardId = isObject(parsed.data) ? parsed.data.card_id : undefined;
    if (typeof cardId !== 'string' || cardId === '') return { error: invalidParam('content.data.card_id') };
    payload.cardId = cardId;
  }
  return payload;
}

/** lark/README.md §5.3 response `data`. Optional ids are omitted when unset. */
function messageReply(app: AppRecord, m: SentMessage): HttpReply {
  const time = String(m.createdAt);
  return json(200, {
    code: 0,
    msg: 'success',
    data: {
      message_id: m.messageId,
      ...(m.rootId ? { root_id: m.rootId } : {}),
      ...(m.replyTo ? { parent_id: m.replyTo } : {}),
      ...(m.threadId ? { thread_id: m.threadId } : {}),
      msg_type: m.msgType,
      create_time: time,
      update_time: time,
      deleted: false,
      updated: false,
      chat_id: m.chatId,
      sender: { id: app.appId, id_type: 'app_id', sender_type: 'app', tenant_key: app.tenantKey },
      body: { content: m.content },
    },
  });
}

/** The read API's message item (SDK `im.v1.message.get` type). */
function apiMessage(m: StoredMessage): object {
  return {
    message_id: m.messageId,
    ...(m.rootId ? { root_id: m.rootId } : {}),
    ...(m.parentId ? { parent_id: m.parentId } : {}),
    ...(m.threadId ? { thread_id: m.threadId } : {}),
    msg_type: m.msgType,
    create_time: m.createTime,
    update_time: m.createTime,
    deleted: false,
    updated: false,
    chat_id: m.chatId,
    sender: m.sender,
    body: { content: m.sender.sender_type === 'app' ? readBackContent(m.msgType, m.content) : m.content },
    mentions: m.mentions ?? [],
  };
}
