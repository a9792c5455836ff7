/** Public shapes of the fake platform. Kept in one file so tests can import types without pulling in servers. */

export interface FakeApp {
  appId: string;
  appSecret: string;
  botOpenId?: string;
  botName?: string;
  /** §5.2: 2 = enabled. */
  activateStatus?: number;
  /** Goes into `header.token` of pushed events (§3.1, §4.4); a fixed placeholder when omitted. */
  verificationToken?: string;
}

/** Discovery / pong `ClientConfig` (§2.2). Seconds, as on the wire. */
export interface ClientConfig {
  PingInterval: number;
  ReconnectCount: number;
  ReconnectInterval: number;
  ReconnectNonce: number;
}

export interface FakeLarkOptions {
  apps?: FakeApp[];
  clientConfig?: ClientConfig;
  /** A push not acked with code 200 within this is failed. Default 3000 (§2.9). */
  ackTimeoutMs?: number;
  /** Delay before each retry; at most this many retries. Default [500, 1000, 2000, 4000]. */
  repushDelaysMs?: number[];
  /** Payloads larger than this are split into several frames. 0 = never split (default). */
  fragmentBytes?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  at: number;
}

export interface SentMessage {
  messageId: string;
  chatId: string;
  msgType: string;
  content: string;
  uuid?: string;
  replyTo?: string;
  replyInThread?: boolean;
  threadId?: string;
  rootId?: string;
  createdAt: number;
}

export interface PushRecord {
  /** The data frame's `message_id` header; identical on every re-push of the same event. */
  pushId: string;
  appId: string;
  eventId: string;
  eventType: string;
  /** Deliveries so far (1 = first delivery). */
  attempts: number;
  acked: boolean;
  ackCode?: number;
  ackData?: unknown;
  ackLatencyMs?: number;
  deliveredTo: string[];
}

export interface ConnectionInfo {
  id: string;
  appId: string;
  deviceId: string;
  openedAt: number;
  pings: number;
}

export interface PushOptions {
  frameType?: 'event' | 'card';
  fragments?: number;
  outOfOrder?: boolean;
}

export interface MessageMention {
  key: string;
  openId: string;
  name: string;
  mentionedType?: 'bot' | 'user';
}

export interface PushMessageInput {
  chatId?: string;
  chatType?: 'p2p' | 'group';
  text?: string;
  messageType?: string;
  content?: object;
  senderOpenId?: string;
  senderType?: string;
  mentions?: MessageMention[];
  rootId?: string;
  parentId?: string;
  threadId?: string;
  messageId?: string;
  eventId?: string;
  createTime?: number;
}

export interface PushCardActionInput {
  openMessageId: string;
  openChatId: string;
  operatorOpenId?: string;
  value: unknown;
  tag?: string;
}

export interface RequestMatch {
  method?: string;
  path: string | RegExp;
}

export interface InjectedResponse {
  status: number;
  body: object;
  headers?: Record<string, string>;
}
