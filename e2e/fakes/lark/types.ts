/** Public shapes of the fake platform. Kept in one file so tests can import types without pulling in servers. */

import type { RateLimitOptions } from './rate-limits.js';
import type { WebhookOutcome, WebhookRequest, WebhookResponse } from './webhook-crypto.js';

export interface FakeApp {
  appId: string;
  appSecret: string;
  botOpenId?: string;
  botName?: string;
  /** lark/README.md §5.2: 2 = enabled. */
  activateStatus?: number;
  /** Goes into `header.token` of pushed events (lark/README.md §3.1, §4.4); a fixed placeholder when omitted. */
  verificationToken?: string;
  /**
   * Scopes the tenant granted this app (lark/README.md §5.12, §6). Undefined = every scope; when set, a call needing
   * a scope outside the list fails with 99991672.
   */
  grantedScopes?: string[];
  /** What the app reads about its own setup (`application/v6/applications/me`, lark/README.md §5.15); defaults in `FakeAppInfo`. */
  info?: FakeAppInfo;
  /**
   * Webhook mode (lark/README.md §4; §11): events and card callbacks are POSTed
   * to this request URL instead of the long connection. Also settable later with `setWebhook`.
   */
  webhook?: FakeWebhook;
}

/** The app's request URL and its Encryption Strategy (console: Events & Callbacks), one URL for events and callbacks. */
export interface FakeWebhook {
  url: string;
  /** With a key every request is encrypted and signed (lark/README.md §4.2, §4.3); without one, plain and unsigned. */
  encryptKey?: string;
  /** The app's Verification Token (`header.token`, the challenge's `token`); sets `FakeApp.verificationToken`. */
  verificationToken?: string;
  /** Push to the long connection as well (a second PushRecord, `via` unset); the real platform has one mode per app. */
  alsoLongConnection?: boolean;
  /**
   * A re-push is signed afresh (new timestamp, nonce and IV). Default false: the first attempt's exact bytes and
   * headers again, so a re-push 7 h later carries a 7 h old timestamp. The docs say neither (lark/README.md §11).
   */
  resignRepushes?: boolean;
  /** CA of an https:// request URL with a test certificate. */
  ca?: string;
}

/** One HTTP delivery attempt of a webhook push, as the platform saw it. */
export interface WebhookAttempt {
  /** 1 = first delivery. */
  attempt: number;
  url: string;
  sentAt: number;
  /** What was sent (exact bytes and headers). */
  request: WebhookRequest;
  outcome: WebhookOutcome;
  status?: number;
  /** Response body text. */
  body: string;
  latencyMs: number;
  /** Socket error code for `connect-failed` / `reset`. */
  error?: string;
}

/** A `url_verification` challenge sent as the console does when a request URL is saved (lark/README.md §4.1). */
export interface UrlVerification {
  appId: string;
  url: string;
  challenge: string;
  /** Sent as `{"encrypt":…}`. */
  encrypted: boolean;
  request: WebhookRequest;
  response: WebhookResponse;
  /** HTTP 200 with `{"challenge": <the same>}` within the 1 s deadline: the console would save the URL. */
  answered: boolean;
  latencyMs: number;
  at: number;
}

/** How events or callbacks reach the app: the long connection (`websocket`) or an HTTP `webhook`. */
export type DeliveryMode = 'websocket' | 'webhook';

/**
 * The app's own setup as `GET /open-apis/application/v6/applications/me` reports it (lark/README.md §5.15).
 * `app_name` is the app's `botName`, `secret` its `appSecret`, `encryption.verification_token` its `verificationToken`.
 */
export interface FakeAppInfo {
  /** `status`: 0 disabled, 1 enabled (default), 2 not enabled, 3 unknown. */
  status?: number;
  /** `online_version_id`, the published version; `null` = never published (field absent). Default a stable `oav_…`. */
  onlineVersionId?: string | null;
  /** `unaudit_version_id`, a version waiting for an admin's review; default none. */
  unauditVersionId?: string | null;
  /** `event.subscription_type`; default `websocket`; `null` = not chosen (field absent). */
  eventMode?: DeliveryMode | null;
  /** `event.request_url` (webhook mode). */
  eventRequestUrl?: string;
  /** `event.subscribed_events`; default `['im.message.receive_v1']`. */
  subscribedEvents?: string[];
  /** `callback_info.callback_type`; default `websocket`; `null` = not chosen (field absent). */
  callbackMode?: DeliveryMode | null;
  /** `callback_info.request_url` (webhook mode). */
  callbackRequestUrl?: string;
  /** `callback_info.subscribed_callbacks`; default `['card.action.trigger']`. */
  subscribedCallbacks?: string[];
  /** `owner.owner_id` and `creator_id`; default a stable `ou_…` (a registration sets the scanning user). */
  ownerOpenId?: string;
  description?: string;
  avatarUrl?: string;
  /** `encryption.encryption_key`; default empty (no encryption). */
  encryptKey?: string;
}

/** Discovery / pong `ClientConfig` (lark/README.md §2.2). Seconds, as on the wire. */
export interface ClientConfig {
  PingInterval: number;
  ReconnectCount: number;
  ReconnectInterval: number;
  ReconnectNonce: number;
}

