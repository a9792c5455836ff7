/**
 * The renderer's one way to the core: a typed `KocoroClient` over whichever transport is there.
 *
 * - Desktop: `window.kocoro` (electron/preload.ts) → IPC → `dispatch()` in the main process.
 * - Headless UI (`npm run headless -- --ui PORT`) or any plain browser: `POST /api/call` and the
 *   `/api/events` WebSocket on the page's own origin, carrying the per-run token (traded for a
 *   sign-in link's one-time code, kept in session storage: api/access-token.ts) as a Bearer
 *   header and as a WebSocket subprotocol (electron/server/ui-server.ts). Never a cookie: those
 *   reach every port of 127.0.0.1.
 *
 * Both transports answer with the same `RpcReply` envelope; errors become `RpcError`s carrying
 * `code`, `message` and `field` (the input field at fault, for forms).
 *
 * Events may be missed while the WebSocket is down: when `onConnection` reports 'online' again,
 * refetch what is on screen.
 *
 * No Node APIs; no zod parsing (the page's CSP forbids the eval zod would try first).
 */
import type { KocoroBridge } from '@shared/bridge';
import {
  isEventName,
  rpcErrorSchema,
  RpcError,
  type EventName,
  type EventPayload,
  type KocoroClient,
  type MethodInput,
  type MethodName,
  type MethodOutput,
  type RpcErrorBody,
} from '@shared/contract';

/** Whether push events are flowing (the WebSocket is open). The desktop bridge is always online. */
export type ConnectionState = 'online' | 'offline';

export interface AppClient extends KocoroClient {
  readonly transport: 'ipc' | 'http';
  /** The current connection state (starts 'online': the page was just served). */
  readonly connection: ConnectionState;
  /** Called on every change of `connection`; returns the unsubscribe function. */
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** Stops reconnecting and closes the event socket (tests, teardown). */
  close(): void;
}

/** The subset of the DOM WebSocket the client uses (the `ws` package fits it too, for tests). */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface ClientOptions {
  /** The preload bridge; defaults to `window.kocoro`. `null` forces HTTP. */
  bridge?: KocoroBridge | null;
  /** Origin of the UI server; defaults to the page's own (`location.origin`). */
  baseUrl?: string;
  fetch?: typeof fetch;
  openSocket?: (url: string, protocols: string[]) => SocketLike;
  /** The headless UI's per-run access token. */
  token?: string;
  /** Reconnect backoff: first delay and cap (the cap is at most 5 s). */
  reconnect?: { initialMs?: number; maxMs?: number };
}

const MAX_RECONNECT_MS = 5_000;
const ERROR_CODES: ReadonlySet<string> = new Set(rpcErrorSchema.shape.code.options);

export function createClient(options: ClientOptions = {}): AppClient {
  const bridge = options.bridge === undefined ? globalThis.window?.kocoro : options.bridge;
  return bridge ? bridgeClient(bridge) : httpClient(options);
}

// ---------- replies ----------

function toRpcError(body: unknown): RpcError {
  if (typeof body === 'object' && body !== null) {
    const { code, message, field } = body as Partial<Record<keyof RpcErrorBody, unknown>>;
    if (typeof code === 'string' && ERROR_CODES.has(code) && typeof message === 'string') {
      return new RpcError(code as RpcErrorBody['code'], message, typeof field === 'string' ? field : undefined);
    }
  }
  return new RpcError('internal', 'Kocoro sent an answer the app does not understand.');
}

/** The result of an `RpcReply`, or its error thrown as an `RpcError`. */
function unwrap(reply: unknown): unknown {
  if (typeof reply === 'object' && reply !== null && 'ok' in reply) {
    if (reply.ok === true && 'result' in reply) return reply.result;
    if (reply.ok === false && 'error' in reply) throw toRpcError(reply.error);
  }
  throw new RpcError('internal', 'Kocoro sent an answer the app does not understand.');
}

// ---------- desktop: the preload bridge ----------

function bridgeClient(bridge: KocoroBridge): AppClient {
  return {
    transport: 'ipc',
    connection: 'online',
    async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
      let reply: unknown;
      try {
        reply = await bridge.call(method, input);
      } catch (err) {
        throw new RpcError('internal', err instanceof Error ? err.message : String(err));
      }
      return unwrap(reply) as MethodOutput<M>;
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      return bridge.on(event, listener as (payload: unknown) => void);
    },
    onConnection: () => () => {},
    close: () => {},
  };
}

// ---------- headless UI: HTTP + WebSocket ----------

const UNREACHABLE = 'Kocoro is not reachable. Is `npm run headless` still running?';
const SIGNED_OUT = 'This page is not signed in: open a new sign-in link (`npm run headless -- --link` prints one).';

