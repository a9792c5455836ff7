import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What a route handler answers; the server writes it (after recording and fault injection).
 * A Buffer body is written as-is (resource downloads, lark/README.md §5.8) with the handler's own content-type.
 */
export interface HttpReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): HttpReply =>
  headers ? { status, body, headers } : { status, body };

/** lark/README.md §5.0: business errors come back with HTTP 400 (unless stated otherwise) and a non-zero code. */
export const apiError = (code: number, msg: string, status = 400): HttpReply => json(status, { code, msg });

/** The `{code:0,msg:"success",data}` envelope of lark/README.md §5.0. */
export const ok = (data: unknown): HttpReply => json(200, { code: 0, msg: 'success', data });

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * JSON when it parses, the raw text otherwise (multipart uploads), undefined when empty.
 * Parsing regardless of content-type keeps GET-with-`{}` bodies (SDK generated methods, lark/README.md §2.13) readable.
 */
export function parseBody(raw: Buffer): unknown {
  if (raw.byteLength === 0) return undefined;
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function writeReply(res: ServerResponse, reply: HttpReply): void {
  if (res.writableEnded || res.destroyed) return;
  if (Buffer.isBuffer(reply.body)) {
    res.writeHead(reply.status, { 'content-length': reply.body.byteLength, ...(reply.headers ?? {}) });
    res.end(reply.body);
    return;
  }
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(reply.headers ?? {}),
  });
  res.end(text);
}

export function queryOf(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of url.searchParams) out[key] = value;
  return out;
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
