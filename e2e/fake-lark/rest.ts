import { isObject, json } from './http-util.js';
import type { HttpReply } from './http-util.js';
import { newMessageId, newThreadId } from './ids.js';
import type { AppRecord, AppRegistry } from './apps.js';
import type { MessageStore } from './messages.js';
import type { TokenStore } from './tokens.js';
import type { SentMessage } from './types.js';

export interface RestRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';

// §5.3 msg_type values and size limits (230025).
const MSG_TYPES = new Set(['text', 'post', 'image', 'file', 'audio', 'media', 'sticker', 'interactive', 'share_chat', 'share_user']);
const MAX_CONTENT_BYTES: Record<string, number> = { text: 150 * 1024, post: 30 * 1024, interactive: 30 * 1024 };
const RECEIVE_ID_TYPES = new Set(['open_id', 'union_id', 'user_id', 'email', 'chat_id']);

const AUTH_ERRORS = {
  99991661: 'Missing access token for authorization.',
  99991663: 'Invalid access token for authorization. Please make a request with token attached.',
  99991671: 'Invalid token format. Token should start with "t-" or "u-".',
} as const;

// §5.0: business errors come back with HTTP 400 and a non-zero code.
const fail = (code: number, msg: string): HttpReply => json(400, { code, msg });
const invalidParam = (detail: string): HttpReply =>
  fail(230001, `Your request contains an invalid request parameter, ext=${detail}`);

/** The `/open-apis/*` surface the bot runtime uses (§5.1-5.4). */
export class RestApi {
  constructor(
    private readonly apps: AppRegistry,
    private readonly tokens: TokenStore,
    private readonly messages: MessageStore,
  ) {}

  handle(req: RestRequest): HttpReply {
    if (req.path === TOKEN_PATH) {
      return req.method === 'POST' ? this.tenantToken(req.body) : notFound();
    }
    // Auth before routing, like the gateway: an unauthenticated call never learns whether a route exists.
    const auth = this.tokens.check(headerValue(req.headers.authorization));
    if (!auth.ok) return fail(auth.code, AUTH_ERRORS[auth.code]);
    const app = this.apps.get(auth.appId);
    if (!app) return fail(99991663, AUTH_ERRORS[99991663]);

    if (req.method === 'GET' && req.path === '/open-apis/bot/v3/info') return this.botInfo(app);
    if (req.method === 'POST' && req.path === '/open-apis/im/v1/messages') return this.send(app, req);
    const reply = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/.exec(req.path);
    if (req.method === 'POST' && reply?.[1]) return this.reply(app, decodeURIComponent(reply[1]), req.body);
    return notFound();
  }

  /** §5.1: credential errors come back as HTTP 200 with a non-zero code and no token. */
  private tenantToken(body: unknown): HttpReply {
    const appId = isObject(body) ? body.app_id : undefined;
    const appSecret = isObject(body) ? body.app_secret : undefined;
    if (typeof appId !== 'string' || !/^cli_[0-9a-f]{16}$/i.test(appId)) return json(200, { code: 10003, msg: 'invalid param', data: {} });
    const check = this.apps.check(appId, appSecret);
    if (check === 'unknown_app') return json(200, { code: 10014, msg: 'app id not exists' });
    if (check === 'bad_secret') return json(200, { code: 10014, msg: 'app secret invalid' });
    const { token, expire } = this.tokens.issue(appId);
    return json(200, { code: 0, msg: 'ok', tenant_access_token: token, expire });
  }

  /** §5.2: top-level `bot`, no `data`. */
  private botInfo(app: AppRecord): HttpReply {
    return json(200, {
      code: 0,
      msg: 'ok',
      bot: { activate_status: app.activateStatus, app_name: app.botName, avatar_url: '', ip_white_list: [], open_id: app.botOpenId },
    });
  }

  private send(app: AppRecord, req: RestRequest): HttpReply {
    const receiveIdType = req.query.receive_id_type;
    if (!receiveIdType || !RECEIVE_ID_TYPES.has(receiveIdType)) return invalidParam('receive_id_type');
    if (!isObject(req.body)) return invalidParam('body');
    const receiveId = req.body.receive_id;
    if (typeof receiveId !== 'string' || receiveId === '') return invalidParam('receive_id');
    const payload = validatePayload(req.body);
    if ('error' in payload) return payload.error;

    const existing = this.messages.findByUuid(app.appId, payload.uuid);
    if (existing) return this.messageReply(app, existing);
    const message: SentMessage = {
      messageId: newMessageId(),
      chatId: this.messages.chatFor(app.appId, receiveIdType, receiveId),
      msgType: payload.msgType,
      content: payload.content,
      ...(payload.uuid !== undefined ? { uuid: payload.uuid } : {}),
      createdAt: Date.now(),
    };
    this.messages.add(app.appId, message);
    return this.messageReply(app, message);
  }

  /**
   * §5.4. The fake cannot know every user message, so replying to an unknown id succeeds into chat
   * "unknown". Threads: a reply to a message in a thread stays there; reply_in_thread opens one.
   */
  private reply(app: AppRecord, targetId: string, body: unknown): HttpReply {
    if (!isObject(body)) return invalidParam('body');
    const payload = validatePayload(body);
    if ('error' in payload) return payload.error;
    const replyInThread = body.reply_in_thread === true;

    const existing = this.messages.findByUuid(app.appId, payload.uuid);
    if (existing) return this.messageReply(app, existing);

    const target = this.messages.lookup(targetId);
    const chatId = target?.chatId ?? 'unknown';
    let threadId = target?.threadId;
    if (!threadId && replyInThread) {
      threadId = newThreadId();
      this.messages.startThread(targetId, chatId, threadId);
    }
    const message: SentMessage = {
      messageId: newMessageId(),
      chatId,
      msgType: payload.msgType,
      content: payload.content,
      ...(payload.uuid !== undefined ? { uuid: payload.uuid } : {}),
      replyTo: targetId,
      ...(body.reply_in_thread !== undefined ? { replyInThread } : {}),
      ...(threadId ? { threadId } : {}),
      rootId: target?.rootId ?? targetId,
      createdAt: Date.now(),
    };
    this.messages.add(app.appId, message);
    return this.messageReply(app, message);
  }

  /** §5.3 response `data`. Optional ids are omitted when unset. */
  private messageReply(app: AppRecord, m: SentMessage): HttpReply {
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
}

function validatePayload(body: Record<string, unknown>): { msgType: string; content: string; uuid?: string } | { error: HttpReply } {
  const { msg_type: msgType, content, uuid } = body;
  if (typeof msgType !== 'string' || !MSG_TYPES.has(msgType)) return { error: invalidParam('msg_type') };
  if (typeof content !== 'string') return { error: invalidParam('content must be a JSON string') };
  try {
    JSON.parse(content);
  } catch {
    return { error: invalidParam('content is not valid JSON') };
  }
  if (uuid !== undefined && (typeof uuid !== 'string' || uuid.length > 50)) return { error: invalidParam('uuid') };
  const limit = MAX_CONTENT_BYTES[msgType];
  if (limit !== undefined && Buffer.byteLength(content) > limit) {
    return { error: fail(230025, 'The message content length exceeds the limit.') };
  }
  return uuid === undefined ? { msgType, content } : { msgType, content, uuid };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export const notFound = (): HttpReply => json(404, { code: 404, msg: 'not found' });
