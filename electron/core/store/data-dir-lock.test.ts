import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DataDirBusy, DataDirLock, LOCK_FILE } from './data-dir-lock';

/**
 * Real processes, no mocks: each contender is a Node process taking the lock
 * (e2e/support/lock-contender.ts, bundled once so each starts in a fraction of a second).
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const POSIX = process.platform !== 'win32';
const TRIALS = 25;

let bundleDir: string;
let contenderJs: string;
/** The test's data folder, in a temporary folder removed after the test. */
let dir: string;
let scratch: string;
const started: ChildProcess[] = [];
const held: DataDirLock[] = [];

beforeAll(async () => {
  bundleDir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-lock-bundle-'));
  await build({
    configFile: false,
    root: ROOT,
    logLevel: 'silent',
    build: {
      ssr: path.join(ROOT, 'e2e/support/lock-contender.ts'),
      outDir: bundleDir,
      target: 'node20',
      minify: false,
      rolldownOptions: { output: { entryFileNames: 'lock-contender.mjs', format: 'es' } },
    },
  });
  contenderJs = path.join(bundleDir, 'lock-contender.mjs');
}, 60_000);
afterAll(async () => {
  await fs.rm(bundleDir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const lock of held.splice(0)) await lock.release();
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await fs.rm(scratch, { recursive: true, force: true });
});

async function newDir(): Promise<string> {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-lock-'));
  dir = path.join(scratch, 'data');
  return dir;
}

type Line = Record<string, unknown>;

/** A lock-contender process (or a shell around one): its JSON lines, as they come. */
class Contender {
  readonly lines: Line[] = [];
  readonly exited: Promise<number | null>;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly child: ChildProcess) {
    started.push(child);
    let rest = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      rest += chunk;
      for (let i = rest.indexOf('\n'); i >= 0; i = rest.indexOf('\n')) {
        this.lines.push(JSON.parse(rest.slice(0, i)) as Line);
        rest = rest.slice(i + 1);
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static start(mode: 'desktop' | 'headless', onGo = false): Contender {
    const args = [contenderJs, dir, mode, ...(onGo ? ['--on-go'] : [])];
    return new Contender(spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] }));
  }

  /** The first line having `key`, once it is there. */
  async line(key: string, timeoutMs = 10_000): Promise<Line> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((l) => key in l);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no "${key}" line; got ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  /** What it got: the folder, or a refusal. */
  async outcome(): Promise<Line> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = this.lines.find((l) => 'held' in l || 'busy' in l);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no outcome; got ${JSON.stringify(this.lines)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  say(word: string): void {
    this.child.stdin!.write(`${word}\n`);
  }
}

async function holder(mode: 'desktop' | 'headless' = 'headless'): Promise<{ contender: Contender; pid: number }> {
  const contender = Contender.start(mode);
  const { pid } = (await contender.line('held')) as { pid: number };
  return { contender, pid };
}

/** A pid that ran and no longer does. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

/** The process state letter `ps` shows (T stopped, Z zombie). */
function processState(pid: number): string {
  return spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' })
    .stdout.trim()
    .charAt(0);
}

const busyMessage = (pid: number, mode: string) =>
  new RegExp(
    `^another Kocoro is using ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(pid ${pid}\\), ${mode} since \\d{4}-\\d\\d-\\d\\dT`,
  );

