/**
 * The headless UI transport: the built renderer plus the shared contract over HTTP + WebSocket on
 * 127.0.0.1, behind a random per-run session token. The HTTP/WS twin of the desktop app's IPC bridge:
 *
 * - `POST /api/call` `{ method, input }` → the `RpcReply` of `dispatch()` (HTTP 200 for results
 *   and for error envelopes alike; 400 malformed JSON; 413 over 1 MiB; 415 not JSON);
 * - `GET /api/events` (WebSocket) → one `{ event, payload }` text frame per EventBus event;
 * - `POST /api/session` `{ code }` → the session token, for a sign-in link's one-time code
 *   (session-endpoint.ts);
 * - anything else: a file of `staticDir`, with `index.html` for client-side routes.
 *
 * Every request and socket is checked, in this order: the Host header (DNS rebinding), the Origin
 * header (cross-site requests, cross-site WebSockets), then, for the API, the token: an
 * `Authorization: Bearer` header on calls, a `kocoro-token.T` subprotocol on the event socket.
 * The token itself never travels in a URL: a link (`/#code=C`, `newLink()`) carries a one-time
 * code in its fragment, which browsers never send to any server; the page trades it once for the
 * token and keeps that in session storage. No cookie (cookies are shared by every port of
 * 127.0.0.1), no CORS headers. The built UI itself (HTML, scripts) holds no secret and is served
 * without the token. Generic over any `Handlers`; it answers `app.signInLink` itself, since only
 * it has codes to give.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { dispatch, type Handlers } from '@shared/contract';
import { PREVIEW_ATTACHMENT_MAX_BYTES } from '@shared/preview';
import type { EventBus } from '../core/api/event-bus';
import type { Logger } from '../core/log/logger';
import {
  EVENTS_PROTOCOL,
  generateToken,
  isOwnHost,
  isOwnOrigin,
  readBearer,
  readProtocolToken,
  tokenMatches,
  TOKEN_PATTERN,
} from './access';
import { pathOf, readJsonObject, rejectUpgrade, send, sendJson } from './http-io';
import { handleSessionRequest } from './session-endpoint';
import { SignInCodes } from './sign-in-codes';
import { readStaticFile } from './static-files';
import { errorMessage } from '../core/log/error-message';

export interface UiServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  readonly handlers: Handlers;
  readonly events: EventBus;
  /** The built renderer (dist/). */
  readonly staticDir: string;
  /** Defaults to 32 random bytes (base64url). */
  readonly token?: string;
  readonly logger: Logger;
  /** WebSocket keep-alive: ping every interval, drop a client that missed a pong. */
  readonly pingIntervalMs?: number;
  /** Largest accepted `/api/call` body. */
  readonly maxBodyBytes?: number;
  /** How long a sign-in link works unused; defaults to CODE_TTL_MS (tests shorten it). */
  readonly signInCodeTtlMs?: number;
}

/** Who asked for a sign-in link, for the log. */
export type LinkRequester = 'start' | 'socket' | 'api';

export interface UiServer {
  readonly origin: string;
  readonly port: number;
  /** The session token a traded code gives: never log it, never put it in a URL or on a command line. */
  readonly token: string;
  /**
   * A new sign-in link, `http://127.0.0.1:PORT/#code=C`: what the user opens. Its code works once,
   * until `expiresAt`; still, print it only where the user alone reads it (never a log).
   */
  newLink(requester: LinkRequester): { link: string; expiresAt: number };
  close(): Promise<void>;
}

