/**
 * Reading and answering the UI server's requests: the security headers every response carries,
 * and the one way a JSON body is accepted (shared by `/api/call` and `/api/session`).
 */
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { APP_CSP } from '@shared/csp';
import type { RpcReply } from '@shared/contract';

/** On every response, including refusals. Deliberately no Access-Control-* header. */
export const SECURITY_HEADERS: OutgoingHttpHeaders = {
  'Content-Security-Policy': APP_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string | Buffer,
  extra: OutgoingHttpHeaders = {},
): void {
  const buffer = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Cache-Control': 'no-store',
    ...extra,
    'Content-Type': contentType,
    'Content-Length': buffer.length,
  });
  res.end(buffer);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, extra: OutgoingHttpHeaders = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), extra);
}

export function envelope(message: string): RpcReply<never> {
  return { ok: false, error: { code: 'invalid_input', message } };
}

/**
 * The JSON object a POST carries, or `null` once the refusal has been sent: 405 another method,
 * 415 not JSON, 413 over `limit` bytes, 400 malformed or not an object.
 */
export async function readJsonObject(req: IncomingMessage, res: ServerResponse, limit: number, shape: string): Promise<object | null> {
  if (req.method !== 'POST') {
    send(res, 405, 'text/plain; charset=utf-8', 'Use POST.\n', { Allow: 'POST' });
    return null;
  }
  // A cross-site HTML form can only send text/plain, urlencoded or multipart bodies: requiring
  // JSON means a "simple" cross-site POST can never reach a handler (on top of the Origin check).
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    sendJson(res, 415, envelope('Send the request as Content-Type: application/json.'));
    return null;
  }
  const body = await readBody(req, limit);
  if (body === 'too_large') {
    sendJson(res, 413, envelope(`The request body is larger than ${limit} bytes.`), { Connection: 'close' });
    return null;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    sendJson(res, 400, envelope('The request body is not valid JSON.'));
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    sendJson(res, 400, envelope(`The request body must be a JSON object ${shape}.`));
    return null;
  }
  return parsed;
}

/** The body, or 'too_large' as soon as it passes `limit` bytes (declared or actual). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve('too_large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.off('data', onData);
        req.resume(); // discard the rest; the 413 goes out with Connection: close
        resolve('too_large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!done) reject(err);
    });
  });
}

/** Refuse a WebSocket upgrade with a plain HTTP response on the raw socket. */
export function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  const body = Buffer.from(text, 'utf8');
  const reason = http.STATUS_CODES[status] ?? 'Error';
  const headers = [
    `HTTP/1.1 ${status} ${reason}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${body.length}`,
    'Cache-Control: no-store',
    ...Object.entries(SECURITY_HEADERS).map(([k, v]) => `${k}: ${String(v)}`),
  ];
  socket.end(Buffer.concat([Buffer.from(headers.join('\r\n') + '\r\n\r\n', 'utf8'), body]));
}

/** The path of a request target, without the query (which may hold anything). */
export function pathOf(target: string | undefined): string {
  const raw = target ?? '/';
  const q = raw.indexOf('?');
  return (q < 0 ? raw : raw.slice(0, q)).slice(0, 200);
}
