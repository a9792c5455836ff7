import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { formatZodError } from '@shared/config-schema';

/**
 * One webhook request checked exactly as the platform signs and encrypts it (lark/README.md §4,
 * §11): the signature over the raw body bytes, the timestamp window, AES-256-CBC, the
 * Verification Token; then the envelope read once (zod) and handed on as the long connection
 * hands it (the SDK's flattening, §3.1). A refusal names what failed, never a secret.
 */

/** A bot's two secrets from Events & Callbacks → Encryption Strategy. */
export interface WebhookSecrets {
  encryptKey: string;
  verificationToken: string;
}

export type RefusalReason =
  | 'body-not-json'
  | 'body-malformed'
  | 'signature-missing'
  | 'signature-mismatch'
  | 'timestamp-invalid'
  | 'timestamp-stale'
  | 'timestamp-future'
  | 'decrypt-failed'
  | 'token-mismatch';

export interface Refusal {
  ok: false;
  status: 400 | 401;
  reason: RefusalReason;
  /** What was wrong, in words (field names, ages); never a secret or the body. */
  detail: string;
}

export type Verified =
  | { ok: true; kind: 'challenge'; challenge: string }
  /** `data` is what the SDK's EventDispatcher gives a handler: header and event flattened into one object. */
  | { ok: true; kind: 'event'; eventType: string; eventId: string; data: Record<string, unknown> };

/**
 * Re-pushes come after 15 s, 5 min, 1 h and 6 h (lark/README.md §2.9), whether signed afresh or not
 * is not documented: a day covers the whole schedule (7 h 20 min) with room for clock skew, and
 * dedupe makes a replayed message harmless.
 */
export const MAX_AGE_SEC = 24 * 3600;
/** A clock this far ahead of ours is not the platform's. */
export const MAX_FUTURE_SEC = 5 * 60;

const refuse = (status: 400 | 401, reason: RefusalReason, detail: string): Refusal => ({ ok: false, status, reason, detail });

const jsonObject = z.record(z.string(), z.unknown());
const encryptedSchema = z.object({ encrypt: z.string().min(1, 'must not be empty') }).loose();
const challengeSchema = z.object({ type: z.literal('url_verification'), challenge: z.string(), token: z.string() }).loose();
const v2Schema = z
  .object({
    schema: z.literal('2.0'),
    header: z.object({ event_id: z.string().min(1), event_type: z.string().min(1), token: z.string() }).loose(),
    event: jsonObject.optional(),
  })
  .loose();
const v1Schema = z.object({ uuid: z.string().min(1), token: z.string(), event: z.object({ type: z.string().min(1) }).loose() }).loose();

/** SHA-256 both sides first: equal lengths for `timingSafeEqual`, and the time says nothing about the length. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Lowercase hex SHA-256 of timestamp + nonce + Encrypt Key followed by the raw body bytes (lark/README.md §4.3). */
export function signatureOf(timestamp: string, nonce: string, encryptKey: string, rawBody: Buffer): string {
  return createHash('sha256')
    .update(Buffer.from(timestamp + nonce + encryptKey, 'utf8'))
    .update(rawBody)
    .digest('hex');
}

