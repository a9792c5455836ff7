import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeLarkPlatform } from '../fakes/lark';
import { treeRss } from './process-memory';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface MemoryFigure {
  /** Resident memory of the whole process tree, bytes. */
  total: number;
  largest: number;
  processes: number;
}

const appFor = (i: number) => ({
  appId: `cli_${(0xbe000000 + i).toString(16).padStart(16, '0')}`,
  appSecret: `secret-idle-bot-${String(i).padStart(4, '0')}`,
  botOpenId: `ou_idle${String(i).padStart(25, '0')}`,
  botName: `Idle ${i}`,
});

/**
 * Resident memory of `bots` connected idle bots: Kocoro as `npm run headless` runs it (node on
 * electron/run-headless.mjs, npm's own process left out), or the bare SDK (e2e/bench/sdk-idle-bots.mjs).
 * Measured after every bot is connected and a few quiet seconds.
 */
export async function idleMemory(kind: 'kocoro' | 'sdk', bots: number, settleMs = 5_000): Promise<MemoryFigure> {
  const apps = Array.from({ length: bots }, (_, i) => appFor(i));
  const lark = await FakeLarkPlatform.start({ apps });
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-bench-idle-'));
  let child: ChildProcess | undefined;
  try {
    if (kind === 'kocoro') {
      const config = {
        agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }],
        bots: apps.map((a, i) => ({
          id: `bot-${i}`,
          platform: 'feishu',
          appId: a.appId,
          appSecret: a.appSecret,
          agentId: 'echo',
          domain: lark.url,
        })),
      };
      await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
      child = spawn(
        process.execPath,
        [path.join(ROOT, 'electron/run-headless.mjs'), '--config', path.join(dir, 'config.json'), '--data-dir', path.join(dir, 'data')],
        {
          cwd: ROOT,
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
    } else {
      child = spawn(process.execPath, [path.join(ROOT, 'e2e/bench/sdk-idle-bots.mjs'), lark.url, JSON.stringify(apps)], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
    for (const app of apps) await lark.waitForConnections(app.appId, 1, 120_000);
    await new Promise((r) => setTimeout(r, settleMs));
    const samples = [];
    for (let i = 0; i < 3; i++) {
      samples.push(treeRss(child.pid!));
      await new Promise((r) => setTimeout(r, 500));
    }
    return samples.sort((a, b) => a.total - b.total)[1]!;
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await lark.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}
