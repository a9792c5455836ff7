import { STATUS_CODES } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { RawData, WebSocket } from 'ws';
import type { AppRegistry } from './apps.js';
import { FrameMethod, decodeFrame, encodeFrame, encodeJson, headerMap } from './frames.js';
import type { Frame, FrameHeader } from './frames.js';
import { json } from './http-util.js';
import type { HttpReply } from './http-util.js';
import { hex } from './ids.js';
import type { ClientConfig, ConnectionInfo } from './types.js';

export const WS_PATH = '/ws/v2';
/** lark/README.md §2.11: more sockets than this per app are refused with 514 / 1000040350. */
const MAX_CONNECTIONS_PER_APP = 50;
const TICKET_TTL_MS = 5 * 60 * 1000;

export interface Connection extends ConnectionInfo {
  serviceId: number;
  /** Set once the first ping arrived; see `onFrame`. */
  ready: boolean;
  /** See `silence`. */
  silent?: boolean;
  socket: WebSocket;
  nextSeqId: number;
}

export interface ConnectionListener {
  ready(conn: Connection): void;
  closed(conn: Connection): void;
  dataFrame(conn: Connection, frame: Frame): void;
}

interface Ticket {
  appId: string;
  accessKey: string;
  deviceId: string;
  serviceId: number;
  issuedAt: number;
}

export interface HandshakeRejection {
  status: number;
  autherrcode?: number;
  msg?: string;
}

/** Endpoint discovery, the WebSocket upgrade and the ping/pong control channel (lark/README.md §2.1-2.6). */
export class LongConnectionServer {
  listener: ConnectionListener | undefined;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly conns = new Map<string, Connection>();
  private readonly tickets = new Map<string, Ticket>();
  private readonly discoveryErrors = new Map<string, { code: number; msg: string }>();
  private readonly rejections = new Map<string, HandshakeRejection>();
  private connCounter = 0;
  private serviceCounter = 0;
  private logId = 1;

  constructor(
    private readonly apps: AppRegistry,
    private readonly clientConfig: ClientConfig,
    private readonly wsBase: () => string,
    private readonly onChange: () => void,
  ) {}

  setDiscoveryError(appId: string, err: { code: number; msg: string } | null): void {
    if (err) this.discoveryErrors.set(appId, err);
    else this.discoveryErrors.delete(appId);
  }

  rejectHandshakes(appId: string, headers: HandshakeRejection | null): void {
    if (headers) this.rejections.set(appId, headers);
    else this.rejections.delete(appId);
  }

  /**
   * `POST /callback/ws/endpoint` (lark/README.md §2.1-2.2). Errors always carry `data:{URL:""}`: without a `data`
   * object the SDK's destructuring throws and it silently retries instead of failing terminally.
   */
  discovery(body: unknown): HttpReply {
    const b = (typeof body === 'object' && body !== null ? body : {}) as { AppID?: unknown; AppSecret?: unknown };
    const appId = typeof b.AppID === 'string' ? b.AppID : '';
    const injected = this.discoveryErrors.get(appId);
    if (injected) return json(200, { code: injected.code, msg: injected.msg, data: { URL: '' } });
    if (this.apps.check(appId, b.AppSecret) !== 'ok') {
      return json(200, { code: 1000040346, msg: 'app_id is invalid', data: { URL: '' } });
    }
    const ticket: Ticket = {
      appId,
      accessKey: hex(32),
      deviceId: String(7_000_000_000_000_000_000n + BigInt(Number.parseInt(hex(12), 16))),
      serviceId: 33_554_432 + ++this.serviceCounter,
      issuedAt: Date.now(),
    };
    const ticketId = hex(32);
    this.tickets.set(ticketId, ticket);
    // lark/README.md §2.3: the SDK runs querystring.parse over the whole URL, so the first key is glued to the
    // path. service_id must therefore never come first; keep the real server's order.
    const query = `fpid=1&aid=1&device_id=${ticket.deviceId}&access_key=${ticket.accessKey}&service_id=${ticket.serviceId}&ticket=${ticketId}`;
    return json(200, { code: 0, msg: 'ok', data: { URL: `${this.wsBase()}${WS_PATH}?${query}`, ClientConfig: { ...this.clientConfig } } });
  }

