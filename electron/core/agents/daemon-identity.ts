import { constants, promises as fs } from 'node:fs';
import dns from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expandHome } from './command-provider';
import { canonicalAddress, listenerFingerprint, listeners, type Listener, ProbeFailed } from './listening-sockets';
import { AgentError } from './provider';

/**
 * Whether the program behind a Kocoro daemon URL is the Kocoro daemon of this user. The daemon's
 * HTTP port has no authentication and, when the daemon is not running, any local program (another
 * user's too) may listen on it; what only the daemon holds is its pid file, `daemon.pid` in its
 * state folder (~/.shannon), private to the user and naming the daemon's pid. So the proof is: the
 * process listening where a connection to the URL can land is the one the pid file names.
 * agents/README.md lists the daemon's source this relies on.
 */
export type DaemonProof =
  | { state: 'proven'; pid: number }
  /** `who`: the listener's pid and uid as far as the OS tells ('' when the OS hides it). */
  | { state: 'notDaemon'; port: number; who: string; detail: string }
  | { state: 'nothing' }
  | { state: 'unproven'; port: number; detail: string }
  /** Not on this computer: nothing can be proven, and the URL is the owner's explicit choice. */
  | { state: 'remote' };

export interface DaemonTarget {
  url: string;
  /** The daemon's state folder (its `--state-dir`); default ~/.shannon. */
  stateDir?: string;
}

/** A burst of messages shares one probe; a daemon restart or a new listener is noticed sooner (the stamp, the fingerprint). */
const PROOF_TTL_MS = 5_000;

export function daemonPidFile(stateDir?: string): string {
  return path.join(stateDir ? expandHome(stateDir) : path.join(os.homedir(), '.shannon'), 'daemon.pid');
}

/** The loopback addresses a connection to `hostname` may reach; undefined when it leaves this computer. */
async function loopbackTargets(hostname: string): Promise<string[] | undefined> {
  const host = hostname
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  // Node may try either family for "localhost", and the daemon binds only one of them.
  if (host === 'localhost') return ['127.0.0.1', '::1'];
  const literal = canonicalAddress(host);
  const addresses = literal
    ? [literal]
    : await dns.lookup(host, { all: true }).then(
        (found) => found.map((a) => canonicalAddress(a.address) ?? ''),
        () => [],
      );
  const local = addresses.flatMap((a) => {
    // Connecting to the "any" address reaches this computer's loopback.
    if (a === '0.0.0.0' || a === '::') return [a === '::' ? '::1' : '127.0.0.1'];
    if (a.startsWith('127.') || a === '::1') return [a];
    return a.startsWith('::ffff:127.') ? [a.slice(7)] : [];
  });
  return local.length ? local : undefined;
}

/**
 * Whether a socket listening on `listener` can take a connection to `target`. A wildcard may take
 * it (`::` too: whether it also serves IPv4 is not visible), so it must be the daemon's as well.
 */
function reaches(listener: string, target: string): boolean {
  if (listener === '*' || listener === '::' || listener === target) return true;
  return net.isIPv4(target) && (listener === '0.0.0.0' || listener === `::ffff:${target}`);
}

type PidFile = { kind: 'ok'; pid: number; stamp: string } | { kind: 'missing' } | { kind: 'untrusted'; why: string };

/** The daemon's pid, trusted only from a file of this user that nobody else may write (the daemon makes it 0600). */
async function readPidFile(file: string): Promise<PidFile> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'untrusted', why: code === 'ELOOP' ? `${file} is a symbolic link` : `${file} cannot be read (${code})` };
  }
  try {
    const st = await handle.stat();
    const uid = process.getuid?.();
    if (!st.isFile()) return { kind: 'untrusted', why: `${file} is not a file` };
    // Windows has no uid here: the file lies in the user's profile, which only they (and admins) may write.
    if (uid !== undefined && st.uid !== uid)
      return { kind: 'untrusted', why: `${file} belongs to uid ${st.uid}, not to this user (uid ${uid})` };
    if (process.platform !== 'win32' && st.mode & 0o022) {
      return { kind: 'untrusted', why: `${file} can be written by other users (mode ${(st.mode & 0o777).toString(8)})` };
    }
    const buf = Buffer.alloc(32);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const pid = Number(/^\s*(\d{1,10})\s*$/.exec(buf.subarray(0, bytesRead).toString('utf8'))?.[1] ?? 0);
    if (!(pid > 0 && pid < 2 ** 31)) return { kind: 'untrusted', why: `${file} does not hold a pid` };
    return { kind: 'ok', pid, stamp: `${st.ino}:${st.mtimeMs}:${pid}` };
  } finally {
    await handle.close();
  }
}

/** A connection is accepted: something listens that the OS did not show us (macOS hides other users' sockets from lsof). */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (yes: boolean) => {
      socket.destroy();
      resolve(yes);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const whoOf = (l: Listener): string =>
  [l.pid !== undefined ? `pid ${l.pid}` : '', l.uid !== undefined ? `uid ${l.uid}` : ''].filter(Boolean).join(', ');

const HOW_KOCORO_LOOKS: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'Kocoro reads /proc/net/tcp, /proc/net/tcp6 and /proc/<pid>/fd to see which process listens',
  darwin: 'Kocoro asks /usr/sbin/lsof (part of macOS) which process listens',
  win32: 'Kocoro asks netstat (in System32) which process listens',
};

