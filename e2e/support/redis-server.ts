/**
 * A private redis-server for tests: its own temp folder, a unix socket only this user may open,
 * and a free TCP port on 127.0.0.1. Never a mock: the tests are about what a real Redis does
 * (Lua, expiry, pub/sub, an outage). One per test file; each test uses its own app prefix.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PrivateRedis {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  /** The unix socket's path (mode 700). */
  readonly socket: string;
  readonly port: number;
  readonly dir: string;
  /** Shuts it down (SIGTERM: with persistence on, it writes what it has first). */
  stop(): Promise<void>;
  /** SIGKILL: a crash, nothing written on the way out. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open and nothing answers (a frozen host); `resume` (SIGCONT) ends it. */
  pause(): void;
  resume(): void;
  /** Starts it again on the same port, socket and folder, so clients reconnect by themselves. */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Append-only file with fsync on every write, for tests that restart it and expect the data back. */
  persistence?: boolean;
}

const INSTALL_HINT = 'redis-server is not installed: apt-get install redis-server (the Redis tests start their own private server)';
const READY_WITHIN_MS = 5_000;

export async function startPrivateRedis(opts: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const binary = await findRedisServer();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-redis-'));
  const socket = path.join(dir, 'r.sock');
  const persistence = opts.persistence ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  let port = 0;
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--unixsocket', socket, '--unixsocketperm', '700'];
    args.push('--save', '', ...persistence, '--dir', dir, '--daemonize', 'no', '--logfile', '');
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code, signal) => reject(new Error(`redis-server exited (${code ?? signal}) before it answered PING:\n${output}`))),
    );
    exited.catch(() => undefined);
    child = proc;
    await Promise.race([waitForPing(socket), exited]);
  };

  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    proc.kill('SIGCONT');
    await exited;
  };

  // A port found free may be taken before redis binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      await end('SIGKILL');
      if (attempt >= 3 || !/Address already in use/i.test(String(err))) {
        await fs.rm(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const onExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.once('exit', onExit);

  return {
    url: `redis://127.0.0.1:${port}`,
    socket,
    port,
    dir,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async restart() {
      await end('SIGTERM');
      await launch();
    },
    async dispose() {
      process.off('exit', onExit);
      await end('SIGTERM');
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

async function findRedisServer(): Promise<string> {
  for (const folder of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(folder, 'redis-server');
    try {
      await fs.access(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  throw new Error(INSTALL_HINT);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** PING over the socket until PONG: the server is ready (it was loading its data until then). */
async function waitForPing(socket: string): Promise<void> {
  const deadline = Date.now() + READY_WITHIN_MS;
  for (;;) {
    if (await ping(socket)) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on ${socket} within ${READY_WITHIN_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const conn = net.createConnection(socket);
    let reply = '';
    const done = (ok: boolean): void => {
      conn.destroy();
      resolve(ok);
    };
    conn.setTimeout(500, () => done(false));
    conn.once('error', () => done(false));
    conn.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    conn.once('connect', () => conn.write('PING\r\n'));
  });
}