  /** A ticket is single-use: every (re)connect must go through discovery first, as the SDK does. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== WS_PATH) return refuse(socket, 404, {});
    const ticketId = url.searchParams.get('ticket') ?? '';
    const ticket = this.tickets.get(ticketId);
    this.tickets.delete(ticketId);
    if (
      !ticket ||
      ticket.accessKey !== url.searchParams.get('access_key') ||
      ticket.deviceId !== url.searchParams.get('device_id') ||
      Date.now() - ticket.issuedAt > TICKET_TTL_MS
    ) {
      return refuse(socket, 514, { status: 514, msg: 'invalid access_key or ticket' });
    }
    const rejection = this.rejections.get(ticket.appId);
    if (rejection) return refuse(socket, rejection.status, rejection);
    if (this.list(ticket.appId).length >= MAX_CONNECTIONS_PER_APP) {
      return refuse(socket, 514, { status: 514, autherrcode: 1000040350, msg: 'exceed connection limit' });
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, ticket));
  }

  list(appId?: string): Connection[] {
    return [...this.conns.values()].filter((c) => appId === undefined || c.appId === appId);
  }

  readyFor(appId: string): Connection[] {
    return this.list(appId).filter((c) => c.ready && !c.silent);
  }

  /** Writes one data frame per part; false when the socket is no longer open. */
  sendData(conn: Connection, parts: Array<{ headers: FrameHeader[]; payload: Uint8Array }>): boolean {
    if (!this.conns.has(conn.id) || conn.socket.readyState !== conn.socket.OPEN) return false;
    for (const part of parts) {
      this.send(conn, {
        SeqID: conn.nextSeqId++,
        LogID: this.logId++,
        service: conn.serviceId,
        method: FrameMethod.data,
        headers: part.headers,
        payload: part.payload,
      });
    }
    return true;
  }

  /** Server-side close. The connection is forgotten at once so the SDK's reconnect is observable without racing the close handshake. */
  drop(appId?: string): void {
    for (const conn of this.list(appId)) {
      this.forget(conn);
      conn.socket.close(1001, 'server going away');
    }
  }

  /**
   * Half-open sockets, as after a laptop sleeps or a NAT drops state: they stay open but nothing
   * arrives on them any more (no pongs, no pushes). Only the client's own watchdog can notice.
   */
  silence(appId?: string): void {
    for (const conn of this.list(appId)) conn.silent = true;
  }

  close(): void {
    for (const conn of this.list()) {
      this.forget(conn);
      conn.socket.terminate();
    }
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.tickets.clear();
  }

  private accept(socket: WebSocket, ticket: Ticket): void {
    const conn: Connection = {
      id: `conn_${++this.connCounter}`,
      appId: ticket.appId,
      deviceId: ticket.deviceId,
      serviceId: ticket.serviceId,
      openedAt: Date.now(),
      pings: 0,
      ready: false,
      socket,
      nextSeqId: 1,
    };
    this.conns.set(conn.id, conn);
    socket.on('message', (data: RawData, isBinary: boolean) => this.onMessage(conn, data, isBinary));
    socket.on('close', () => this.forget(conn));
    socket.on('error', () => this.forget(conn));
    this.onChange();
  }

  private onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    // Messages that race a server-side drop belong to a connection the platform already let go.
    if (!this.conns.has(conn.id) || !isBinary || conn.silent) return;
    let frame: Frame;
    try {
      frame = decodeFrame(toBytes(data));
    } catch {
      return;
    }
    if (frame.method === FrameMethod.control) {
      if (headerMap(frame).type !== 'ping') return;
      conn.pings += 1;
      // lark/README.md §2.6: the pong carries ClientConfig, which is how the server retunes the client.
      this.send(conn, {
        SeqID: 0,
        LogID: 0,
        service: conn.serviceId,
        method: FrameMethod.control,
        headers: [{ key: 'type', value: 'pong' }],
        payload: encodeJson(this.clientConfig),
      });
      if (!conn.ready) {
        // The SDK attaches its 'message' listener a few ticks after 'open' but sends its first ping
        // inside 'open'. A frame pushed straight after the upgrade can be emitted before that
        // listener exists and vanish; anything sent after the first ping arrives is safe.
        conn.ready = true;
        this.listener?.ready(conn);
      }
      this.onChange();
      return;
    }
    if (frame.method === FrameMethod.data) this.listener?.dataFrame(conn, frame);
  }

  private send(conn: Connection, frame: Frame): void {
    if (conn.socket.readyState === conn.socket.OPEN) conn.socket.send(encodeFrame(frame), { binary: true });
  }

  private forget(conn: Connection): void {
    if (!this.conns.delete(conn.id)) return;
    this.listener?.closed(conn);
    this.onChange();
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/** lark/README.md §2.4: a refused upgrade explains itself in Handshake-* response headers. */
function refuse(socket: Duplex, status: number, h: Partial<HandshakeRejection>): void {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Handshake Refused'}`];
  if (h.status !== undefined) lines.push(`Handshake-Status: ${h.status}`);
  if (h.msg !== undefined) lines.push(`Handshake-Msg: ${h.msg}`);
  if (h.autherrcode !== undefined) lines.push(`Handshake-Autherrcode: ${h.autherrcode}`);
  lines.push('Connection: close', 'Content-Length: 0', '', '');
  socket.once('finish', () => socket.destroy());
  socket.end(lines.join('\r\n'));
}
