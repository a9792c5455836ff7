import { appInfoReply, connectionCountReply } from './app-info.js';
import type { AppInfoStore } from './app-info.js';
import type { AppRecord, AppRegistry } from './apps.js';
import type { CardStore } from './cardkit.js';
import type { DirectoryStore } from './directory.js';
import { apiError, isObject, json, ok } from './http-util.js';
import type { HttpReply } from './http-util.js';
import type { MessageStore } from './messages.js';
import type { ReactionStore } from './reactions.js';
import type { ResourceStore } from './resources.js';
import { handleCardKit } from './rest-cardkit.js';
import { MessageRoutes } from './rest-messages.js';
import { SCOPES } from './scopes.js';
import type { ScopeGrants } from './scopes.js';
import type { TokenStore } from './tokens.js';
import type { RateLimits } from './rate-limits.js';

export interface RestRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface RestState {
  apps: AppRegistry;
  tokens: TokenStore;
  messages: MessageStore;
  cards: CardStore;
  reactions: ReactionStore;
  resources: ResourceStore;
  scopes: ScopeGrants;
  directory: DirectoryStore;
  rateLimits: RateLimits;
  appInfo: AppInfoStore;
  /** `online_instance_cnt` of lark/README.md §5.15: the app's open long connections plus the "other clients" a test set. */
  connectionCount: (appId: string) => number;
}

const TOKEN_PATH = '/open-apis/auth/v3/tenant_access_token/internal';
const MESSAGES = '/open-apis/im/v1/messages';

const AUTH_ERRORS = {
  99991661: 'Missing access token for authorization.',
  99991663: 'Invalid access token for authorization. Please make a request with token attached.',
  99991671: 'Invalid token format. Token should start with "t-" or "u-".',
} as const;

/** A route: `match` returns the decoded path params or undefined; `scopes` = any one needed (lark/README.md §6). */
interface Route {
  method: string;
  match: (path: string) => string[] | undefined;
  scopes?: readonly string[];
  /**
   * The API the call counts against in the rate limits (lark/README.md §8), and for sending and
   * replying the receiving chat; none for calls without a published limit.
   */
  limit?: (params: string[], req: RestRequest) => { api: string; chat?: string };
  run: (app: AppRecord, params: string[], req: RestRequest) => HttpReply | undefined;
}

const exact = (p: string) => (path: string) => (path === p ? [] : undefined);
const pattern = (re: RegExp) => (path: string) => {
  const m = re.exec(path);
  return m ? m.slice(1).map(decodeURIComponent) : undefined;
};

/** The `/open-apis/*` surface the bot runtime uses (lark/README.md §5). */
export class RestApi {
  private readonly routes: Route[];

  constructor(private readonly s: RestState) {
    const msg = new MessageRoutes(s.messages, s.cards);
    const id = '([^/]+)';
    this.routes = [
      { method: 'GET', match: exact('/open-apis/bot/v3/info'), run: (app) => botInfo(app) },
      // lark/README.md §5.12: no scope needed to ask which scopes the app has.
      { method: 'GET', match: exact('/open-apis/application/v6/scopes'), run: (app) => ok({ scopes: s.scopes.list(app.appId) }) },
      // lark/README.md §5.15: the app's own info; its rate limit is not published.
      {
        method: 'GET',
        match: pattern(new RegExp(`^/open-apis/application/v6/applications/${id}$`)),
        scopes: SCOPES.appInfo,
        run: (app, [appId = ''], req) => appInfoReply(app, s.appInfo.get(app.appId), s.scopes.requested(app.appId), appId, req.query),
      },
      // lark/README.md §5.15: no scope needed; 10/s.
      {
        method: 'GET',
        match: exact('/open-apis/event/v1/connection'),
        limit: () => ({ api: 'event.connection' }),
        run: (app) => connectionCountReply(s.connectionCount(app.appId)),
      },
      {
        method: 'POST',
        match: exact(MESSAGES),
        scopes: SCOPES.send,
        limit: (_p, req) => ({ api: 'message.create', chat: receiverOf(req) }),
        run: (app, _p, req) => msg.send(app, req.query, req.body),
      },
      {
        method: 'POST',
        match: pattern(new RegExp(`^${MESSAGES}/${id}/reply$`)),
        scopes: SCOPES.send,
        limit: ([m = '']) => ({ api: 'message.reply', chat: `chat:${s.messages.lookup(m)?.chatId ?? 'unknown'}` }),
        run: (app, [m], req) => msg.reply(app, m ?? '', req.body),
      },
      {
        method: 'GET',
        match: pattern(new RegExp(`^${MESSAGES}/${id}$`)),
        scopes: SCOPES.messageRead,
        limit: () => ({ api: 'message.get' }),
        run: (_app, [m]) => msg.get(m ?? ''),
      },
      {
        method: 'POST',
        match: pattern(new RegExp(`^${MESSAGES}/${id}/reactions$`)),
        scopes: SCOPES.reactions,
        limit: () => ({ api: 'reaction.create' }),
        run: (app, [m = ''], req) => s.reactions.add(app.appId, m, req.body, s.messages.record(m) !== undefined),
      },
      {
        method: 'DELETE',
        match: pattern(new RegExp(`^${MESSAGES}/${id}/reactions/${id}$`)),
        scopes: SCOPES.reactions,
        limit: () => ({ api: 'reaction.delete' }),
        run: (app, [m = '', r = '']) => s.reactions.remove(app.appId, m, r),
      },
      {
        method: 'GET',
        match: pattern(new RegExp(`^${MESSAGES}/${id}/resources/${id}$`)),
        scopes: SCOPES.resources,
        limit: () => ({ api: 'message.resource' }),
        run: (_app, [m = '', key = ''], req) => s.resources.download(m, key, req.query.type, s.messages.record(m)?.msgType),
      },
      {
        method: 'GET',
        match: exact('/open-apis/contact/v3/users/find_by_department'),
        scopes: SCOPES.contact,
        limit: () => ({ api: 'contact.find_by_department' }),
        run: (app, _p, req) => s.directory.findByDepartment(app.appId, req.query),
      },
      {
        method: 'GET',
        match: pattern(new RegExp(`^/open-apis/contact/v3/departments/${id}/children$`)),
        scopes: SCOPES.contact,
        limit: () => ({ api: 'contact.department_children' }),
        run: (app, [d = ''], req) => s.directory.children(app.appId, d, req.query),
      },
      {
        method: 'GET',
        match: exact('/open-apis/im/v1/chats'),
        scopes: SCOPES.chats,
        limit: () => ({ api: 'chat.list' }),
        run: (app, _p, req) => s.directory.listChats(app.appId, app.tenantKey, req.query),
      },
      ...['POST', 'PUT', 'PATCH'].map((method): Route => ({
        method,
        match: (path) => (path.startsWith('/open-apis/cardkit/v1/cards') ? [] : undefined),
        scopes: SCOPES.cardkit,
        limit: (_p, req) => ({ api: cardKitApi(req.method, req.path) }),
        run: (app, _p, req) => handleCardKit(s.cards, app.appId, req.method, req.path, req.body),
      })),
    ];
  }

