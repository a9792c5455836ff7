import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/**
 * A claim on a data folder that the kernel holds for this process and frees the moment the
 * process dies (`kill -9` included, before its parent reaps it): no pid file to judge stale, so
 * two processes taking over after a crash cannot both win. Everything lives in the data folder
 * (0700), so another user can neither see nor squat it, unlike an abstract socket or a named pipe
 * (their names are listed to every user, e.g. in /proc/net/unix, and free to take once we exit).
 */
export interface FolderClaim {
  /** Names this claim in the holder's info, so the info of a holder that died is told apart. */
  readonly id: string;
  /** Frees the folder at once. */
  release(): Promise<void>;
}

/** Either this process has the folder, or someone else does (`holderId`: their claim's id, when known). */
export type ClaimResult = { claim: FolderClaim } | { taken: true; holderId?: string };

export function claimFolder(dir: string): Promise<ClaimResult> {
  if (process.platform === 'win32') return claimByOpening(dir, WIN32_SHARE_NOTHING);
  if (process.platform === 'darwin') return claimByOpening(dir, DARWIN_EXLOCK_NONBLOCK);
  return claimBySocket(dir);
}

// --- Windows and macOS: a file opened with a lock, taken by the open itself -------------------
// Neither path can run on the Linux CI; both are a single open(2)/CreateFileW, kept that small.

/** libuv's UV_FS_O_EXLOCK on Windows: the file is opened sharing nothing; a second open gets EBUSY. */
const WIN32_SHARE_NOTHING = 0x1000_0000;
/** darwin's O_EXLOCK | O_NONBLOCK: open(2) takes flock(LOCK_EX | LOCK_NB) atomically, or fails EAGAIN. */
const DARWIN_EXLOCK_NONBLOCK = 0x20 | 0x4;
/** The locked file (not kocoro.lock: a file opened sharing nothing cannot be read by the loser). */
export const CLAIM_FILE = 'kocoro.claim';

async function claimByOpening(dir: string, lockFlag: number): Promise<ClaimResult> {
  try {
    const handle = await fs.open(path.join(dir, CLAIM_FILE), constants.O_RDWR | constants.O_CREAT | lockFlag, 0o600);
    return { claim: { id: randomBytes(8).toString('hex'), release: () => handle.close() } };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EBUSY') return { taken: true };
    throw err;
  }
}

// --- Linux (and other unices): numbered unix sockets in the folder ----------------------------
//
// The holder is whoever listens on the highest-numbered `kocoro.N.sock`. A new claim listens on a
// temporary socket first and only then hard-links it as N+1, so a claim file is live the instant it
// exists (no gap between bind and listen in which it looks dead), and `link` fails if N+1 exists,
// so of two taking over a dead N exactly one wins. N+1 is only ever made after N was found dead
// (connection refused: nobody listens, which is how a killed or zombie holder's socket answers),
// the highest number is never removed (a released claim stays as a dead N), and only numbers below
// one's own are swept: hence no two live holders, whatever the interleaving.

const CLAIM_NAME = /^kocoro\.(0|[1-9]\d{0,14})\.sock$/;
const claimName = (n: number): string => `kocoro.${n}.sock`;
const TEMP_PREFIX = 'kocoro.tmp-';
/** A socket's path must fit sun_path (108 bytes on Linux, 104 elsewhere, the NUL included); Node truncates silently. */
const MAX_SOCKET_PATH = process.platform === 'linux' ? 107 : 103;
/** A lost round means another process won it, so the next knock finds that one live: 20 is slack. */
const MAX_ROUNDS = 20;

async function claimBySocket(dir: string): Promise<ClaimResult> {
  const at = await socketPaths(dir);
  let kept = false;
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const newest = await newestClaim(dir);
      if (newest !== undefined) {
        const state = await knock(at.of(claimName(newest)));
        if (state === 'live') return { taken: true, holderId: String(newest) };
        if (state === 'gone') continue; // swept by a new holder: look again
      }
      const next = (newest ?? -1) + 1;
      const temp = `${TEMP_PREFIX}${randomBytes(6).toString('hex')}.sock`;
      const server = await listen(at.of(temp));
      try {
        await fs.link(path.join(dir, temp), path.join(dir, claimName(next)));
      } catch (err) {
        await close(server); // also unlinks the temporary socket
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' || code === 'ENOENT') continue; // another took N+1, or swept our temp
        throw err;
      }
      // Tidying only: the claim is ours already.
      await fs.rm(path.join(dir, temp), { force: true }).catch(() => undefined);
      await sweep(dir, next);
      kept = true;
      return {
        claim: {
          id: String(next),
          release: async () => {
            await close(server);
            await at.close();
          },
        },
      };
    }
    return { taken: true };
  } finally {
    if (!kept) await at.close();
  }
}

/**
 * How to name a socket in `dir`. A folder too deep for sun_path is reached on Linux through
 * /proc/self/fd/N, a few bytes whatever its depth (kept open while the claim is held, as the
 * server's own path goes through it).
 */
async function socketPaths(dir: string): Promise<{ of: (name: string) => string; close: () => Promise<void> }> {
  const longest = path.join(dir, `${TEMP_PREFIX}${'0'.repeat(12)}.sock`);
  if (Buffer.byteLength(longest) <= MAX_SOCKET_PATH) return { of: (name) => path.join(dir, name), close: async () => undefined };
  if (process.platform !== 'linux') throw new Error(`the data folder's path is too long for its lock (${dir}): use a shorter one`);
  const handle = await fs.open(dir, 'r');
  return { of: (name) => `/proc/self/fd/${handle.fd}/${name}`, close: () => handle.close() };
}

async function newestClaim(dir: string): Promise<number | undefined> {
  let newest: number | undefined;
  for (const name of await fs.readdir(dir)) {
    const m = CLAIM_NAME.exec(name);
    if (m) newest = Math.max(newest ?? 0, Number(m[1]));
  }
  return newest;
}

/** Is anyone listening? Connecting is all: nothing is sent or read. */
function knock(at: string, tries = 3): Promise<'live' | 'dead' | 'gone'> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(at);
    socket.once('connect', () => {
      socket.destroy();
      resolve('live');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') resolve('dead');
      else if (err.code === 'ENOENT') resolve('gone');
      // Reset while queued: the listener closed under it (its holder just died). Asked again, a dead one refuses.
      else if (err.code === 'ECONNRESET' && tries > 1) setTimeout(() => knock(at, tries - 1).then(resolve, reject), 5);
      else if (err.code === 'EAGAIN')
        resolve('live'); // its backlog is full: someone listens (stopped, perhaps)
      else reject(err);
    });
  });
}

function listen(at: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    // A connection is only ever a knock: closed unread, so nothing a client sends is acted on.
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen({ path: at, exclusive: true }, () => {
      server.off('error', reject);
      // A failed accept (EMFILE) must not crash Kocoro over a knock.
      server.on('error', () => undefined);
      // The claim never keeps the process alive.
      server.unref();
      resolve(server);
    });
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Removes the claims below ours (all dead) and temporary sockets left by a crash. */
async function sweep(dir: string, ours: number): Promise<void> {
  for (const name of await fs.readdir(dir).catch(() => [])) {
    const m = CLAIM_NAME.exec(name);
    if ((m && Number(m[1]) < ours) || name.startsWith(TEMP_PREFIX))
      await fs.rm(path.join(dir, name), { force: true }).catch(() => undefined);
  }
}