export interface FakeLarkOptions {
  apps?: FakeApp[];
  clientConfig?: ClientConfig;
  /** A push not acked with code 200 within this is failed. Default 3000 (lark/README.md §2.9). */
  ackTimeoutMs?: number;
  /** Delay before each retry; at most this many retries. Default [500, 1000, 2000, 4000]. */
  repushDelaysMs?: number[];
  /** Payloads larger than this are split into several frames. 0 = never split (default). */
  fragmentBytes?: number;
  /** lark/README.md §5.11: streaming mode closes this long after it was last enabled. Default 10 minutes. */
  streamingTimeoutMs?: number;
  /**
   * lark/README.md §5.11/§8: at most this many CardKit operations per second per card, else 429 / 99991400.
   * Default 10, the published limit; `null` = only record the timestamps (`FakeCard.requestedAt`).
   */
  cardOpsPerSecond?: number | null;
  /**
   * lark/README.md §8: each API 50/s and 1000/min per app (else 429 / 99991400 with `x-ogw-ratelimit-*`
   * headers), sending and replying 5/s per receiving user or group (else 230020). On by default with the
   * published figures; numbers given replace those; `false` turns them off (tests of the fake itself).
   */
  rateLimits?: false | Partial<RateLimitOptions>;
  /**
   * Also serve the app-registration device flow (lark/README.md §5.15) over HTTPS on two more loopback
   * ports, the Feishu and the Lark accounts host (`accountsHosts`), with this key and certificate
   * (`testCertificate()` makes one). Without it the flow is only on `url` (as the Feishu host).
   */
  accountsTls?: { key: string; cert: string };
  /** Webhook mode: no TCP connection to the request URL within this is a failed attempt. Default 2000 (lark/README.md §4). */
  webhookConnectTimeoutMs?: number;
  /**
   * Seeds the choice of one random connection per delivery attempt (lark/README.md §2.11, cluster mode),
   * events and card callbacks alike: the same seed, connections opened in the same order and the same
   * attempts give the same choices. Default: `Math.random`.
   */
  seed?: number;
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
  /** Set when the message is a CardKit card entity (`{"type":"card","data":{"card_id"}}`, lark/README.md §5.11). */
  cardId?: string;
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
  /** When it was acked with code 200: the moment the platform counts it delivered (a re-push's ack, for a re-pushed one). */
  ackedAt?: number;
  deliveredTo: string[];
  /** `webhook` when delivered over HTTP to the request URL (then `deliveredTo` holds the URL per attempt); unset = long connection. */
  via?: 'webhook';
  /**
   * Webhook pushes: every HTTP attempt. `ackCode` is then the last HTTP status, `ackData` the last response body
   * (JSON-decoded when it parses: a callback's toast/card), `ackLatencyMs` the last attempt's time to its answer.
   */
  webhookAttempts?: WebhookAttempt[];
  /** Webhook pushes: some attempt was answered 4xx (401 for a bad signature). The platform re-pushes it like any failure. */
  refused?: boolean;
  /**
   * Webhook card callbacks (never re-pushed): the client error the clicking user sees (lark/README.md §3.5):
   * 200341 timed out, 200342 connect failed, 200671 non-200 status, 200672 malformed response body.
   */
  callbackError?: number;
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
  /**
   * The first attempt goes to this connection (`connections()[i].id`) when it is ready then, as the
   * platform's random choice may: a test steering a click to one replica. Re-pushes choose at random.
   */
  connectionId?: string;
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
  /** Downloadable binaries of this message (lark/README.md §5.8), registered as if by `addResource`. */
  resources?: Array<FakeResourceInput & { fileKey: string }>;
}

export interface PushCardActionInput {
  openMessageId: string;
  openChatId: string;
  operatorOpenId?: string;
  value: unknown;
  tag?: string;
  /** lark/README.md §3.5 per-component fields: `name` / `form_value` for forms, `input_value`, `option(s)`, `checked`. */
  name?: string;
  formValue?: Record<string, unknown>;
  inputValue?: string;
  option?: string;
  options?: string[];
  checked?: boolean;
  /** `im_message` (default) or `im_top_notice`. */
  host?: string;
}

export type CardOpKind = 'create' | 'content' | 'settings' | 'update' | 'elements';

export interface CardOp {
  kind: CardOpKind;
  sequence?: number;
  at: number;
  uuid?: string;
  /** The streamed text of a `content` op. */
  content?: string;
  elementId?: string;
}

/** A CardKit card entity (lark/README.md §5.11). Live object: it keeps changing as the bot operates on the card. */
export interface FakeCard {
  cardId: string;
  appId: string;
  /** The current card JSON, with streamed contents, settings and updates applied. */
  json: Record<string, unknown>;
  /** Streaming mode is on and has not yet auto-closed. */
  streaming: boolean;
  /** Applied operations in order (an idempotent uuid replay is not applied again, so not listed). */
  ops: CardOp[];
  /** Arrival time of every request addressed to this card, rejected ones included (lark/README.md §8 per-card limit). */
  requestedAt: number[];
  /** The message id the entity was sent as (a card entity can be sent once). */
  sentAs?: string;
}

export interface FakeReaction {
  reactionId: string;
  emojiType: string;
  operatorType: 'app' | 'user';
  operatorId: string;
  active: boolean;
  addedAt: number;
  removedAt?: number;
}

export interface FakeResourceInput {
  type: 'image' | 'file';
  bytes: Buffer;
  contentType: string;
  fileName?: string;
  /** Pretend size in bytes (to trigger the 100 MB limit, 234037) without allocating it. */
  size?: number;
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
