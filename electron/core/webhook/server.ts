import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CARD_CALLBACK } from '@shared/lark-console';
import type { WebhookEvidence } from '@shared/webhook';
import type { ConnectionHandlers } from '../lark/connection';
import { errorMessage } from '../log/error-message';
import type { Logger } from '../log/logger';
import { type WebhookHealth, WebhookHealthBook, type WebhookProblem } from './health';
import { verifyRequest, type WebhookSecrets } from './verify';

/**
 * `npm run headless -- --webhook [HOST:]PORT`: one HTTP listener for every bot that receives by
 * webhook (lark/README.md §11). Each bot has its own path, `/webhook/<bot id>`, for events and card
 * callbacks alike; a request is checked (verify.ts) and handed to the bot's handlers exactly as the
 * long connection hands it (lark/connection.ts). The answer waits for the handler alone: for a
 * message, until it is durable (intake); for a card callback, its toast/card is the body.
 */

export interface WebhookEndpoint {
  secrets: WebhookSecrets;
  handlers: ConnectionHandlers;
  /** The first request since registering that passed every check (the bot's status says it). */
  onFirstRequest?: () => void;
  /** The bot's record changed: a request passed, or one was refused (its setup check may say something else now). */
  onRecord?: () => void;
}

/** What a bot runtime sees of the listener: where to register, its URL, what its endpoint has seen. */
export interface WebhookRegistry {
  /** Takes the bot's requests from now on (replacing an earlier registration of the same id); returns the way to stop. */
  register(botId: string, endpoint: WebhookEndpoint): () => void;
  /** The URL of the bot's path on this listener (behind a proxy the console has the public one). */
  urlFor(botId: string): string;
  health(botId: string): WebhookHealth | undefined;
  /** The same, as the setup check reads it (shared/webhook.ts). */
  evidence(botId: string): WebhookEvidence | undefined;
}

export interface WebhookLimits {
  /** A larger body is refused with 413 (events are a few KiB; the platform caps a message well below this). */
  maxBodyBytes: number;
  /** The request line and headers must arrive within this (else 408, the socket closed). */
  headersTimeoutMs: number;
  /** The body must arrive within this once the headers are in (else 408, the socket destroyed). */
  bodyTimeoutMs: number;
  /** A handler still running after this is answered 500 (the platform's deadline is 3 s, lark/README.md §2.9). */
  handlerTimeoutMs: number;
}

export const DEFAULT_LIMITS: WebhookLimits = {
  maxBodyBytes: 1024 * 1024,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 10_000,
  handlerTimeoutMs: 2_700,
};

export interface WebhookServerOptions {
  port: number;
  /** Default 127.0.0.1: a reverse proxy on the same machine terminates TLS. */
  host?: string;
  logger: Logger;
  limits?: Partial<WebhookLimits>;
  now?: () => number;
  /** A bot started taking requests at `url`. */
  onRegister?: (botId: string, url: string) => void;
}

