import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { AppInfoStore } from './app-info.js';
import { AppRegistry } from './apps.js';
import { Delivery } from './delivery.js';
import { textOf } from './card-json.js';
import { CardStore } from './cardkit.js';
import { buildCardActionEvent, buildMessageReceiveEvent, envelopeIdentity, incomingFromEnvelope } from './events.js';
import { json, parseBody, queryOf, readBody, writeReply } from './http-util.js';
import type { HttpReply } from './http-util.js';
import { hex } from './ids.js';
import { FaultInjector } from './injection.js';
import { LongConnectionServer } from './long-connection.js';
import type { HandshakeRejection } from './long-connection.js';
import { MessageStore } from './messages.js';
import { ReactionStore } from './reactions.js';
import { ResourceStore } from './resources.js';
import { RestApi, notFound } from './rest.js';
import { PUBLISHED_RATE_LIMITS, RateLimits } from './rate-limits.js';
import type { RateLimitHit } from './rate-limits.js';
import { REGISTRATION_PATH, RegistrationFlow } from './registration.js';
import type { AccountsBrand, RegistrationControl } from './registration.js';
import { ScopeGrants } from './scopes.js';
import { DirectoryStore } from './directory.js';
import type { FakeChat, FakeDepartment, FakeUser } from './directory.js';
import { TimerSet } from './timers.js';
import { TokenStore } from './tokens.js';
import type {
  ClientConfig,
  ConnectionInfo,
  FakeApp,
  FakeAppInfo,
  FakeCard,
  FakeLarkOptions,
  FakeReaction,
  FakeResourceInput,
  FakeWebhook,
  InjectedResponse,
  PushCardActionInput,
  PushMessageInput,
  PushOptions,
  PushRecord,
  RecordedRequest,
  RequestMatch,
  SentMessage,
  UrlVerification,
} from './types.js';
import { Waiters } from './waiters.js';
import { WebhookDelivery } from './webhook-delivery.js';
import { buildWebhookRequest } from './webhook-crypto.js';
import type { BuildWebhookOptions, WebhookRequest, WebhookResponse } from './webhook-crypto.js';

const DEFAULT_CLIENT_CONFIG: ClientConfig = { PingInterval: 5, ReconnectCount: -1, ReconnectInterval: 1, ReconnectNonce: 0 };
const DEFAULT_WAIT_MS = 5000;
/** lark/README.md §5.11: streaming mode auto-closes 10 minutes after it was last enabled. */
const DEFAULT_STREAMING_TIMEOUT_MS = 10 * 60 * 1000;
/** lark/README.md §5.11, §8: at most 10 operations per second per card entity. */
const DEFAULT_CARD_OPS_PER_SECOND = 10;

/**
 * A loopback Lark/Feishu Open Platform speaking the real wire protocol (electron/core/lark/README.md),
 * so the unmodified `@larksuiteoapi/node-sdk` can run against `url`.
 */
