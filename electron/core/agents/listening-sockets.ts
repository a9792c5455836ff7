import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Which processes listen on a TCP port of this computer, as the OS tells it: Linux from /proc,
 * macOS from lsof, Windows from netstat. A port on loopback is not owned by anyone, so this is how
 * Kocoro tells the Kocoro daemon from another program holding its port (daemon-identity.ts).
 */
export interface Listener {
  /** The local address, canonical (`canonicalAddress`): `*` when the tool says "any". */
  address: string;
  pid?: number;
  /** The socket's owner, where the OS says (Linux /proc, lsof). */
  uid?: number;
}

/** The OS could not be asked, or answered something unreadable: nothing is proven either way. */
export class ProbeFailed extends Error {}

const PROBE_TIMEOUT_MS = 5_000;

/** `127.0.0.1`, `::`, `::1`, `::ffff:127.0.0.1`, or eight lowercase hex groups; undefined when not an address. */
export function canonicalAddress(raw: string): string | undefined {
  let a = raw.trim();
  if (a === '*') return '*';
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  a = a.replace(/%.*$/, '');
  if (net.isIPv4(a)) return a;
  if (!net.isIPv6(a)) return undefined;
  const v4Tail = /:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4Tail) {
    const b = v4Tail[1]!.split('.').map(Number);
    a = `${a.slice(0, v4Tail.index + 1)}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
  return addressOfGroups(groups);
}

function addressOfGroups(g: number[]): string {
  if (g.every((x) => x === 0)) return '::';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return '::1';
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  return g.map((x) => x.toString(16)).join(':');
}

/** `addr:port` or `[addr]:port` (lsof, netstat) → address and port. */
function splitHostPort(s: string): { address: string; port: number } | undefined {
  const m = /^(.*):(\d{1,5})$/.exec(s);
  const address = m ? canonicalAddress(m[1]!) : undefined;
  return m && address ? { address, port: Number(m[2]) } : undefined;
}

/**
 * Listening rows (state `0A`) of /proc/net/tcp or /proc/net/tcp6 for `port`. The kernel prints
 * each 32-bit word of an address as a number in host byte order (net/ipv4/tcp_ipv4.c
 * `get_tcp4_sock`, net/ipv6/tcp_ipv6.c `get_tcp6_sock`).
 */
export function parseProcNetTcp(
  text: string,
  port: number,
  littleEndian = os.endianness() === 'LE',
): Array<{ address: string; uid: number; inode: number }> {
  const rows: Array<{ address: string; uid: number; inode: number }> = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== '0A') continue;
    const local = /^([0-9A-F]{8}|[0-9A-F]{32}):([0-9A-F]{4})$/i.exec(f[1]!);
    if (!local || !/^\d+$/.test(f[7]!) || !/^\d+$/.test(f[9]!)) throw new ProbeFailed(`unreadable /proc/net/tcp line: ${line.trim()}`);
    if (parseInt(local[2]!, 16) !== port) continue;
    const bytes: number[] = [];
    for (const word of local[1]!.match(/.{8}/g)!) {
      const b = [...Buffer.from(word, 'hex')];
      bytes.push(...(littleEndian ? b.reverse() : b));
    }
    const address =
      bytes.length === 4 ? bytes.join('.') : addressOfGroups(Array.from({ length: 8 }, (_, i) => (bytes[2 * i]! << 8) | bytes[2 * i + 1]!));
    rows.push({ address, uid: Number(f[7]), inode: Number(f[9]) });
  }
  return rows;
}

/**
 * `lsof -F pun` output: a `p<pid>` line starts a process, `u<uid>` is its owner, each `n<addr:port>`
 * is one of its sockets (some lsof versions add `f<fd>` lines, ignored).
 */
export function parseLsof(text: string, port: number): Listener[] {
  const out: Listener[] = [];
  let pid: number | undefined;
  let uid: number | undefined;
  for (const line of text.split(/\r?\n/)) {
    const value = line.slice(1);
    if (line.startsWith('p')) {
      pid = /^\d+$/.test(value) ? Number(value) : undefined;
      uid = undefined;
    } else if (line.startsWith('u')) {
      uid = /^\d+$/.test(value) ? Number(value) : undefined;
    } else if (line.startsWith('n')) {
      const at = splitHostPort(value);
      // A socket nobody can be named for must not be skipped: it could be the one that answers.
      if (!at || pid === undefined) throw new ProbeFailed(`unreadable lsof output: ${line}`);
      if (at.port === port) out.push({ address: at.address, pid, ...(uid !== undefined ? { uid } : {}) });
    }
  }
  return out;
}

/**
 * `netstat -ano` output. A listening row's foreign address is `0.0.0.0:0` or `[::]:0`; the state
 * column is translated on non-English Windows, so it is not read.
 */
export function parseNetstat(text: string, port: number): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split(/\r?\n/)) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'TCP' || !/^(0\.0\.0\.0|\[::\]):0$/.test(f[2] ?? '')) continue;
    const at = splitHostPort(f[1] ?? '');
    const pid = f[f.length - 1]!;
    if (!at || f.length !== 5 || !/^\d+$/.test(pid)) throw new ProbeFailed(`unreadable netstat line: ${line.trim()}`);
    if (at.port === port) out.push({ address: at.address, pid: Number(pid) });
  }
  return out;
}

/** The inodes of the sockets a process holds, from its /proc/<pid>/fd links `socket:[inode]`. */
async function socketInodes(pid: number): Promise<Set<number>> {
  const dir = `/proc/${pid}/fd`;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const links = await Promise.all(names.map((n) => fs.readlink(path.join(dir, n)).catch(() => '')));
  return new Set(links.map((l) => /^socket:\[(\d+)\]$/.exec(l)?.[1]).flatMap((i) => (i ? [Number(i)] : [])));
}

/** Only to name an impostor: a process whose fds we may not read stays unnamed. */
async function linuxOwner(inode: number): Promise<number | undefined> {
  const pids = (await fs.readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
  for (const pid of pids) if ((await socketInodes(Number(pid))).has(inode)) return Number(pid);
  return undefined;
}

async function linuxRows(port: number): Promise<Array<{ address: string; uid: number; inode: number }>> {
  const rows: Array<{ address: string; uid: number; inode: number }> = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      // A kernel without IPv6 has no tcp6.
      if (file.endsWith('6') && err.code === 'ENOENT') return '';
      throw new ProbeFailed(`cannot read ${file} (${err.code ?? err.message})`);
    });
    rows.push(...parseProcNetTcp(text, port));
  }
  return rows;
}

/**
 * What changes when the listening sockets change (Linux: their inodes), read cheaply enough to
 * check before every message; undefined where only the full probe can tell.
 */
export async function listenerFingerprint(port: number): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  return (await linuxRows(port).catch(() => []))
    .map((r) => `${r.address}/${r.inode}`)
    .sort()
    .join(',');
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    // Never through a shell, with only the variables the tool needs.
    execFile(
      file,
      args,
      { env, timeout: PROBE_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, windowsHide: true, shell: false },
      (err, stdout) => {
        const code = err ? (err as { code?: unknown }).code : 0;
        if (typeof code === 'number' && !(err as { killed?: boolean } | null)?.killed) resolve({ code, stdout });
        else reject(new ProbeFailed(`${path.basename(file)} failed: ${err?.message ?? 'unknown error'}`));
      },
    );
  });
}

/**
 * Every socket listening on `port`, with its owner. `hintPid` (the pid the daemon's pid file names)
 * spares Linux a walk through every process. Throws ProbeFailed when the OS cannot be asked.
 */
export async function listeners(port: number, hintPid?: number): Promise<Listener[]> {
  switch (process.platform) {
    case 'linux': {
      const rows = await linuxRows(port);
      const hinted = rows.length && hintPid ? await socketInodes(hintPid) : new Set<number>();
      const out: Listener[] = [];
      for (const r of rows) {
        const pid = hintPid && hinted.has(r.inode) ? hintPid : await linuxOwner(r.inode);
        out.push({ address: r.address, uid: r.uid, ...(pid ? { pid } : {}) });
      }
      return out;
    }
    case 'darwin': {
      const { code, stdout } = await run('/usr/sbin/lsof', ['-nP', '-a', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpun'], {
        PATH: '/usr/sbin:/usr/bin:/bin',
        LC_ALL: 'C',
      });
      // lsof exits 1 when nothing matched.
      if (code !== 0 && !(code === 1 && stdout.trim() === '')) throw new ProbeFailed(`lsof exited with ${code}`);
      return parseLsof(stdout, port);
    }
    case 'win32': {
      const root = process.env.SystemRoot ?? 'C:\\Windows';
      const { code, stdout } = await run(path.join(root, 'System32', 'NETSTAT.EXE'), ['-ano'], { SystemRoot: root });
      if (code !== 0) throw new ProbeFailed(`netstat exited with ${code}`);
      return parseNetstat(stdout, port);
    }
    default:
      throw new ProbeFailed(`Kocoro cannot see which program listens on a port on ${process.platform}`);
  }
}
