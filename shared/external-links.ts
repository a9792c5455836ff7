/**
 * The allowlist of links the app may hand to the operating system (the default browser).
 *
 * Pure: no Electron, no Node APIs. Used by the single `openExternal` choke point in
 * `electron/adapters/open-external.ts`, and importable by the renderer to decide whether a link
 * is worth offering at all.
 */

/** Exact host names (no wildcard subdomains): the Lark / Feishu developer consoles and docs. */
export const EXTERNAL_LINK_HOSTS: readonly string[] = Object.freeze([
  'open.feishu.cn',
  'open.larksuite.com',
  'feishu.cn',
  'larksuite.com',
  'www.feishu.cn',
  'www.larksuite.com',
]);

/** Longer inputs are refused outright: no console link is anywhere near this long. */
export const MAX_EXTERNAL_LINK_LENGTH = 2048;

// C0 controls, space, DEL, and the Unicode line/paragraph separators. The WHATWG parser silently
// strips or skips some of these (tabs and newlines inside the URL, leading/trailing spaces), so a
// string containing them could parse to something other than what a reviewer reads.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARS = /[\u0000-\u0020\u007f\u2028\u2029]/;

/**
 * Parse `raw` and return the normalised URL if, and only if, it is an https link to one of
 * {@link EXTERNAL_LINK_HOSTS} on the default port with no credentials. Otherwise `null`.
 *
 * Callers must pass `result.href` onwards (never the raw input): that is the exact, normalised
 * string that was checked.
 */
export function parseExternalLink(raw: unknown): URL | null {
  if (typeof raw !== 'string') return null;
  if (raw.length === 0 || raw.length > MAX_EXTERNAL_LINK_LENGTH) return null;
  if (UNSAFE_CHARS.test(raw)) return null;
  // Backslashes are read as "/" by the WHATWG parser but not necessarily by whatever the OS
  // hands the link to: refuse the ambiguity instead of reasoning about it.
  if (raw.includes('\\')) return null;
  // Only absolute https URLs spelled out in full; no protocol-relative or relative forms.
  if (!/^https:\/\//i.test(raw)) return null;

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }

  if (url.protocol !== 'https:') return null;
  if (url.username !== '' || url.password !== '') return null;
  if (url.port !== '') return null; // "" is the default port (443); anything explicit is refused
  // `hostname` is already lower-cased, IDNA-mapped (punycode) and percent-decoded by the parser,
  // so an exact comparison against ASCII names rejects look-alikes, suffix tricks
  // (open.feishu.cn.evil.com), trailing dots and IP literals alike.
  if (!EXTERNAL_LINK_HOSTS.includes(url.hostname)) return null;
  return url;
}

/** Whether {@link parseExternalLink} accepts `raw`. */
export function isAllowedExternalLink(raw: unknown): boolean {
  return parseExternalLink(raw) !== null;
}