const BOT_PATH = /^\/webhook\/([^/?#]{1,200})\/?$/;
const JSON_TYPE = 'application/json; charset=utf-8';

type BodyRead = { ok: true; body: Buffer } | { ok: false; problem: 'too-large' | 'timeout' | 'aborted' };

export class WebhookServer implements WebhookRegistry {
  private readonly endpoints = new Map<string, WebhookEndpoint>();
  /** Endpoints that have had their first good request. */
  private readonly seen = new WeakSet<WebhookEndpoint>();
  private readonly book: WebhookHealthBook;
  private readonly limits: WebhookLimits;
  private readonly now: () => number;

  private constructor(
    private readonly server: http.Server,
    private readonly opts: WebhookServerOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.book = new WebhookHealthBook(this.now);
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      res.on('error', () => undefined);
      req.on('error', () => undefined);
      this.handle(req, res).catch((err: unknown) => {
        opts.logger.log('error', 'webhook.request_failed', { error: errorMessage(err) });
        this.reply(res, 500, { error: 'internal' });
      });
    });
  }

  /** Listens on HOST:PORT (0 picks a free port); rejects when it cannot (in use, not allowed). */
  static async start(opts: WebhookServerOptions): Promise<WebhookServer> {
    const limits = { ...DEFAULT_LIMITS, ...opts.limits };
    const server = http.createServer({
      headersTimeout: limits.headersTimeoutMs,
      // Node answers 408 and closes the socket when the request is not in by then; the body has its own timer below.
      requestTimeout: limits.headersTimeoutMs + limits.bodyTimeoutMs + 1_000,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
      keepAliveTimeout: 5_000,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => opts.logger.log('error', 'webhook.server_error', { error: errorMessage(err) }));
    return new WebhookServer(server, opts);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://HOST:PORT`, as bound. */
  get origin(): string {
    const { address, family } = this.server.address() as AddressInfo;
    return `http://${family === 'IPv6' ? `[${address}]` : address}:${this.port}`;
  }

  urlFor(botId: string): string {
    return `${this.origin}/webhook/${encodeURIComponent(botId)}`;
  }

  register(botId: string, endpoint: WebhookEndpoint): () => void {
    this.endpoints.set(botId, endpoint);
    this.opts.logger.log('info', 'webhook.registered', { bot: botId, url: this.urlFor(botId) });
    this.opts.onRegister?.(botId, this.urlFor(botId));
    return () => {
      if (this.endpoints.get(botId) === endpoint) this.endpoints.delete(botId);
    };
  }

  health(botId: string): WebhookHealth | undefined {
    return this.book.get(botId);
  }

  evidence(botId: string): WebhookEvidence | undefined {
    return this.book.evidence(botId);
  }

  /** No new requests; those in flight get `graceMs`, then their sockets are closed. */
  async close(graceMs = 3_000): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(timer);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const log = this.opts.logger;
    // The platform may add a query string; it is not part of the bot's path.
    const pathname = (req.url ?? '/').split('?')[0]!;
    const match = BOT_PATH.exec(pathname);
    if (!match) return this.reply(res, 404, { error: 'not found' }, true);
    if (req.method !== 'POST') return this.reply(res, 405, { error: 'POST only' }, true, { allow: 'POST' });
    const botId = safeDecode(match[1]!);
    const endpoint = botId === undefined ? undefined : this.endpoints.get(botId);
    if (botId === undefined || !endpoint) {
      log.log('warn', 'webhook.unknown_bot', { path: pathname.slice(0, 120) });
      return this.reply(res, 404, { error: 'no such bot' }, true);
    }
    this.book.request(botId);
    const read = await readBody(req, this.limits);
    if (!read.ok) {
      if (read.problem === 'aborted') return void req.socket.destroy();
      const status = read.problem === 'too-large' ? 413 : 408;
      this.problem(botId, read.problem, status, read.problem === 'too-large' ? `over ${this.limits.maxBodyBytes} bytes` : 'body too slow');
      return this.reply(res, status, { error: read.problem }, true);
    }
    const verified = verifyRequest(req.headers, read.body, endpoint.secrets, this.now());
    if (!verified.ok) {
      this.problem(botId, verified.reason, verified.status, verified.detail);
      return this.reply(res, verified.status, { error: verified.reason });
    }
    if (verified.kind === 'challenge') {
      this.good(botId, endpoint, 'challenge');
      log.log('info', 'webhook.challenge_answered', { bot: botId });
      return this.reply(res, 200, { challenge: verified.challenge });
    }
    const { eventType, eventId, data } = verified;
    const callback = eventType === CARD_CALLBACK;
    if (!endpoint.handlers.eventTypes.includes(eventType)) {
      this.good(botId, endpoint, callback ? 'callback' : 'event');
      log.log('info', 'webhook.event_ignored', { bot: botId, eventType, eventId });
      return this.reply(res, 200, {});
    }
    const outcome = await settleWithin(() => endpoint.handlers.onEvent(eventType, data), this.limits.handlerTimeoutMs);
    if (!outcome.ok) {
      // Not acknowledged: the platform pushes the event again later (a callback is not pushed again).
      this.problem(botId, 'handler-failed', 500, outcome.error, { eventType, eventId });
      return this.reply(res, 500, { error: 'not taken' });
    }
    this.good(botId, endpoint, callback ? 'callback' : 'event');
    // A card callback's answer (toast, card) is the body (lark/README.md §3.5); an event's is just the 200.
    this.reply(res, 200, callback && isObject(outcome.value) ? outcome.value : {});
  }

  private good(botId: string, endpoint: WebhookEndpoint, kind: 'challenge' | 'event' | 'callback'): void {
    this.book.good(botId, kind);
    if (!this.seen.has(endpoint)) {
      this.seen.add(endpoint);
      this.safely(() => endpoint.onFirstRequest?.());
    }
    this.safely(() => endpoint.onRecord?.());
  }

  private problem(botId: string, problem: WebhookProblem, status: number, detail: string, more: Record<string, unknown> = {}): void {
    this.book.problem(botId, problem, status);
    this.safely(() => this.endpoints.get(botId)?.onRecord?.());
    this.opts.logger.log('warn', 'webhook.refused', { bot: botId, status, reason: problem, detail, ...more });
  }

  /** The bot's own reactions to its record never cost the platform its answer. */
  private safely(run: () => void): void {
    try {
      run();
    } catch (err) {
      this.opts.logger.log('warn', 'webhook.listener_failed', { error: errorMessage(err) });
    }
  }

  private reply(res: http.ServerResponse, status: number, body: object, close = false, headers: Record<string, string> = {}): void {
    if (res.headersSent || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': JSON_TYPE,
      'content-length': Buffer.byteLength(text),
      ...(close ? { connection: 'close' } : {}),
      ...headers,
    });
    // A request refused before its body was read: the rest of it is not waited for.
    const socket = res.socket;
    res.end(text, () => {
      if (close) socket?.destroy();
    });
  }
}

function safeDecode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The whole body, unless it is too large, too slow, or the client goes away first. */
function readBody(req: http.IncomingMessage, limits: WebhookLimits): Promise<BodyRead> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBodyBytes) return Promise.resolve({ ok: false, problem: 'too-large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: BodyRead): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      if (!result.ok) req.pause();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, problem: 'timeout' }), limits.bodyTimeoutMs);
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limits.maxBodyBytes) return finish({ ok: false, problem: 'too-large' });
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => finish({ ok: true, body: Buffer.concat(chunks, size) }));
    req.on('aborted', () => finish({ ok: false, problem: 'aborted' }));
    req.on('close', () => finish(req.complete ? { ok: true, body: Buffer.concat(chunks, size) } : { ok: false, problem: 'aborted' }));
  });
}

type Settled = { ok: true; value: unknown } | { ok: false; error: string };

/** The handler's result, or why there is none: it threw, or did not settle in time. Never rejects. */
function settleWithin(run: () => Promise<unknown>, timeoutMs: number): Promise<Settled> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, error: `the handler did not finish within ${timeoutMs} ms` }), timeoutMs);
    Promise.resolve()
      .then(run)
      .then(
        (value) => resolve({ ok: true, value }),
        (err: unknown) => resolve({ ok: false, error: errorMessage(err) }),
      )
      .finally(() => clearTimeout(timer));
  });
}
