/**
 * Who may talk to the headless UI server: pure request checks, no I/O.
 *
 * - DNS rebinding: a page on evil.example whose name re-resolves to 127.0.0.1 sends
 *   `Host: evil.example:PORT`; only `127.0.0.1:PORT` and `localhost:PORT` are ours.
 * - Cross-site requests and WebSockets: browsers send `Origin`; anything but our own origin is
 *   refused (WebSockets are not covered by the same-origin policy, so this check is what stops a
 *   page elsewhere from listening to the event stream).
 * - The per-run token: in a cookie (browsers), or `Authorization: Bearer` (scripts, tests).
 *   Compared in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url (43 characters): the access token of one server run. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are only ever letters, digits, `-` and `_`, so they are safe in a cookie and a URL. */
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

/**
 * The cookie carrying the token. Cookies are not isolated by port, so the name includes it: two
 * servers on 127.0.0.1 (two headless runs) do not overwrite each other's cookie.
 */
export function cookieName(port: number): string {
  return `kocoro_ui_${port}`;
}

export function tokenCookie(port: number, token: string): string {
  // No Max-Age/Expires: a session cookie, and the token changes with every run anyway.
  // No `Secure`: this is plain http on loopback.
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** Value of one cookie in a `Cookie` header (the first one with that name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
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
