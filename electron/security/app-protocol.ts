/**
 * The `app://` scheme that serves the built renderer (`dist/`) in production.
 *
 * Pure path logic (no Electron import) so that it is testable under plain Node; main.ts
 * registers the scheme and reads the files.
 */
import nodePath from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'kocoro';
/** Where the production window is pointed. */
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export type AppAssetResolution =
  { readonly ok: true; readonly filePath: string; readonly contentType: string } | { readonly ok: false; readonly status: 400 | 403 | 404 };

/**
 * Map an `app://kocoro/...` request URL to a file inside `rootDir`, or refuse it.
 *
 * Refuses: other schemes and hosts, undecodable or NUL-containing paths, and anything that
 * resolves outside `rootDir` after percent-decoding (`%2e%2e%2f`, `..%5c` on Windows, drive
 * letters, UNC paths). `pathImpl` exists so tests can exercise Windows path rules on any OS.
 */
export function resolveAppAsset(rootDir: string, requestUrl: string, pathImpl: typeof nodePath = nodePath): AppAssetResolution {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { ok: false, status: 400 };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return { ok: false, status: 404 };

  let decoded: string;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return { ok: false, status: 400 };
  }
  if (decoded.includes('\0')) return { ok: false, status: 400 };

  const relative = decoded.replace(/^[/\\]+/, '');
  const root = pathImpl.resolve(rootDir);
  const filePath = pathImpl.resolve(root, relative === '' ? 'index.html' : relative);

  const fromRoot = pathImpl.relative(root, filePath);
  if (fromRoot === '' || fromRoot === '..' || fromRoot.startsWith(`..${pathImpl.sep}`) || pathImpl.isAbsolute(fromRoot)) {
    return { ok: false, status: 403 };
  }

  const contentType = CONTENT_TYPES[pathImpl.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
  return { ok: true, filePath, contentType };
}