/** The largest call: a preview attachment (10 MB as base64, 4/3 of it) and the rest of its JSON. */
export const MAX_BODY_BYTES = Math.ceil((PREVIEW_ATTACHMENT_MAX_BYTES * 4) / 3) + 64 * 1024;
const DEFAULT_PING_MS = 25_000;
/** A client this far behind on events is dropped (it reconnects and refetches). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const REFUSAL_LOG_INTERVAL_MS = 60_000;

const unauthorizedText = (port: number): string =>
  'Kocoro: this page needs a sign-in link.\n\n' +
  `Open the link printed by \`npm run headless -- --ui ${port}\` (the line starting with "UI: "), or get a new\n` +
  'one with `npm run headless -- --link` (add the same --data-dir, if any). Each link works once.\n';

type Refusal = { status: 400 | 401 | 403 | 404 | 429; reason: string; text: string };

export async function startUiServer(opts: UiServerOptions): Promise<UiServer> {
  const token = opts.token ?? generateToken();
  if (!TOKEN_PATTERN.test(token)) throw new Error('UI token must be 16-256 characters of A-Z a-z 0-9 - _');
  const { handlers, events, staticDir } = opts;
  const logger = opts.logger.child({ component: 'ui' });
  const maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES;
  const codes = new SignInCodes({ ttlMs: opts.signInCodeTtlMs });
  let port = opts.port;

  const newLink = (requester: LinkRequester): { link: string; expiresAt: number } => {
    const { code, expiresAt } = codes.issue();
    logger.log('info', 'ui.link_issued', { requester, expiresAt: new Date(expiresAt).toISOString() });
    return { link: `http://127.0.0.1:${port}/#code=${code}`, expiresAt };
  };
  const served: Handlers = { ...handlers, 'app.signInLink': async () => newLink('api') };

  const server = http.createServer();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 4096,
    perMessageDeflate: false,
    clientTracking: false,
    // Answer with the plain protocol name, never echoing the token subprotocol back.
    handleProtocols: (offered) => (offered.has(EVENTS_PROTOCOL) ? EVENTS_PROTOCOL : false),
  });
  const clients = new Map<WebSocket, { alive: boolean; unsubscribe: () => void }>();

  /**
   * Host and Origin for everything; then the token where asked: the Bearer header of an API call
   * or the subprotocol of the event socket.
   */
  const check = (req: IncomingMessage, auth: 'none' | 'bearer' | 'protocol'): Refusal | null => {
    const host = req.headers.host;
    if (!isOwnHost(host, port)) {
      return { status: 403, reason: 'host', text: `Forbidden: this server only answers to http://127.0.0.1:${port}.\n` };
    }
    if (!isOwnOrigin(req.headers.origin, host!)) {
      return { status: 403, reason: 'origin', text: 'Forbidden: cross-origin requests are not allowed.\n' };
    }
    if (auth === 'none') return null;
    // Sockets: the page's subprotocol, or a Bearer header from a non-browser client.
    const bearer = readBearer(req.headers.authorization);
    const presented = auth === 'bearer' ? bearer : (readProtocolToken(req.headers['sec-websocket-protocol']) ?? bearer);
    if (!tokenMatches(presented, token)) return { status: 401, reason: 'token', text: unauthorizedText(port) };
    return null;
  };

  // A tab left open across a restart retries its socket every few seconds with the old token:
  // log each kind of refusal at most once a minute, with how many were not logged.
  const lastLogged = new Map<string, { at: number; suppressed: number }>();
  const logRefusal = (refusal: Refusal, target: string | undefined, websocket: boolean): void => {
    const key = `${refusal.reason}:${websocket}`;
    const now = Date.now();
    const entry = lastLogged.get(key);
    if (entry && now - entry.at < REFUSAL_LOG_INTERVAL_MS) {
      entry.suppressed++;
      return;
    }
    lastLogged.set(key, { at: now, suppressed: 0 });
    logger.log('warn', 'ui.refused', {
      reason: refusal.reason,
      status: refusal.status,
      path: pathOf(target),
      ...(websocket ? { websocket } : {}),
      ...(entry?.suppressed ? { alsoRefusedSinceLastLog: entry.suppressed } : {}),
    });
  };

  const refuse = (req: IncomingMessage, res: ServerResponse, refusal: Refusal): void => {
    logRefusal(refusal, req.url, false);
    send(res, refusal.status, 'text/plain; charset=utf-8', refusal.text);
  };

  const handleApiCall = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readJsonObject(req, res, maxBody, '{ "method": ..., "input": ... }');
    if (body === null) return;
    const { method, input } = body as { method?: unknown; input?: unknown };
    const reply = await dispatch(served, method, input);
    if (!reply.ok && reply.error.code === 'internal') {
      logger.log('warn', 'ui.call_failed', { method: String(method), error: reply.error.message });
    }
    sendJson(res, 200, reply);
  };

  const handleRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const host = req.headers.host;
    if (!isOwnHost(host, port) || !isOwnOrigin(req.headers.origin, host!)) {
      refuse(req, res, check(req, 'none')!);
      return;
    }
    // Origin-form targets only ("/path?query"): a browser sends nothing else to an origin server.
    // Prefixing (rather than resolving against a base) keeps "//x" a path, never a host.
    let url: URL;
    try {
      if (!req.url?.startsWith('/')) throw new Error('not origin-form');
      url = new URL(`http://${host!}${req.url}`);
    } catch {
      send(res, 400, 'text/plain; charset=utf-8', 'Bad request.\n');
      return;
    }

    if (url.pathname === '/api/session') {
      return handleSessionRequest(req, res, {
        codes,
        token,
        refused: (reason, status) => logRefusal({ status, reason, text: '' }, req.url, false),
        signedIn: () => logger.log('info', 'ui.signed_in'),
      });
    }
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      const refusal = check(req, 'bearer');
      if (refusal) return refuse(req, res, refusal);
      if (url.pathname === '/api/call') return handleApiCall(req, res);
      if (url.pathname === '/api/events') {
        send(res, 426, 'text/plain; charset=utf-8', 'This endpoint is a WebSocket.\n', { Upgrade: 'websocket', Connection: 'Upgrade' });
        return;
      }
      sendJson(res, 404, { ok: false, error: { code: 'not_found', message: `no such endpoint ${url.pathname}` } });
      return;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed.\n', { Allow: 'GET, HEAD' });
      return;
    }
    const file = await readStaticFile(staticDir, url.pathname);
    if (!file.ok) {
      send(res, file.status, 'text/plain; charset=utf-8', file.status === 404 ? 'Not found.\n' : 'Refused.\n');
      return;
    }
    send(res, 200, file.contentType, file.body, { 'Cache-Control': file.cacheControl });
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handleRequest(req, res).catch((err: unknown) => {
      logger.log('error', 'ui.request_failed', { path: pathOf(req.url), error: errorMessage(err) });
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error.\n');
      else res.destroy();
    });
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const refusal: Refusal | null =
      pathOf(req.url) !== '/api/events'
        ? // Host/Origin first even here, so a rebinding page learns nothing from the status.
          (check(req, 'protocol') ?? { status: 404, reason: 'path', text: 'Not found.\n' })
        : check(req, 'protocol');
    if (refusal) {
      logRefusal(refusal, req.url, true);
      rejectUpgrade(socket, refusal.status, refusal.text);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws));
  });

  const onSocket = (ws: WebSocket): void => {
    const unsubscribe = events.subscribe((event, payload) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
        logger.log('warn', 'ui.socket_dropped', { reason: 'slow client' });
        ws.terminate();
        return;
      }
      ws.send(JSON.stringify({ event, payload }));
    });
    const state = { alive: true, unsubscribe };
    clients.set(ws, state);
    ws.on('pong', () => (state.alive = true));
    ws.on('message', () => {}); // nothing is expected from the client; maxPayload bounds it
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      unsubscribe();
      clients.delete(ws);
    });
  };

  const pinger = setInterval(() => {
    for (const [ws, state] of clients) {
      if (!state.alive) {
        ws.terminate();
        continue;
      }
      state.alive = false;
      ws.ping();
    }
  }, opts.pingIntervalMs ?? DEFAULT_PING_MS);
  pinger.unref();

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      clearInterval(pinger);
      reject(err);
    };
    server.once('error', onError);
    server.listen({ port: opts.port, host: '127.0.0.1' }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  port = (server.address() as { port: number }).port;
  server.on('error', (err) => logger.log('error', 'ui.server_error', { error: err.message }));

  let closing: Promise<void> | undefined;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    token,
    newLink,
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(pinger);
        for (const [ws, state] of clients) {
          state.unsubscribe();
          ws.terminate();
        }
        clients.clear();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
