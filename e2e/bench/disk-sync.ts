import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * How long making one small file durable (write + fsync) takes on the disk the bench's data
 * folders are on, at the steady load's pace: the floor under every ack, since a message is on disk
 * before it is acknowledged.
 */
export async function diskSyncMs(everyMs = 25, forMs = 10_000): Promise<number[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-bench-fsync-'));
  const times: number[] = [];
  try {
    for (let i = 0, end = Date.now() + forMs; Date.now() < end; i++) {
      const started = performance.now();
      const handle = await fs.open(path.join(dir, `entry-${i}.json`), 'w');
      await handle.writeFile('x'.repeat(800));
      await handle.sync();
      await handle.close();
      times.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  return times;
}