  handle(req: RestRequest): HttpReply {
    if (req.path === TOKEN_PATH) {
      return req.method === 'POST' ? this.tenantToken(req.body) : notFound();
    }
    // Auth before routing, like the gateway: an unauthenticated call never learns whether a route exists.
    const auth = this.s.tokens.check(headerValue(req.headers.authorization));
    if (!auth.ok) return apiError(auth.code, AUTH_ERRORS[auth.code]);
    const app = this.s.apps.get(auth.appId);
    if (!app) return apiError(99991663, AUTH_ERRORS[99991663]);

    for (const route of this.routes) {
      if (route.method !== req.method) continue;
      const params = route.match(req.path);
      if (!params) continue;
      const denied = route.scopes ? this.s.scopes.check(app.appId, route.scopes) : undefined;
      if (denied) return denied;
      const limit = route.limit?.(params, req);
      const limited = limit ? this.s.rateLimits.admit(app.appId, limit.api, limit.chat) : undefined;
      if (limited) return limited;
      const reply = route.run(app, params, req);
      if (reply) return reply;
    }
    return notFound();
  }

  /** lark/README.md §5.1: credential errors come back as HTTP 200 with a non-zero code and no token. */
  private tenantToken(body: unknown): HttpReply {
    const appId = isObject(body) ? body.app_id : undefined;
    const appSecret = isObject(body) ? body.app_secret : undefined;
    if (typeof appId !== 'string' || !/^cli_[0-9a-f]{16}$/i.test(appId)) return json(200, { code: 10003, msg: 'invalid param', data: {} });
    const check = this.s.apps.check(appId, appSecret);
    if (check === 'unknown_app') return json(200, { code: 10014, msg: 'app id not exists' });
    if (check === 'bad_secret') return json(200, { code: 10014, msg: 'app secret invalid' });
    const { token, expire } = this.s.tokens.issue(appId);
    return json(200, { code: 0, msg: 'ok', tenant_access_token: token, expire });
  }
}

/** lark/README.md §5.2: top-level `bot`, no `data`. */
function botInfo(app: AppRecord): HttpReply {
  return json(200, {
    code: 0,
    msg: 'ok',
    bot: { activate_status: app.activateStatus, app_name: app.botName, avatar_url: '', ip_white_list: [], open_id: app.botOpenId },
  });
}

/** Sending counts against the receiving user or group (lark/README.md §8). */
function receiverOf(req: RestRequest): string | undefined {
  const receiveId = isObject(req.body) ? req.body.receive_id : undefined;
  return typeof receiveId === 'string' ? `${req.query.receive_id_type ?? ''}:${receiveId}` : undefined;
}

/** Each CardKit API has its own limit (lark/README.md §5.11): create, content, settings, update, elements. */
function cardKitApi(method: string, path: string): string {
  const parts = path.slice('/open-apis/cardkit/v1/cards'.length).split('/');
  if (parts.length <= 1 || parts[1] === '') return 'cardkit.create';
  if (parts[4] === 'content') return 'cardkit.content';
  if (parts[2] === 'settings') return 'cardkit.settings';
  if (parts[2] === 'elements') return `cardkit.elements.${method.toLowerCase()}`;
  return 'cardkit.update';
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export const notFound = (): HttpReply => json(404, { code: 404, msg: 'not found' });
