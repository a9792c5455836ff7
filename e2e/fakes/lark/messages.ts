import { derivedHex } from './ids.js';
import { p2pChatIdFor } from './events.js';
import type { SentMessage } from './types.js';

/** What the fake knows about a message id: enough to route a reply into the right chat/thread. */
interface KnownMessage {
  chatId: string;
  threadId?: string;
  rootId?: string;
}

/** A message as `GET /im/v1/messages/:id` returns it (lark/README.md §5.3 response shape), minus content post-processing. */
export interface StoredMessage {
  messageId: string;
  chatId: string;
  msgType: string;
  content: string;
  createTime: string;
  rootId?: string;
  parentId?: string;
  threadId?: string;
  sender: { id: string; id_type: string; sender_type: string; tenant_key: string };
  mentions?: Array<{ key: string; id: string; id_type: string; name: string; tenant_key?: string }>;
}

/** Messages the fake has seen (pushed to the bot) or created (sent by the bot). */
export class MessageStore {
  private readonly known = new Map<string, KnownMessage>();
  private readonly records = new Map<string, StoredMessage>();
  private readonly p2pChats = new Map<string, string>();
  private readonly sent: SentMessage[] = [];
  private readonly byUuid = new Map<string, SentMessage>();

  constructor(private readonly onChange: () => void) {}

  rememberIncoming(appId: string, m: StoredMessage & { chatType: string; senderOpenId: string }): void {
    const { chatType, senderOpenId, ...record } = m;
    this.records.set(m.messageId, record);
    this.known.set(m.messageId, {
      chatId: m.chatId,
      ...(m.threadId ? { threadId: m.threadId } : {}),
      ...(m.rootId ? { rootId: m.rootId } : {}),
    });
    if (chatType === 'p2p') this.p2pChats.set(`${appId}:${senderOpenId}`, m.chatId);
  }

  lookup(messageId: string): KnownMessage | undefined {
    return this.known.get(messageId);
  }

  /** Full record of a pushed or bot-sent message, for message reads, reactions and resources. */
  record(messageId: string): StoredMessage | undefined {
    return this.records.get(messageId);
  }

  /** Marks a message as the root of a new thread so later replies to it join that thread. */
  startThread(messageId: string, chatId: string, threadId: string): void {
    const existing = this.known.get(messageId);
    this.known.set(messageId, { ...(existing ?? { chatId }), threadId });
    const record = this.records.get(messageId);
    if (record) record.threadId = threadId;
  }

  /** The chat a send lands in (lark/README.md §5.3): chat_id verbatim, a user id maps to the bot's p2p chat with that user. */
  chatFor(appId: string, receiveIdType: string, receiveId: string): string {
    if (receiveIdType === 'chat_id') return receiveId;
    if (receiveIdType === 'open_id') return this.p2pChats.get(`${appId}:${receiveId}`) ?? p2pChatIdFor(appId, receiveId);
    return `oc_${derivedHex(`p2p:${appId}:${receiveIdType}:${receiveId}`)}`;
  }

  /** lark/README.md §5.3: the same uuid from the same app yields the message created the first time. */
  findByUuid(appId: string, uuid: string | undefined): SentMessage | undefined {
    return uuid === undefined ? undefined : this.byUuid.get(`${appId}:${uuid}`);
  }

  add(app: { appId: string; tenantKey: string }, message: SentMessage): void {
    this.sent.push(message);
    if (message.uuid !== undefined) this.byUuid.set(`${app.appId}:${message.uuid}`, message);
    this.known.set(message.messageId, {
      chatId: message.chatId,
      ...(message.threadId ? { threadId: message.threadId } : {}),
      ...(message.rootId ? { rootId: message.rootId } : {}),
    });
    this.records.set(message.messageId, {
      messageId: message.messageId,
      chatId: message.chatId,
      msgType: message.msgType,
      content: message.content,
      createTime: String(message.createdAt),
      ...(message.rootId ? { rootId: message.rootId } : {}),
      ...(message.replyTo ? { parentId: message.replyTo } : {}),
      ...(message.threadId ? { threadId: message.threadId } : {}),
      sender: { id: app.appId, id_type: 'app_id', sender_type: 'app', tenant_key: app.tenantKey },
    });
    this.onChange();
  }

  list(filter: { chatId?: string; replyTo?: string; cardId?: string } = {}): SentMessage[] {
    return this.sent.filter(
      (m) =>
        (filter.chatId === undefined || m.chatId === filter.chatId) &&
        (filter.replyTo === undefined || m.replyTo === filter.replyTo) &&
        (filter.cardId === undefined || m.cardId === filter.cardId),
    );
  }
}
