import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hex } from './ids.js';

// Webhook mode on the wire (lark/README.md §4, §11): the body is the
// schema 2.0 envelope, or with an Encrypt Key `{"encrypt": base64(iv ‖ AES-256-CBC(SHA-256(key), PKCS7))}`;
// the signature is plain SHA-256 (not HMAC) of timestamp + nonce + key + the raw body bytes, in lowercase hex.

export const HEADER_TIMESTAMP = 'X-Lark-Request-Timestamp';
export const HEADER_NONCE = 'X-Lark-Request-Nonce';
export const HEADER_SIGNATURE = 'X-Lark-Signature';
/** lark/README.md §4.1: the challenge is posted as `application/json;charset=utf-8`; the fake uses it for every request. */
export const WEBHOOK_CONTENT_TYPE = 'application/json; charset=utf-8';

const aesKey = (encryptKey: string): Buffer => createHash('sha256').update(encryptKey, 'utf8').digest();

/** lark/README.md §4.2: base64(IV ‖ AES-256-CBC ciphertext), key = SHA-256(Encrypt Key), PKCS#7, a random 16-byte IV. */
export function encryptWebhookPayload(plaintext: string, encryptKey: string, iv: Buffer = randomBytes(16)): string {
  if (iv.byteLength !== 16) throw new Error(`fake-lark: the IV must be 16 bytes, got ${iv.byteLength}`);
  const cipher = createCipheriv('aes-256-cbc', aesKey(encryptKey), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

/** The inverse of `encryptWebhookPayload` (IV = the first 16 bytes); throws on a wrong key or a damaged value. */
export function decryptWebhookPayload(encrypt: string, encryptKey: string): string {
  const raw = Buffer.from(encrypt, 'base64');
  if (raw.byteLength < 32 || (raw.byteLength - 16) % 16 !== 0) throw new Error('fake-lark: not an IV plus whole AES blocks');
  const decipher = createDecipheriv('aes-256-cbc', aesKey(encryptKey), raw.subarray(0, 16));
  return Buffer.concat([decipher.update(raw.subarray(16)), decipher.final()]).toString('utf8');
}

/** lark/README.md §4.3: lowercase hex SHA-256 of `timestamp + nonce + encryptKey` followed by the raw body bytes. */
export function webhookSignature(timestamp: string, nonce: string, encryptKey: string, body: Buffer | string): string {
  return createHash('sha256')
    .update(Buffer.from(timestamp + nonce + encryptKey, 'utf8'))
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('hex');
}

export interface BuildWebhookOptions {
  /** The app's Encrypt Key; without one the body is plain and unsigned (lark/README.md §4.3: signing needs the key). */
  encryptKey?: string;
  /** Encrypt the body (default: when there is an Encrypt Key). */
  encrypt?: boolean;
  /** Add the three signature headers (default: when there is an Encrypt Key). */
  sign?: boolean;
  /** `X-Lark-Request-Timestamp`, Unix seconds (default now): a test can send a stale or a future one. */
  timestamp?: number | string;
  /** `X-Lark-Request-Nonce` (default random). */
  nonce?: string;
  /** The AES IV (default random): a fixed one makes the body reproducible. */
  iv?: Buffer;
  /**
   * Rewrites the outer body text just before it is signed (e.g. `(b) => b.replace(':', ': ')`): a body
   * serialised differently but signed correctly, as a receiver that re-serialises JSON gets wrong.
   */
  format?: (body: string) => string;
}

/** A request as the platform sends it: the exact body bytes and the headers that go with them. */
export interface WebhookRequest {
  headers: Record<string, string>;
  body: Buffer;
  /** The signed timestamp and nonce (also in `headers` when signed). */
  timestamp: string;
  nonce: string;
}

/**
 * Builds the request the platform would send for `payload` (an envelope or a challenge; a string is taken
 * as the JSON text verbatim). Change `body` or a header afterwards to tamper with it: the signature
 * covers the bytes as built.
 */
export function buildWebhookRequest(payload: object | string, opts: BuildWebhookOptions = {}): WebhookRequest {
  const key = opts.encryptKey ?? '';
  const encrypt = opts.encrypt ?? key !== '';
  const sign = opts.sign ?? key !== '';
  if ((encrypt || sign) && key === '') throw new Error('fake-lark: encrypting or signing needs an encryptKey');
  const plain = typeof payload === 'string' ? payload : JSON.stringify(payload);
  let text = encrypt ? JSON.stringify({ encrypt: encryptWebhookPayload(plain, key, opts.iv) }) : plain;
  if (opts.format) text = opts.format(text);
  const body = Buffer.from(text, 'utf8');
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? hex(16);
  const headers: Record<string, string> = { 'Content-Type': WEBHOOK_CONTENT_TYPE };
  if (sign) {
    headers[HEADER_TIMESTAMP] = timestamp;
    headers[HEADER_NONCE] = nonce;
    headers[HEADER_SIGNATURE] = webhookSignature(timestamp, nonce, key, body);
  }
  return { headers, body, timestamp, nonce };
}

/** How an attempt ended, from the platform's side. */
export type WebhookOutcome =
  | 'delivered' // HTTP 200
  | 'refused' // 4xx (a bad signature is 401)
  | 'server-error' // 5xx or any other non-200 status
  | 'connect-failed' // refused connection, DNS, or no connection within the connect timeout
  | 'timeout' // connected, but no full answer within the deadline
  | 'reset'; // the connection closed before the answer was complete

export interface WebhookResponse {
  outcome: WebhookOutcome;
  status?: number;
  /** The response body as text ('' when none). */
  body: string;
  headers: Record<string, string | string[] | undefined>;
  /** From sending to the full answer (or to giving up). */
  latencyMs: number;
  /** The socket error code (`ECONNREFUSED`, …) for connect-failed / reset. */
  error?: string;
}

export interface SendWebhookOptions {
  /** No full answer within this → `timeout`. Default 3000 (lark/README.md §2.9, §4). */
  timeoutMs?: number;
  /** No TCP connection within this → `connect-failed`. Default 2000 (lark/README.md §4: webhook TCP connect timeout 2 s). */
  connectTimeoutMs?: number;
  /** CA certificate for an https:// URL with a test certificate. */
  ca?: string;
  /** Called with the request so its owner can abort it (the fake's `close()`). */
  track?: (req: ClientRequest) => () => void;
}

const MAX_RESPONSE_BYTES = 1 << 20;

/** POSTs the exact bytes of `req` to `url` on a fresh connection (no keep-alive) and reports how it ended; never rejects. */
export function sendWebhookRequest(
  url: string,
  req: Pick<WebhookRequest, 'headers' | 'body'>,
  opts: SendWebhookOptions = {},
): Promise<WebhookResponse> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 2000;
  const sentAt = Date.now();
  return new Promise<WebhookResponse>((resolve) => {
    let done = false;
    const tracking: { untrack?: () => void } = {};
    const timers: NodeJS.Timeout[] = [];
    const finish = (r: Omit<WebhookResponse, 'latencyMs' | 'headers'> & { headers?: WebhookResponse['headers'] }): void => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      tracking.untrack?.();
      resolve({ headers: {}, ...r, latencyMs: Date.now() - sentAt });
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      finish({ outcome: 'connect-failed', body: '', error: 'EINVALIDURL' });
      return;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    let request: ClientRequest;
    try {
      request = send(target, {
        method: 'POST',
        agent: false,
        headers: { ...req.headers, 'Content-Length': String(req.body.byteLength) },
        ...(opts.ca ? { ca: opts.ca } : {}),
      });
    } catch (err) {
      // E.g. a tampered header with characters HTTP does not allow (ERR_INVALID_CHAR).
      finish({ outcome: 'connect-failed', body: '', error: (err as NodeJS.ErrnoException).code ?? String(err) });
      return;
    }
    tracking.untrack = opts.track?.(request);
    let connected = false;
    let outcome: WebhookOutcome | undefined;
    timers.push(
      setTimeout(() => {
        if (connected) return;
        outcome = 'connect-failed';
        request.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
      }, connectTimeoutMs),
      setTimeout(() => {
        outcome ??= connected ? 'timeout' : 'connect-failed';
        request.destroy(Object.assign(new Error('response timeout'), { code: 'ETIMEDOUT' }));
      }, timeoutMs),
    );
    request.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    request.on('error', (err: NodeJS.ErrnoException) => {
      finish({ outcome: outcome ?? (connected ? 'reset' : 'connect-failed'), body: '', error: err.code ?? err.message });
    });
    request.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
      });
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        finish({ outcome: classify(status), status, body: Buffer.concat(chunks).toString('utf8'), headers: { ...res.headers } });
      });
      res.on('error', (err: NodeJS.ErrnoException) => {
        finish({ outcome: outcome ?? 'reset', status: res.statusCode ?? 0, body: '', error: err.code ?? err.message });
      });
      res.on('close', () => {
        if (!res.complete) finish({ outcome: outcome ?? 'reset', status: res.statusCode ?? 0, body: '', error: 'ECONNRESET' });
      });
    });
    request.end(req.body);
  });
}

function classify(status: number): WebhookOutcome {
  if (status === 200) return 'delivered';
  if (status >= 400 && status < 500) return 'refused';
  return 'server-error';
}