/** AES-256-CBC, key = SHA-256(Encrypt Key), IV = the first 16 bytes, PKCS#7 (lark/README.md §4.2). Throws on a wrong key or a broken value. */
export function decryptBody(encrypt: string, encryptKey: string): string {
  const bytes = Buffer.from(encrypt, 'base64');
  if (bytes.length < 32 || (bytes.length - 16) % 16 !== 0) throw new Error('not IV + whole AES blocks');
  const key = createHash('sha256').update(encryptKey, 'utf8').digest();
  const decipher = createDecipheriv('aes-256-cbc', key, bytes.subarray(0, 16));
  return Buffer.concat([decipher.update(bytes.subarray(16)), decipher.final()]).toString('utf8');
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The signature and the timestamp window; undefined when both hold. */
function checkSignature(
  headers: Record<string, string | string[] | undefined>,
  rawBody: Buffer,
  encryptKey: string,
  nowMs: number,
): Refusal | undefined {
  const timestamp = header(headers, 'x-lark-request-timestamp') ?? '';
  const nonce = header(headers, 'x-lark-request-nonce') ?? '';
  const signature = header(headers, 'x-lark-signature') ?? '';
  if (!/^[0-9a-f]{64}$/i.test(signature)) return refuse(401, 'signature-mismatch', 'X-Lark-Signature is not 64 hex digits');
  const expected = Buffer.from(signatureOf(timestamp, nonce, encryptKey, rawBody), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex')))
    return refuse(401, 'signature-mismatch', 'X-Lark-Signature does not match the body signed with the Encrypt Key');
  if (!/^\d{1,12}$/.test(timestamp)) return refuse(401, 'timestamp-invalid', 'X-Lark-Request-Timestamp is not Unix seconds');
  const age = Math.floor(nowMs / 1000) - Number(timestamp);
  if (age > MAX_AGE_SEC) return refuse(401, 'timestamp-stale', `X-Lark-Request-Timestamp is ${age} s old (at most ${MAX_AGE_SEC})`);
  if (-age > MAX_FUTURE_SEC)
    return refuse(401, 'timestamp-future', `X-Lark-Request-Timestamp is ${-age} s ahead (at most ${MAX_FUTURE_SEC})`);
  return undefined;
}

/** A request's plain JSON object: the body itself, or what its `encrypt` decrypts to. */
function plainBody(body: Record<string, unknown>, encryptKey: string): { ok: true; plain: Record<string, unknown> } | Refusal {
  if (!('encrypt' in body)) return { ok: true, plain: body };
  const encrypted = encryptedSchema.safeParse(body);
  if (!encrypted.success) return refuse(400, 'body-malformed', formatZodError(encrypted.error, 'body'));
  let text: string;
  try {
    text = decryptBody(encrypted.data.encrypt, encryptKey);
  } catch {
    return refuse(400, 'decrypt-failed', 'encrypt cannot be decrypted with the Encrypt Key');
  }
  const inner = jsonObject.safeParse(parseJson(text));
  if (!inner.success) return refuse(400, 'decrypt-failed', 'encrypt decrypts to something that is not a JSON object (wrong Encrypt Key?)');
  const { encrypt: _encrypt, ...rest } = encrypted.data;
  return { ok: true, plain: { ...inner.data, ...rest } };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const isSigned = (headers: Record<string, string | string[] | undefined>): boolean => header(headers, 'x-lark-signature') !== undefined;

/**
 * Checks one request: `rawBody` exactly as received. The challenge (`url_verification`) is not
 * signed (lark/README.md §4.1, §4.3): it is answered once its token matches; everything else must
 * carry a good signature and a timestamp inside the window, then its token must match.
 */
export function verifyRequest(
  headers: Record<string, string | string[] | undefined>,
  rawBody: Buffer,
  secrets: WebhookSecrets,
  nowMs: number,
): Verified | Refusal {
  const signed = isSigned(headers);
  // Cheap and decisive first: a signed request is checked before anything in it is read.
  if (signed) {
    const bad = checkSignature(headers, rawBody, secrets.encryptKey, nowMs);
    if (bad) return bad;
  }
  const outer = jsonObject.safeParse(parseJson(rawBody.toString('utf8')));
  if (!outer.success) return refuse(400, 'body-not-json', 'the body is not a JSON object');
  const body = plainBody(outer.data, secrets.encryptKey);
  if (!body.ok) return body;
  const { plain } = body;

  if (plain.type === 'url_verification') {
    const challenge = challengeSchema.safeParse(plain);
    if (!challenge.success) return refuse(400, 'body-malformed', formatZodError(challenge.error, 'url_verification'));
    if (!sameSecret(challenge.data.token, secrets.verificationToken))
      return refuse(401, 'token-mismatch', 'token does not match the Verification Token');
    return { ok: true, kind: 'challenge', challenge: challenge.data.challenge };
  }
  if (!signed) return refuse(401, 'signature-missing', 'no X-Lark-Signature header (is the Encrypt Key set in the console?)');

  if ('schema' in plain) {
    const v2 = v2Schema.safeParse(plain);
    if (!v2.success) return refuse(400, 'body-malformed', formatZodError(v2.error, 'event'));
    if (!sameSecret(v2.data.header.token, secrets.verificationToken))
      return refuse(401, 'token-mismatch', 'header.token does not match the Verification Token');
    const { header: head, event, ...rest } = v2.data;
    return { ok: true, kind: 'event', eventType: head.event_type, eventId: head.event_id, data: { ...rest, ...head, ...event } };
  }
  const v1 = v1Schema.safeParse(plain);
  if (!v1.success) return refuse(400, 'body-malformed', formatZodError(v1.error, 'event'));
  if (!sameSecret(v1.data.token, secrets.verificationToken))
    return refuse(401, 'token-mismatch', 'token does not match the Verification Token');
  const { event, ...rest } = v1.data;
  return { ok: true, kind: 'event', eventType: event.type, eventId: v1.data.uuid, data: { ...event, ...rest } };
}