async function probe(targets: string[], port: number, file: string, pidFile: PidFile): Promise<DaemonProof> {
  const fingerprint = await listenerFingerprint(port);
  let found: Listener[];
  try {
    found = await listeners(port, pidFile.kind === 'ok' ? pidFile.pid : undefined);
  } catch (err) {
    if (!(err instanceof ProbeFailed)) throw err;
    const how = HOW_KOCORO_LOOKS[process.platform];
    return { state: 'unproven', port, detail: how ? `${err.message}; ${how}: make sure it can` : err.message };
  }
  const relevant = found.filter((l) => targets.some((t) => reaches(l.address, t)));
  if (relevant.length === 0) {
    for (const t of targets) {
      if (await accepts(t, port)) {
        return { state: 'notDaemon', port, who: '', detail: `a program Kocoro cannot see (another user's) listens on port ${port}` };
      }
    }
    return { state: 'nothing' };
  }
  if (pidFile.kind === 'untrusted') {
    return { state: 'unproven', port, detail: `${pidFile.why}; the daemon writes it itself, owned by you and private (0600)` };
  }
  const notDaemon = (l: Listener, why: string): DaemonProof => ({
    state: 'notDaemon',
    port,
    who: whoOf(l),
    detail: `the program on port ${port} (${whoOf(l) || 'owner unknown'}) is not the Kocoro daemon: ${why}`,
  });
  if (pidFile.kind === 'missing') {
    return notDaemon(
      relevant[0]!,
      `there is no daemon pid file at ${file} (for a daemon started with --state-dir, give the agent that folder as stateDir)`,
    );
  }
  const me = process.getuid?.();
  const stranger = relevant.find((l) => l.pid !== pidFile.pid || (me !== undefined && l.uid !== undefined && l.uid !== me));
  if (stranger) return notDaemon(stranger, `${file} names pid ${pidFile.pid}`);
  cache.set(cacheKey(targets, port, file), { stamp: pidFile.stamp, fingerprint, until: Date.now() + PROOF_TTL_MS });
  return { state: 'proven', pid: pidFile.pid };
}

const cache = new Map<string, { stamp: string; fingerprint: string | undefined; until: number }>();
const inflight = new Map<string, Promise<DaemonProof>>();
const cacheKey = (targets: string[], port: number, file: string) => `${targets.join(',')}|${port}|${file}`;

/** Who listens behind `target.url`; never throws for what it finds, only for a bug. */
export async function proveDaemon(target: DaemonTarget): Promise<DaemonProof> {
  let url: URL;
  try {
    url = new URL(target.url);
  } catch {
    return { state: 'remote' };
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const targets = await loopbackTargets(url.hostname);
  if (!targets) return { state: 'remote' };
  const file = daemonPidFile(target.stateDir);
  // Read for every message: a daemon that stopped removed it, one that restarted rewrote it.
  const pidFile = await readPidFile(file);
  const key = cacheKey(targets, port, file);
  const cached = cache.get(key);
  if (pidFile.kind === 'ok' && cached?.stamp === pidFile.stamp && Date.now() < cached.until) {
    if ((await listenerFingerprint(port)) === cached.fingerprint) return { state: 'proven', pid: pidFile.pid };
  }
  const flightKey = `${key}|${pidFile.kind === 'ok' ? pidFile.stamp : pidFile.kind}`;
  let flight = inflight.get(flightKey);
  if (!flight) {
    flight = probe(targets, port, file, pidFile).finally(() => inflight.delete(flightKey));
    inflight.set(flightKey, flight);
  }
  return flight;
}

/** Why a message must not go to `url`, for the log (`message`) and the chat (`notice`); undefined when it may. */
export function refusal(proof: DaemonProof, url: string): AgentError | undefined {
  if (proof.state === 'notDaemon') {
    const port = String(proof.port);
    return new AgentError(
      `Kocoro did not send the message to ${url}: ${proof.detail}`,
      proof.who ? { key: 'kocoro.notDaemon', params: { port, who: proof.who } } : { key: 'kocoro.notDaemonHidden', params: { port } },
    );
  }
  if (proof.state === 'unproven') {
    return new AgentError(
      `Kocoro did not send the message to ${url}: it cannot prove the program there is the Kocoro daemon: ${proof.detail}`,
      {
        key: 'kocoro.unproven',
        params: { port: String(proof.port) },
      },
    );
  }
  return undefined;
}

/** What Check says about who answers at `url` (the state first: proven, not the daemon, cannot be proven). */
export function proofLine(proof: Exclude<DaemonProof, { state: 'nothing' }>, url: string): string {
  switch (proof.state) {
    case 'proven':
      return `proven: the Kocoro daemon (pid ${proof.pid})`;
    case 'notDaemon':
      return `not the daemon: ${proof.detail}. Kocoro sends it no messages: stop that program, then start the daemon with \`shan daemon start\``;
    case 'unproven':
      return `cannot be proven: ${proof.detail}. Kocoro sends no messages to ${url} until it can`;
    case 'remote':
      return `cannot be proven: ${url} is not on this computer, so Kocoro cannot see which program answers there; it sends messages there because the agent's URL names it`;
  }
}