describe('one Kocoro per data folder', () => {
  it(
    `of two Kocoros started at the same instant over a crashed one's leftovers, exactly one gets the folder and the other names it (${TRIALS} trials)`,
    {
      timeout: 120_000,
    },
    async () => {
      await newDir();
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await fs.writeFile(path.join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid() }), { mode: 0o600 });
      const t0 = Date.now();
      const winners = { desktop: 0, headless: 0 };
      for (let trial = 0; trial < TRIALS; trial++) {
        const pair = [Contender.start('desktop', true), Contender.start('headless', true)] as const;
        await Promise.all(pair.map((c) => c.line('ready')));
        for (const c of pair) c.say('go');
        const outcomes = await Promise.all(pair.map((c) => c.outcome()));
        const winner = outcomes.findIndex((o) => o.held === true);
        expect(
          outcomes.filter((o) => o.held === true),
          `trial ${trial}: ${JSON.stringify(outcomes)}`,
        ).toHaveLength(1);
        const [won, lost] = winner === 0 ? pair : [pair[1], pair[0]];
        const refusal = outcomes[1 - winner]!;
        expect(refusal).toMatchObject({ busy: true, holderPid: won.child.pid });
        expect(refusal.message).toMatch(busyMessage(won.child.pid!, winner === 0 ? 'the desktop app' : 'headless'));
        expect(await lost.exited).toBe(3);
        winners[winner === 0 ? 'desktop' : 'headless']++;
        // The winner crashes: the next trial starts over what it leaves behind.
        won.child.kill('SIGKILL');
        await won.exited;
      }
      console.log(`${TRIALS} trials in ${Date.now() - t0} ms; won by desktop ${winners.desktop}, headless ${winners.headless}`);
    },
  );

  it('a restart right after kill -9 of the holder gets the folder within a second', async () => {
    await newDir();
    const { contender } = await holder();
    const killedAt = performance.now();
    contender.child.kill('SIGKILL');
    for (;;) {
      try {
        held.push(await DataDirLock.acquire(dir, 'headless'));
        break;
      } catch (err) {
        if (!(err instanceof DataDirBusy) || performance.now() - killedAt > 5_000) throw err;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    const ms = performance.now() - killedAt;
    console.log(`taken over ${ms.toFixed(1)} ms after kill -9 of the holder`);
    expect(ms).toBeLessThan(1_000);
  });

  it.skipIf(!POSIX)('a stopped holder (SIGSTOP) still holds the folder; a zombie (killed, not yet reaped) does not', async () => {
    await newDir();
    const stopped = await holder('desktop');
    process.kill(stopped.pid, 'SIGSTOP');
    try {
      expect(processState(stopped.pid)).toBe('T');
      const refusal = await DataDirLock.acquire(dir, 'headless').catch((err: unknown) => err);
      expect(refusal).toBeInstanceOf(DataDirBusy);
      expect((refusal as DataDirBusy).pid).toBe(stopped.pid);
      expect((refusal as DataDirBusy).message).toMatch(busyMessage(stopped.pid, 'the desktop app'));
    } finally {
      process.kill(stopped.pid, 'SIGCONT');
    }
    stopped.contender.child.kill('SIGKILL');
    await stopped.contender.exited;

    // `exec sleep` leaves the contender the child of a process that never waits for it.
    const shell = new Contender(
      spawn('sh', ['-c', `"${process.execPath}" "${contenderJs}" "${dir}" headless & exec sleep 30`], {
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    const { pid } = (await shell.line('held')) as { pid: number };
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => processState(pid), { timeout: 5_000, interval: 10 }).toBe('Z');
    held.push(await DataDirLock.acquire(dir, 'headless'));
    expect(processState(pid)).toBe('Z');
  });

  it('a graceful release lets another process take the folder at once', async () => {
    await newDir();
    const first = await holder();
    first.contender.say('release');
    await first.contender.line('released');
    const lock = await DataDirLock.acquire(dir, 'headless');
    await lock.release();
    const second = await holder();
    expect(second.pid).toBe(second.contender.child.pid);
  });

  it.skipIf(process.platform !== 'linux')(
    'locks a folder too deep for a socket path just the same, and creates nothing outside it',
    async () => {
      // Node silently cuts a socket path longer than 107 bytes: this one would land in `scratch`.
      await newDir();
      dir = path.join(scratch, 'd'.repeat(100));
      const first = await holder('desktop');
      const refusal = await DataDirLock.acquire(dir, 'headless').catch((err: unknown) => err);
      expect((refusal as DataDirBusy).message).toMatch(busyMessage(first.pid, 'the desktop app'));
      first.contender.child.kill('SIGKILL');
      await first.contender.exited;
      held.push(await DataDirLock.acquire(dir, 'headless'));
      expect(await fs.readdir(scratch)).toEqual([path.basename(dir)]);
    },
  );

  it('keeps who holds the folder in a private file, and the refusal says only who and since when', async () => {
    await newDir();
    const lock = await DataDirLock.acquire(dir, 'desktop');
    const file = path.join(dir, LOCK_FILE);
    const info = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(info).sort()).toEqual(['claim', 'mode', 'pid', 'since']);
    expect(info).toMatchObject({ pid: process.pid, mode: 'desktop' });
    if (POSIX) {
      expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
      expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
    }
    const refusal = await Contender.start('headless').outcome();
    expect(refusal.message).toBe(
      `another Kocoro is using ${dir} (pid ${process.pid}), the desktop app since ${String(info.since)}: stop it first, or give this one another --data-dir`,
    );
    await lock.release();
    await expect(fs.stat(file)).rejects.toThrow();
  });
});
