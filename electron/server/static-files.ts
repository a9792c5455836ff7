/**
 * Serving the built renderer (`dist/`) over HTTP: the same path rules as the desktop app's
 * `app://` protocol (electron/security/app-protocol.ts), so traversal is refused by one tested
 * function in both transports.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { APP_HOST, APP_SCHEME, resolveAppAsset } from '../security/app-protocol';

export type StaticResult =
  | { readonly ok: true; readonly body: Buffer; readonly contentType: string; readonly cacheControl: string }
  | { readonly ok: false; readonly status: 400 | 403 | 404 };

/** Hashed build output: safe to cache for good (the name changes when the content does). */
const IMMUTABLE = 'private, max-age=31536000, immutable';

/**
 * The file for an HTTP path (`URL#pathname`, still percent-encoded), or why not. Paths that do
 * not exist and have no file extension get `index.html` (client-side routes); a missing
 * `/assets/x.js` stays a 404 rather than HTML served as a script.
 */
export async function readStaticFile(staticDir: string, pathname: string): Promise<StaticResult> {
  // Re-root the path on the app:// URL that resolveAppAsset understands. `pathname` comes from
  // the WHATWG URL parser, so it starts with "/" and literal dot segments are already resolved.
  const asset = resolveAppAsset(staticDir, `${APP_SCHEME}://${APP_HOST}${pathname}`);
  if (!asset.ok) return asset;

  const file = await readRegularFile(asset.filePath);
  if (file !== null) {
    const isIndex = path.resolve(asset.filePath) === path.resolve(staticDir, 'index.html');
    const cacheControl = isIndex ? 'no-store' : pathname.startsWith('/assets/') ? IMMUTABLE : 'no-cache';
    return { ok: true, body: file, contentType: asset.contentType, cacheControl };
  }
  const lastSegment = pathname.slice(pathname.lastIndexOf('/') + 1);
  if (lastSegment.includes('.')) return { ok: false, status: 404 };
  const index = await readRegularFile(path.join(staticDir, 'index.html'));
  if (index === null) return { ok: false, status: 404 };
  return { ok: true, body: index, contentType: 'text/html; charset=utf-8', cacheControl: 'no-store' };
}

async function readRegularFile(file: string): Promise<Buffer | null> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return null;
    return await fs.readFile(file);
  } catch {
    return null;
  }
}
