/**
 * `npm run headless -- --link`: a new sign-in link from the Kocoro already running on a data
 * folder, without a restart. The running headless serves a local socket, and the command asks it.
 *
 * Who may ask is decided by the operating system, never by something typed on a command line
 * (which every local user can read with `ps`):
 * - POSIX: a unix socket inside the data folder, which is 0700 (core/store/private-files.ts), the
 *   socket itself 0600: only the folder's owner (and root) can reach it.
 * - Windows: a named pipe named after the data folder. Its default access lets other accounts
 *   only read, and a link is sent only after a request has been written, which needs write access.
 *
 * One request, one answer, newline-delimited JSON, both checked with zod.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../core/log/logger';
import { errorMessage } from '../core/log/error-message';

export const LINK_SOCKET_FILE = 'ui-link.sock';
const MAX_LINE_BYTES = 1024;
const TIMEOUT_MS = 5_000;
/** sun_path holds 108 bytes on Linux, 104 on macOS, the terminating NUL included. */
const MAX_SOCKET_PATH_BYTES = process.platform === 'darwin' ? 103 : 107;

const requestSchema = z.object({ want: z.literal('sign-in-link') }).strict();
const replySchema = z.union([
  z.object({ link: z.string().regex(/^http:\/\/127\.0\.0\.1:\d{1,5}\/#code=[A-Za-z0-9_-]{16,256}$/), expiresAt: z.number() }),
  z.object({ error: z.string().max(500) }),
]);

/** Where the running headless of `dataDir` listens. */
export function linkSocketPath(dataDir: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') {
    const id = createHash('sha256').update(path.resolve(dataDir).toLowerCase()).digest('hex').slice(0, 32);
    return `\\\\.\\pipe\\kocoro-link-${id}`;
  }
  return path.join(dataDir, LINK_SOCKET_FILE);
}

export class LinkUnavailable extends Error {}

/**
 * Serves sign-in links on `socketPath` until closed. Never throws: where the socket cannot be
 * made (a data folder path too long for a socket, a file system without sockets) `--link` is not
 * available, which is logged, and the UI runs on.
 */
export async function serveLinkSocket(opts: {
  socketPath: string;
  newLink: () => { link: string; expiresAt: number };
  logger: Logger;
}): Promise<{ close(): Promise<void> }> {
  const { socketPath, logger } = opts;
  const none = { close: async () => undefined };
  const unix = !socketPath.startsWith('\\\\');
  if (unix && Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    // Node would silently truncate the path, and listen somewhere else.
    logger.log('warn', 'ui.link_socket_unavailable', { reason: 'the data folder path is too long for a socket', socketPath });
    return none;
  }
  // The data folder is locked to this process (core/store/data-dir-lock.ts): a socket file left
  // there is a crashed run's.
  if (unix) await fs.rm(socketPath, { force: true });

  const server = net.createServer((conn) => answer(conn, opts.newLink, logger));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (unix) await fs.chmod(socketPath, 0o600);
  } catch (err) {
    server.close();
    logger.log('warn', 'ui.link_socket_unavailable', { reason: errorMessage(err), socketPath });
    return none;
  }
  server.on('error', (err) => logger.log('warn', 'ui.link_socket_error', { error: err.message }));
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function answer(conn: net.Socket, newLink: () => { link: string; expiresAt: number }, logger: Logger): void {
  conn.setTimeout(TIMEOUT_MS, () => conn.destroy());
  conn.on('error', () => conn.destroy());
  let pending = '';
  conn.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const end = pending.indexOf('\n');
    if (end < 0) {
      if (Buffer.byteLength(pending) > MAX_LINE_BYTES) conn.destroy();
      return;
    }
    conn.removeAllListeners('data');
    let request: unknown;
    try {
      request = JSON.parse(pending.slice(0, end));
    } catch {
      request = undefined;
    }
    if (!requestSchema.safeParse(request).success) {
      conn.end(`${JSON.stringify({ error: 'unknown request' })}\n`);
      return;
    }
    try {
      conn.end(`${JSON.stringify(newLink())}\n`);
    } catch (err) {
      logger.log('warn', 'ui.link_socket_error', { error: errorMessage(err) });
      conn.end(`${JSON.stringify({ error: 'no link could be made' })}\n`);
    }
  });
}

/** Asks the Kocoro running on `dataDir` for a new sign-in link; `LinkUnavailable` says why not. */
export function requestLink(dataDir: string, socketPath = linkSocketPath(dataDir)): Promise<{ link: string; expiresAt: number }> {
  return new Promise((resolve, reject) => {
    const conn = net.connect(socketPath);
    let reply = '';
    const fail = (message: string): void => {
      conn.destroy();
      reject(new LinkUnavailable(message));
    };
    conn.setTimeout(TIMEOUT_MS, () => fail(`Kocoro on ${dataDir} did not answer within ${TIMEOUT_MS / 1000} s.`));
    conn.on('connect', () => conn.write(`${JSON.stringify({ want: 'sign-in-link' })}\n`));
    conn.on('error', (err: NodeJS.ErrnoException) => {
      const notRunning = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
      fail(
        notRunning
          ? `No Kocoro with its UI is running on ${dataDir}: start one with \`npm run headless -- --ui PORT\` (its first link is printed then).`
          : `Cannot reach the Kocoro running on ${dataDir}: ${err.message}`,
      );
    });
    conn.setEncoding('utf8').on('data', (chunk: string) => {
      reply += chunk;
      if (Buffer.byteLength(reply) > MAX_LINE_BYTES * 4) fail('Kocoro sent an answer that is too long.');
    });
    conn.on('end', () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(reply.trim());
      } catch {
        parsed = undefined;
      }
      const checked = replySchema.safeParse(parsed);
      if (!checked.success) return fail('Kocoro sent an answer --link does not understand (is it another version?).');
      if ('error' in checked.data) return fail(`Kocoro could not make a link: ${checked.data.error}`);
      resolve(checked.data);
    });
  });
}
