/**
 * A process that takes a data folder's lock, for the lock's tests (electron/core/store/
 * data-dir-lock.test.ts bundles it and runs it on plain Node):
 *
 *   node lock-contender.mjs DIR desktop|headless [--on-go]
 *
 * With --on-go it prints {"ready":true} and tries only once "go" arrives on stdin, so two can be
 * started at the same instant. Then one JSON line: {"held":true,"pid"} (kept until "release" on
 * stdin, or until killed) or {"busy":true,"holderPid","message"} (exit 3).
 */
import { createInterface } from 'node:readline';
import { DataDirBusy, DataDirLock, type KocoroMode } from '../../electron/core/store/data-dir-lock';

const [dir, mode, barrier] = process.argv.slice(2) as [string, KocoroMode, string | undefined];
const say = (line: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(line)}\n`);

const lines = createInterface({ input: process.stdin });
const waiting = new Map<string, () => void>();
lines.on('line', (line) => waiting.get(line.trim())?.());
const heard = (word: string): Promise<void> => new Promise((resolve) => waiting.set(word, resolve));

if (barrier === '--on-go') {
  const go = heard('go');
  say({ ready: true });
  await go;
}
try {
  const lock = await DataDirLock.acquire(dir, mode);
  const release = heard('release');
  // The lock's server never keeps a process alive: this does, until it is told or killed.
  const alive = setInterval(() => undefined, 60_000);
  say({ held: true, pid: process.pid });
  await release;
  await lock.release();
  clearInterval(alive);
  say({ released: true });
  lines.close();
} catch (err) {
  if (!(err instanceof DataDirBusy)) throw err;
  say({ busy: true, holderPid: err.pid, message: err.message });
  process.exit(3);
}
