import { isObject } from './http-util.js';
import { derivedHex, newCardToken, newEventId, newMessageId } from './ids.js';
import type { StoredMessage } from './messages.js';
import type { PushCardActionInput, PushMessageInput } from './types.js';

/** Per-app facts every event header needs (lark/README.md §3.1). */
export interface EventSource {
  appId: string;
  tenantKey: string;
  verificationToken: string;
}

export type Envelope = Record<string, unknown>;

// Stable per open_id so a test can predict it; the real union_id is an unrelated opaque id.
export const unionIdFor = (openId: string): string => `on_${derivedHex(`union:${openId}`)}`;
export const DEFAULT_SENDER_OPEN_ID = 'ou_fake0000000000000000000000user1';
/** The p2p chat between a user and the bot is stable, so the fake can reuse it for open_id sends. */
export const p2pChatIdFor = (appId: string, openId: string): string => `oc_${derivedHex(`p2p:${appId}:${openId}`)}`;
export const DEFAULT_GROUP_CHAT_ID = 'oc_fake00000000000000000000group1';

function header(src: EventSource, eventId: string, eventType: string, createTime: string): Record<string, string> {
  return {
    event_id: eventId,
    event_type: eventType,
    create_time: createTime,
    token: src.verificationToken,
    app_id: src.appId,
    tenant_key: src.tenantKey,
  };
}

export interface BuiltMessageEvent {
  envelope: Envelope;
  messageId: string;
  eventId: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  senderOpenId: string;
  threadId?: string;
  rootId?: string;
}

/** `im.message.receive_v1`, schema 2.0 (lark/README.md §3.2). Optional ids are omitted, not null, as the platform does. */
export function buildMessageReceiveEvent(src: EventSource, m: PushMessageInput): BuiltMessageEvent {
  const chatType = m.chatType ?? 'p2p';
  const senderOpenId = m.senderOpenId ?? DEFAULT_SENDER_OPEN_ID;
  const chatId = m.chatId ?? (chatType === 'p2p' ? p2pChatIdFor(src.appId, senderOpenId) : DEFAULT_GROUP_CHAT_ID);
  const messageId = m.messageId ?? newMessageId();
  const eventId = m.eventId ?? newEventId();
  const createTime = String(m.createTime ?? Date.now());
  const messageType = m.messageType ?? 'text';
  const content = m.content !== undefined ? m.content : { text: m.text ?? '' };

  const message: Record<string, unknown> = { message_id: messageId };
  if (m.rootId !== undefined) message.root_id = m.rootId;
  if (m.parentId !== undefined) message.parent_id = m.parentId;
  message.create_time = createTime;
  message.update_time = createTime;
  message.chat_id = chatId;
  if (m.threadId !== undefined) message.thread_id = m.threadId;
  message.chat_type = chatType;
  message.message_type = messageType;
  message.content = JSON.stringify(content);
  if (m.mentions && m.mentions.length > 0) {
    message.mentions = m.mentions.map((mention) => {
      const isBot = mention.mentionedType === 'bot';
      return {
        key: mention.key,
        // Bot mentions carry user_id: null in captures (lark/README.md §3.2).
        id: { open_id: mention.openId, union_id: unionIdFor(mention.openId), user_id: isBot ? null : `u_${derivedHex(mention.openId, 8)}` },
        ...(mention.mentionedType ? { mentioned_type: mention.mentionedType } : {}),
        name: mention.name,
        tenant_key: src.tenantKey,
      };
    });
  }

  const envelope: Envelope = {
    schema: '2.0',
    header: header(src, eventId, 'im.message.receive_v1', createTime),
    event: {
      sender: {
        sender_id: { open_id: senderOpenId, union_id: unionIdFor(senderOpenId), user_id: `u_${derivedHex(senderOpenId, 8)}` },
        sender_type: m.senderType ?? 'user',
        tenant_key: src.tenantKey,
      },
      message,
    },
  };
  return {
    envelope,
    messageId,
    eventId,
    chatId,
    chatType,
    senderOpenId,
    ...(m.threadId !== undefined ? { threadId: m.threadId } : {}),
    ...(m.rootId !== undefined ? { rootId: m.rootId } : {}),
  };
}

export interface BuiltCardAction {
  envelope: Envelope;
  eventId: string;
  cardToken: string;
}

export const DEFAULT_OPERATOR_OPEN_ID = DEFAULT_SENDER_OPEN_ID;