function httpClient(options: ClientOptions): AppClient {
  const base = (options.baseUrl ?? globalThis.location.origin).replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const openSocket = options.openSocket ?? ((url: string, protocols: string[]) => new WebSocket(url, protocols) as unknown as SocketLike);
  const token = options.token;
  // The first subprotocol is what the server answers with; the second carries the token.
  const protocols = token ? ['kocoro', `kocoro-token.${token}`] : ['kocoro'];
  const maxMs = Math.min(options.reconnect?.maxMs ?? MAX_RECONNECT_MS, MAX_RECONNECT_MS);
  const initialMs = Math.min(options.reconnect?.initialMs ?? 250, maxMs);
  const socketUrl = `${base.replace(/^http/i, 'ws')}/api/events`;

  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = 'online';
  let socket: SocketLike | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let attempt = 0;
  let closed = false;

  const setState = (next: ConnectionState): void => {
    if (next === state) return;
    state = next;
    for (const listener of [...connectionListeners]) listener(next);
  };

  const wanted = (): boolean => !closed && (listeners.size > 0 || connectionListeners.size > 0);

  const connect = (): void => {
    retryTimer = null;
    if (!wanted() || socket !== null) return;
    let ws: SocketLike;
    try {
      ws = openSocket(socketUrl, protocols);
    } catch {
      setState('offline');
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      setState('online');
    };
    ws.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(message.data);
      } catch {
        return;
      }
      if (typeof parsed !== 'object' || parsed === null) return;
      const { event, payload } = parsed as { event?: unknown; payload?: unknown };
      if (!isEventName(event)) return;
      for (const listener of [...(listeners.get(event) ?? [])]) {
        try {
          listener(payload);
        } catch (err) {
          console.error(`[kocoro] listener for ${event} threw:`, err);
        }
      }
    };
    ws.onerror = () => {}; // always followed by onclose
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (!wanted()) return;
      setState('offline');
      scheduleReconnect();
    };
  };

  const scheduleReconnect = (): void => {
    if (retryTimer !== null || !wanted()) return;
    const ceiling = Math.min(maxMs, initialMs * 2 ** attempt);
    attempt = Math.min(attempt + 1, 20);
    // Jitter in [ceiling/2, ceiling]: many tabs do not reconnect in lockstep; never above 5 s.
    retryTimer = setTimeout(connect, ceiling / 2 + (Math.random() * ceiling) / 2);
  };

  /** Opens the socket when the first listener arrives, closes it when the last one leaves. */
  const refresh = (): void => {
    if (wanted()) {
      if (socket === null && retryTimer === null) connect();
      return;
    }
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = null;
    const ws = socket;
    socket = null;
    ws?.close(1000, 'no listeners');
  };

  // The network came back (laptop woke up, Wi-Fi rejoined): try now instead of after the backoff.
  const onNetworkBack = (): void => {
    if (socket !== null || !wanted()) return;
    if (retryTimer !== null) clearTimeout(retryTimer);
    attempt = 0;
    connect();
  };
  globalThis.addEventListener?.('online', onNetworkBack);

  return {
    transport: 'http',
    get connection() {
      return state;
    },
    async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
      let res: Response;
      try {
        res = await doFetch(`${base}/api/call`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ method, input }),
          credentials: 'omit',
          cache: 'no-store',
        });
      } catch {
        throw new RpcError('internal', UNREACHABLE);
      }
      if (res.status === 401) throw new RpcError('unauthorized', SIGNED_OUT);
      let reply: unknown;
      try {
        reply = await res.json();
      } catch {
        throw new RpcError('internal', `Kocoro answered HTTP ${res.status} without a reply.`);
      }
      return unwrap(reply) as MethodOutput<M>;
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
      let set = listeners.get(event);
      if (set === undefined) listeners.set(event, (set = new Set()));
      // One entry per registration, so registering the same function twice needs two unsubscribes.
      const wrapped = (payload: unknown): void => listener(payload as EventPayload<E>);
      set.add(wrapped);
      refresh();
      return () => {
        const current = listeners.get(event);
        if (current === undefined || !current.delete(wrapped)) return;
        if (current.size === 0) listeners.delete(event);
        refresh();
      };
    },
    onConnection(listener: (state: ConnectionState) => void): () => void {
      connectionListeners.add(listener);
      refresh();
      return () => {
        if (connectionListeners.delete(listener)) refresh();
      };
    },
    close() {
      closed = true;
      globalThis.removeEventListener?.('online', onNetworkBack);
      refresh();
    },
  };
}
