/**
 * Who may talk to the headless UI server: pure request checks, no I/O.
 *
 * - DNS rebinding: a page on evil.example whose name re-resolves to 127.0.0.1 sends
 *   `Host: evil.example:PORT`; only `127.0.0.1:PORT` and `localhost:PORT` are ours.
 * - Cross-site requests and WebSockets: browsers send `Origin`; anything but our own origin is
 *   refused (WebSockets are not covered by the same-origin policy, so this check is what stops a
 *   page elsewhere from listening to the event stream).
 * - The per-run token: `Authorization: Bearer` on API calls, a `kocoro-token.T` subprotocol on
 *   the event socket. Never a cookie: cookies are not isolated by port, so every other server on
 *   127.0.0.1 the browser visits would receive it. The page keeps it in session storage, given
 *   for a sign-in link's one-time code (sign-in-codes.ts); never in a URL. Compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url (43 characters): the access token of one server run. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are only ever letters, digits, `-` and `_`, so they are safe in a JSON string and a WebSocket subprotocol. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,256}$/;

/**
 * Constant-time comparison. Both sides are hashed first, so neither the content nor the length of
 * the expected token leaks through timing.
 */
export function tokenMatches(candidate: string | undefined, expected: string): boolean {
  if (candidate === undefined) return false;
  const a = createHash('sha256').update(candidate, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The WebSocket subprotocol the page asks for; the server answers with it. */
export const EVENTS_PROTOCOL = 'kocoro';
/** The page sends its token as a second subprotocol `kocoro-token.T` (browsers cannot set headers on a WebSocket). */
export const TOKEN_PROTOCOL_PREFIX = 'kocoro-token.';

/** The token of a `Sec-WebSocket-Protocol` header offering `kocoro-token.T`. */
export function readProtocolToken(header: string | undefined): string | undefined {
  for (const offered of (header ?? '').split(',')) {
    const p = offered.trim();
    if (p.startsWith(TOKEN_PROTOCOL_PREFIX)) return p.slice(TOKEN_PROTOCOL_PREFIX.length);
  }
  return undefined;
}

/** The token of an `Authorization: Bearer T` header. */
export function readBearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m?.[1];
}

/** The Host header values that name this server: the loopback address or name, with our port. */
export function isOwnHost(host: string | undefined, port: number): boolean {
  if (host === undefined) return false;
  const h = host.toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}`;
}

/**
 * An `Origin` header is acceptable when absent (same-origin GET navigations and non-browser
 * clients send none) or exactly our own origin for the host this request was sent to. `null`
 * (sandboxed frames, file: pages, some redirects) is refused.
 */
export function isOwnOrigin(origin: string | undefined, host: string): boolean {
  if (origin === undefined) return true;
  return origin.toLowerCase() === `http://${host.toLowerCase()}`;
}
