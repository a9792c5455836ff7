import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { signatureOf } from './verify';

/**
 * The platform's side of a webhook request, for tests (the fake platform has its own delivery):
 * `{"encrypt": …}` as lark/README.md §4.2 says, signed as §4.3 says, posted over a real socket.
 */

export function encryptBody(plain: string, encryptKey: string, iv: Buffer = randomBytes(16)): string {
  const key = createHash('sha256').update(encryptKey, 'utf8').digest();
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}

export interface SignedRequest {
  body: Buffer;
  headers: Record<string, string>;
}

/** `payload` encrypted (unless `plain`) and signed with `encryptKey`; `timestamp` in Unix seconds, now by default. */
export function signedRequest(
  payload: object,
  encryptKey: string,
  opts: { plain?: boolean; timestamp?: number; nonce?: string; unsigned?: boolean } = {},
): SignedRequest {
  const text = opts.plain ? JSON.stringify(payload) : JSON.stringify({ encrypt: encryptBody(JSON.stringify(payload), encryptKey) });
  const body = Buffer.from(text, 'utf8');
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? randomBytes(8).toString('hex');
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (!opts.unsigned) {
    headers['x-lark-request-timestamp'] = timestamp;
    headers['x-lark-request-nonce'] = nonce;
    headers['x-lark-signature'] = signatureOf(timestamp, nonce, encryptKey, body);
  }
  return { body, headers };
}

export interface PostResult {
  status: number;
  body: string;
}

/** One POST on a fresh connection; resolves with the status and body, or rejects when the socket fails. */
export function post(url: string, request: SignedRequest, method = 'POST'): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, headers: { ...request.headers, 'content-length': String(request.body.length) }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}