/**
 * `card.action.trigger` (lark/README.md §3.5). Uses the current `event.context` layout; note `header.create_time`
 * is in microseconds for card callbacks, unlike IM events.
 */
export function buildCardActionEvent(src: EventSource, a: PushCardActionInput): BuiltCardAction {
  const eventId = newEventId();
  const cardToken = newCardToken();
  const operatorOpenId = a.operatorOpenId ?? DEFAULT_OPERATOR_OPEN_ID;
  const envelope: Envelope = {
    schema: '2.0',
    header: header(src, eventId, 'card.action.trigger', String(Date.now() * 1000)),
    event: {
      operator: { tenant_key: src.tenantKey, open_id: operatorOpenId, union_id: unionIdFor(operatorOpenId) },
      token: cardToken,
      action: {
        value: a.value,
        tag: a.tag ?? 'button',
        ...(a.name !== undefined ? { name: a.name } : {}),
        ...(a.formValue !== undefined ? { form_value: a.formValue } : {}),
        ...(a.inputValue !== undefined ? { input_value: a.inputValue } : {}),
        ...(a.option !== undefined ? { option: a.option } : {}),
        ...(a.options !== undefined ? { options: a.options } : {}),
        ...(a.checked !== undefined ? { checked: a.checked } : {}),
      },
      host: a.host ?? 'im_message',
      context: { open_message_id: a.openMessageId, open_chat_id: a.openChatId },
    },
  };
  return { envelope, eventId, cardToken };
}

/** Dedupe/dispatch keys of an arbitrary envelope: v2 `header`, or legacy v1 `uuid` + `event.type` (lark/README.md §3.1). */
export function envelopeIdentity(envelope: object): { eventId: string; eventType: string } {
  const e = envelope as { header?: { event_id?: unknown; event_type?: unknown }; uuid?: unknown; event?: { type?: unknown } };
  const eventId = e.header?.event_id ?? e.uuid;
  const eventType = e.header?.event_type ?? e.event?.type;
  return {
    eventId: typeof eventId === 'string' ? eventId : '',
    eventType: typeof eventType === 'string' ? eventType : '',
  };
}

/**
 * The message inside an `im.message.receive_v1` envelope (lark/README.md §3.2) in the read-API shape, so messages
 * pushed with `push()` as well as `pushMessage()` can be read back, reacted to and downloaded from.
 */
export function incomingFromEnvelope(envelope: object): (StoredMessage & { chatType: string; senderOpenId: string }) | undefined {
  const e = envelope as { header?: { event_type?: unknown }; event?: unknown };
  if (e.header?.event_type !== 'im.message.receive_v1' || !isObject(e.event)) return undefined;
  const { message, sender } = e.event;
  if (!isObject(message) || typeof message.message_id !== 'string' || typeof message.chat_id !== 'string') return undefined;
  const senderId = isObject(sender) && isObject(sender.sender_id) ? sender.sender_id : {};
  const senderOpenId = typeof senderId.open_id === 'string' ? senderId.open_id : '';
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const mentions = Array.isArray(message.mentions) ? message.mentions.filter(isObject) : [];
  const rootId = str(message.root_id);
  const parentId = str(message.parent_id);
  const threadId = str(message.thread_id);
  return {
    messageId: message.message_id,
    chatId: message.chat_id,
    chatType: str(message.chat_type) ?? 'p2p',
    senderOpenId,
    msgType: str(message.message_type) ?? 'text',
    content: str(message.content) ?? '{}',
    createTime: str(message.create_time) ?? String(Date.now()),
    ...(rootId ? { rootId } : {}),
    ...(parentId ? { parentId } : {}),
    ...(threadId ? { threadId } : {}),
    sender: {
      id: senderOpenId,
      id_type: 'open_id',
      sender_type: isObject(sender) ? (str(sender.sender_type) ?? 'user') : 'user',
      tenant_key: isObject(sender) ? (str(sender.tenant_key) ?? '') : '',
    },
    // The read API flattens mention ids to one id + id_type (SDK type of message.get).
    ...(mentions.length > 0
      ? {
          mentions: mentions.map((m) => ({
            key: str(m.key) ?? '',
            id: isObject(m.id) ? (str(m.id.open_id) ?? '') : '',
            id_type: 'open_id',
            name: str(m.name) ?? '',
            ...(str(m.tenant_key) ? { tenant_key: str(m.tenant_key) } : {}),
          })),
        }
      : {}),
  };
}