export class FakeLarkPlatform {
  readonly url: string;
  /**
   * `host:port` of the Feishu and Lark accounts hosts (HTTPS, `accountsTls`), to pass as `registerApp`'s
   * `domain` / `larkDomain` (lark/README.md §5.15); undefined without `accountsTls`.
   */
  readonly accountsHosts: Readonly<Record<AccountsBrand, string>> | undefined;
  /** The app-registration device flow (lark/README.md §5.15): script what the next registration does, read what was polled. */
  readonly registration: RegistrationControl;
  private readonly flow: RegistrationFlow;
  private readonly infos = new AppInfoStore();
  private readonly otherConnections = new Map<string, number>();
  private readonly timers = new TimerSet();
  private readonly waiters = new Waiters(this.timers);
  private readonly apps = new AppRegistry();
  private readonly tokens = new TokenStore();
  private readonly messages = new MessageStore(() => this.waiters.notify());
  private readonly reactionStore = new ReactionStore();
  private readonly resources = new ResourceStore();
  private readonly scopes = new ScopeGrants();
  private readonly directory = new DirectoryStore();
  private readonly cardStore: CardStore;
  private readonly limits: RateLimits;
  private readonly rest: RestApi;
  private readonly faults = new FaultInjector();
  private readonly recorded: RecordedRequest[] = [];
  private readonly longConn: LongConnectionServer;
  private readonly delivery: Delivery;
  private readonly webhooks: WebhookDelivery;
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly accountsServers: Partial<Record<AccountsBrand, Server>>,
    opts: FakeLarkOptions,
  ) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    const hostOf = (s: Server | undefined) => `127.0.0.1:${(s?.address() as AddressInfo).port}`;
    this.accountsHosts = accountsServers.feishu
      ? { feishu: hostOf(accountsServers.feishu), lark: hostOf(accountsServers.lark) }
      : undefined;
    this.flow = new RegistrationFlow((reg, script) => this.approveRegistration(reg.openId ?? '', script));
    this.registration = this.flow;
    this.cardStore = new CardStore(this.timers, {
      streamingTimeoutMs: opts.streamingTimeoutMs ?? DEFAULT_STREAMING_TIMEOUT_MS,
      ...(opts.cardOpsPerSecond !== null ? { cardOpsPerSecond: opts.cardOpsPerSecond ?? DEFAULT_CARD_OPS_PER_SECOND } : {}),
    });
    this.limits = new RateLimits(opts.rateLimits === false ? undefined : { ...PUBLISHED_RATE_LIMITS, ...opts.rateLimits });
    this.rest = new RestApi({
      apps: this.apps,
      tokens: this.tokens,
      messages: this.messages,
      cards: this.cardStore,
      reactions: this.reactionStore,
      resources: this.resources,
      scopes: this.scopes,
      directory: this.directory,
      rateLimits: this.limits,
      appInfo: this.infos,
      connectionCount: (appId) => this.longConn.list(appId).length + (this.otherConnections.get(appId) ?? 0),
    });
    this.webhooks = new WebhookDelivery(this.timers, this.waiters, {
      ackTimeoutMs: opts.ackTimeoutMs ?? 3000,
      repushDelaysMs: [...(opts.repushDelaysMs ?? [500, 1000, 2000, 4000])],
      connectTimeoutMs: opts.webhookConnectTimeoutMs ?? 2000,
    });
    for (const app of opts.apps ?? []) this.addApp(app);
    this.longConn = new LongConnectionServer(
      this.apps,
      { ...(opts.clientConfig ?? DEFAULT_CLIENT_CONFIG) },
      () => `ws://127.0.0.1:${port}`,
      () => this.waiters.notify(),
    );
    this.delivery = new Delivery(this.longConn, this.timers, this.waiters, {
      ackTimeoutMs: opts.ackTimeoutMs ?? 3000,
      repushDelaysMs: [...(opts.repushDelaysMs ?? [500, 1000, 2000, 4000])],
      fragmentBytes: opts.fragmentBytes ?? 0,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    });
    this.longConn.listener = {
      ready: (conn) => this.delivery.connectionReady(conn),
      closed: (conn) => this.delivery.connectionClosed(conn),
      dataFrame: (conn, frame) => this.delivery.ackFrame(conn, frame),
    };
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.onRequest(req, res, 'open'));
    for (const brand of ['feishu', 'lark'] as const) {
      accountsServers[brand]?.on('request', (req: IncomingMessage, res: ServerResponse) => void this.onRequest(req, res, brand));
    }
    server.on('upgrade', (req: IncomingMessage, socket, head: Buffer) => {
      this.record(req, undefined);
      this.longConn.upgrade(req, socket, head);
    });
  }

  static async start(opts: FakeLarkOptions = {}): Promise<FakeLarkPlatform> {
    const server = await listen(createServer());
    const tls = opts.accountsTls;
    const accounts = tls
      ? {
          feishu: await listen(createHttpsServer({ key: tls.key, cert: tls.cert })),
          lark: await listen(createHttpsServer({ key: tls.key, cert: tls.cert })),
        }
      : {};
    return new FakeLarkPlatform(server, accounts, opts);
  }

  addApp(app: FakeApp): void {
    const token = app.verificationToken ?? app.webhook?.verificationToken;
    if (app.webhook?.verificationToken !== undefined && token !== app.webhook.verificationToken) {
      throw new Error(`fake-lark: app ${app.appId} has two different verification tokens (app and webhook)`);
    }
    this.apps.add(token === undefined ? app : { ...app, verificationToken: token });
    this.scopes.set(app.appId, app.grantedScopes);
    this.infos.set(app.appId, app.webhook ? { ...webhookInfo(app.webhook), ...app.info } : app.info);
    this.webhooks.set(app.appId, app.webhook);
  }

  // ---- webhook mode (lark/README.md §4; §11) ------------

  /**
   * Events and card callbacks of the app now go to `webhook.url` over HTTP (`null`: back to the long connection).
   * Its `verificationToken` becomes the app's, and the app's setup facts say webhook mode with this URL and key.
   */
  setWebhook(appId: string, webhook: FakeWebhook | null): void {
    const app = this.apps.require(appId);
    this.webhooks.set(appId, webhook ?? undefined);
    if (webhook?.verificationToken !== undefined) app.verificationToken = webhook.verificationToken;
    this.infos.patch(
      appId,
      webhook ? webhookInfo(webhook) : { eventMode: 'websocket', callbackMode: 'websocket', eventRequestUrl: '', callbackRequestUrl: '' },
    );
  }

  webhook(appId: string): FakeWebhook | undefined {
    this.apps.require(appId);
    return this.webhooks.get(appId);
  }

  /**
   * The request the platform would POST for a message, a card click or any envelope, signed and encrypted with the
   * app's Encrypt Key (or as `opts` say), so a test can tamper with it and send it with `sendWebhook`. `token`
   * replaces `header.token`. A message becomes readable / reactable / repliable, as when pushed.
   */
  webhookRequest(
    appId: string,
    what: { message: PushMessageInput } | { cardAction: PushCardActionInput } | { envelope: object },
    opts: BuildWebhookOptions & { token?: string } = {},
  ): { request: WebhookRequest; envelope: object; eventId: string; messageId?: string } {
    const app = this.apps.require(appId);
    let envelope: Record<string, unknown>;
    let messageId: string | undefined;
    if ('message' in what) {
      const built = buildMessageReceiveEvent(app, what.message);
      for (const { fileKey, ...resource } of what.message.resources ?? []) this.resources.add(built.messageId, fileKey, resource);
      envelope = built.envelope;
      messageId = built.messageId;
    } else if ('cardAction' in what) envelope = buildCardActionEvent(app, what.cardAction).envelope;
    else envelope = { ...(what.envelope as Record<string, unknown>) };
    const { token, ...buildOpts } = opts;
    if (token !== undefined) envelope = { ...envelope, header: { ...(envelope.header as object), token } };
    const incoming = incomingFromEnvelope(envelope);
    if (incoming) this.messages.rememberIncoming(appId, incoming);
    const encryptKey = this.webhooks.get(appId)?.encryptKey;
    const request = buildWebhookRequest(envelope, { ...(encryptKey ? { encryptKey } : {}), ...buildOpts });
    return { request, envelope, eventId: envelopeIdentity(envelope).eventId, ...(messageId ? { messageId } : {}) };
  }

  /**
   * POSTs a hand-built request (exact bytes) to the app's webhook URL (or `opts.url`, or `opts.path` on its origin).
   * Not recorded as a push; never rejects. `timeoutMs` defaults to the ack deadline.
   */
  sendWebhook(
    appId: string,
    request: Pick<WebhookRequest, 'headers' | 'body'>,
    opts: { url?: string; path?: string; timeoutMs?: number } = {},
  ): Promise<WebhookResponse> {
    this.apps.require(appId);
    const config = this.webhooks.get(appId);
    const base = opts.url ?? config?.url;
    if (!base) return Promise.reject(new Error(`fake-lark: app ${appId} has no webhook url; setWebhook() first or pass { url }`));
    const url = opts.path !== undefined ? new URL(opts.path, base).toString() : base;
    return this.webhooks.sendRaw(url, request, opts.timeoutMs, config?.ca);
  }

  /**
   * The console's check when a request URL is saved (lark/README.md §4.1): POSTs `url_verification`, encrypted when the
   * app has an Encrypt Key (`encrypt` overrides), unsigned, and records whether the same challenge came back within 1 s.
   */
  verifyWebhookUrl(
    appId: string,
    opts: { url?: string; encrypt?: boolean; challenge?: string; token?: string; sign?: boolean; timeoutMs?: number } = {},
  ): Promise<UrlVerification> {
    const app = this.apps.require(appId);
    return this.webhooks.verifyUrl(appId, app.verificationToken, opts);
  }

  urlVerifications(appId?: string): UrlVerification[] {
    return this.webhooks.urlVerifications(appId);
  }

  /** Changes what the app reads about its own setup (lark/README.md §5.15); fields not given stay as they are. */
  setAppInfo(appId: string, info: FakeAppInfo): void {
    this.apps.require(appId);
    this.infos.patch(appId, info);
  }

  /** The app's setup as `application/v6/applications/me` reports it, defaults filled in. */
  appInfo(appId: string): FakeAppInfo {
    this.apps.require(appId);
    return this.infos.get(appId);
  }

  /**
   * Long connections the app has elsewhere (another program, another machine): added to the real count of
   * sockets connected here in `event/v1/connection`'s `online_instance_cnt` (lark/README.md §5.15).
   */
  setOtherConnections(appId: string, n: number): void {
    this.apps.require(appId);
    if (!Number.isInteger(n) || n < 0) throw new Error(`fake-lark: other connections must be a non-negative integer, got ${n}`);
    this.otherConnections.set(appId, n);
  }

  /** Scopes the tenant granted the app (lark/README.md §5.12); `undefined` = all. Missing ones fail calls with 99991672 (lark/README.md §6). */
  setGrantedScopes(appId: string, scopes: string[] | undefined): void {
    this.apps.require(appId);
    this.scopes.set(appId, scopes);
  }

  /** People in the app's contact range (`contact/v3/users/find_by_department`), each in `departmentId` (default root `0`). */
  setContactUsers(appId: string, users: FakeUser[]): void {
    this.apps.require(appId);
    this.directory.setUsers(appId, users);
  }

  /** The department tree below the root `0` (`contact/v3/departments/:id/children`). */
  setContactDepartments(appId: string, departments: FakeDepartment[]): void {
    this.apps.require(appId);
    this.directory.setDepartments(appId, departments);
  }

  /** The contact range covers nobody: the contact API answers 41050. */
  setContactRangeEmpty(appId: string, empty = true): void {
    this.apps.require(appId);
    this.directory.setContactRangeEmpty(appId, empty);
  }

  /** Groups the app's bot is in (`im/v1/chats`). */
  setBotChats(appId: string, chats: FakeChat[]): void {
    this.apps.require(appId);
    this.directory.setChats(appId, chats);
  }

  // ---- long connection -------------------------------------------------------------------

  connections(appId?: string): ConnectionInfo[] {
    return this.longConn
      .list(appId)
      .map(({ id, appId: app, deviceId, openedAt, pings }) => ({ id, appId: app, deviceId, openedAt, pings }));
  }

  /** Resolves once `n` sockets of the app are open and have sent their first ping (i.e. can receive pushes). */
  waitForConnections(appId: string, n = 1, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.wait(
      () => (this.longConn.readyFor(appId).length >= n ? true : undefined),
      timeoutMs,
      () => `${n} connection(s) of ${appId} (have ${this.longConn.readyFor(appId).length})`,
    ).then(() => undefined);
  }

  /** Keeps the sockets open but stops answering pings or pushing on them (a half-open connection). */
  silenceConnections(appId?: string): void {
    this.longConn.silence(appId);
  }

  dropConnections(appId?: string): void {
    this.longConn.drop(appId);
  }

  setDiscoveryError(appId: string, err: { code: number; msg: string } | null): void {
    this.longConn.setDiscoveryError(appId, err);
  }

  rejectHandshakes(appId: string, headers: HandshakeRejection | null): void {
    this.longConn.rejectHandshakes(appId, headers);
  }

  /** Pushes any envelope; an `im.message.receive_v1` one also makes its message readable / reactable (lark/README.md §5.7, §5.8). */
  push(appId: string, envelope: object, opts?: PushOptions): PushRecord {
    this.apps.require(appId);
    const incoming = incomingFromEnvelope(envelope);
    if (incoming) this.messages.rememberIncoming(appId, incoming);
    const webhook = this.webhooks.get(appId);
    if (!webhook) return this.delivery.push(appId, randomUUID(), envelopeIdentity(envelope), envelope, opts);
    if (webhook.alsoLongConnection) this.delivery.push(appId, randomUUID(), envelopeIdentity(envelope), envelope, opts);
    return this.webhooks.push(appId, randomUUID(), envelopeIdentity(envelope), envelope);
  }

  pushMessage(appId: string, m: PushMessageInput, opts?: PushOptions): { messageId: string; eventId: string; push: PushRecord } {
    const app = this.apps.require(appId);
    const built = buildMessageReceiveEvent(app, m);
    for (const { fileKey, ...resource } of m.resources ?? []) this.resources.add(built.messageId, fileKey, resource);
    const push = this.push(appId, built.envelope, opts);
    return { messageId: built.messageId, eventId: built.eventId, push };
  }

  /**
   * `card.action.trigger` (lark/README.md §3.5). The handler's response (toast / card) lands decoded in the record's
   * `ackData`, with `ackLatencyMs` against the 3 s callback deadline.
   */
  pushCardAction(appId: string, a: PushCardActionInput, opts?: PushOptions): PushRecord {
    const app = this.apps.require(appId);
    return this.push(appId, buildCardActionEvent(app, a).envelope, opts);
  }

  /** Makes `fileKey` of `messageId` downloadable through lark/README.md §5.8 (keys belong to one message). */
  addResource(messageId: string, fileKey: string, resource: FakeResourceInput): void {
    this.resources.add(messageId, fileKey, resource);
  }

  // ---- CardKit and reactions --------------------------------------------------------------

  /** Card entities created through CardKit (lark/README.md §5.11); live objects. */
  cards(): FakeCard[] {
    return this.cardStore.list();
  }

  card(cardId: string): FakeCard | undefined {
    return this.cardStore.get(cardId);
  }

  /** Current text of the element (or of the first markdown element) of a card entity. */
  cardText(cardId: string, elementId?: string): string | undefined {
    const card = this.cardStore.get(cardId);
    return card ? textOf(card.json, elementId) : undefined;
  }

  /** Reactions the bot added to a message (lark/README.md §5.7), removed ones included with `active: false`. */
  reactions(messageId: string): FakeReaction[] {
    return this.reactionStore.list(messageId);
  }

  /** Resolves when acked with code 200; rejects once the push gave up (retries exhausted) or on timeout. */
  waitForAck(pushId: string, timeoutMs = DEFAULT_WAIT_MS): Promise<PushRecord> {
    if (this.closed) return Promise.reject(new Error('fake-lark: closed'));
    if (this.webhooks.has(pushId)) return this.webhooks.waitForAck(pushId, timeoutMs);
    return this.delivery.waitForAck(pushId, timeoutMs);
  }

  /** Long-connection pushes, then webhook ones (`via: 'webhook'`). */
  pushes(): PushRecord[] {
    return [...this.delivery.list(), ...this.webhooks.list()];
  }

  // ---- REST observation ------------------------------------------------------------------

  requests(filter: { method?: string; path?: string | RegExp } = {}): RecordedRequest[] {
    return this.recorded.filter((r) => {
      if (filter.method && filter.method.toUpperCase() !== r.method) return false;
      if (filter.path === undefined) return true;
      return typeof filter.path === 'string' ? filter.path === r.path : filter.path.test(r.path);
    });
  }

  /** Every call refused for a rate limit: an API's, a chat's, or a card's (`api` = `cardkit.card`). */
  rateLimitHits(): RateLimitHit[] {
    const cards = this.cardStore.limitedAt.map((at) => ({ appId: '', api: 'cardkit.card', code: 99991400, at }));
    return [...this.limits.hits, ...cards].sort((a, b) => a.at - b.at);
  }

  sentMessages(filter: { chatId?: string; replyTo?: string; cardId?: string } = {}): SentMessage[] {
    return this.messages.list(filter);
  }

  waitForMessages(filter: { chatId?: string; replyTo?: string }, n = 1, timeoutMs = DEFAULT_WAIT_MS): Promise<SentMessage[]> {
    return this.wait(
      () => {
        const found = this.messages.list(filter);
        return found.length >= n ? found : undefined;
      },
      timeoutMs,
      () => `${n} message(s) matching ${JSON.stringify(filter)} (have ${this.messages.list(filter).length})`,
    );
  }

  // ---- error injection -------------------------------------------------------------------

  failNext(match: RequestMatch, response: InjectedResponse, times = 1): void {
    this.faults.failNext(match, response, times);
  }

  delayNext(match: RequestMatch, ms: number, times = 1): void {
    this.faults.delayNext(match, ms, times);
  }

  expireTokens(): void {
    this.tokens.expireAll();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.clearAll();
    this.waiters.rejectAll('fake-lark: closed');
    this.webhooks.close();
    this.longConn.close();
    const servers = [this.server, this.accountsServers.feishu, this.accountsServers.lark].filter((s): s is Server => s !== undefined);
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            // Keep-alive sockets (Node 20's default agent) and requests parked by delayNext would
            // otherwise hold close() open.
            server.closeAllConnections();
          }),
      ),
    );
  }

  // ---- internals -------------------------------------------------------------------------

  private wait<T>(probe: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    if (this.closed) return Promise.reject(new Error('fake-lark: closed'));
    return this.waiters.until(probe, timeoutMs, describe);
  }

  private record(req: IncomingMessage, body: unknown): URL {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    this.recorded.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: queryOf(url),
      headers: { ...req.headers },
      body,
      at: Date.now(),
    });
    return url;
  }

  /** A registration was approved (lark/README.md §5.15): the app now exists, owned by the scanning user. */
  private approveRegistration(
    openId: string,
    script: { appId?: string; appSecret?: string; appName?: string },
  ): { appId: string; appSecret: string } {
    const existing = script.appId ? this.apps.get(script.appId) : undefined;
    if (existing) return { appId: existing.appId, appSecret: existing.appSecret };
    const appId = script.appId ?? `cli_${hex(16)}`;
    const appSecret = script.appSecret ?? hex(32);
    this.addApp({ appId, appSecret, ...(script.appName ? { botName: script.appName } : {}), info: { ownerOpenId: openId } });
    return { appId, appSecret };
  }

  /** `origin`: the Open Platform (`url`) or one of the accounts hosts (`accountsHosts`). */
  private async onRequest(req: IncomingMessage, res: ServerResponse, origin: 'open' | AccountsBrand): Promise<void> {
    let reply: HttpReply;
    try {
      const body = parseBody(await readBody(req));
      const url = this.record(req, body);
      const method = req.method ?? 'GET';
      const fault = this.faults.next(method, url.pathname);
      if (fault && 'fail' in fault) {
        reply = json(fault.fail.status, fault.fail.body, fault.fail.headers);
      } else {
        if (fault) await this.timers.sleep(fault.delayMs);
        reply = this.route(origin, method, url, req, body);
      }
    } catch (err) {
      reply = json(500, { code: 500, msg: `fake-lark internal error: ${String(err)}` });
    }
    if (!reply.headers?.['x-tt-logid']) reply = { ...reply, headers: { 'x-tt-logid': hex(32).toUpperCase(), ...(reply.headers ?? {}) } };
    writeReply(res, reply);
  }

  private route(origin: 'open' | AccountsBrand, method: string, url: URL, req: IncomingMessage, body: unknown): HttpReply {
    // lark/README.md §5.15: `url` doubles as the Feishu accounts host, for callers that take a full base URL.
    if (url.pathname === REGISTRATION_PATH) {
      return this.flow.handle(origin === 'open' ? 'feishu' : origin, method, req.headers['content-type'], body);
    }
    if (origin !== 'open') return notFound();
    if (url.pathname === '/callback/ws/endpoint') return method === 'POST' ? this.longConn.discovery(body) : notFound();
    if (url.pathname.startsWith('/open-apis/')) {
      return this.rest.handle({ method, path: url.pathname, query: queryOf(url), headers: req.headers, body });
    }
    return notFound();
  }
}

/** What saving a request URL in the console sets (lark/README.md §5.15): webhook mode for events and callbacks, one URL. */
function webhookInfo(webhook: FakeWebhook): FakeAppInfo {
  return {
    eventMode: 'webhook',
    eventRequestUrl: webhook.url,
    callbackMode: 'webhook',
    callbackRequestUrl: webhook.url,
    encryptKey: webhook.encryptKey ?? '',
  };
}

function listen<S extends Server>(server: S): Promise<S> {
  return new Promise<S>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
