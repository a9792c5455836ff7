import { readdirSync, readFileSync } from 'node:fs';

/** Resident memory (bytes) of `pid` and every process below it, from /proc (Linux). */
export function treeRss(pid: number): { total: number; largest: number; processes: number } {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readOrEmpty(`/proc/${entry}/stat`);
    // Field 4 (ppid) follows the command name, which is in parentheses and may hold spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!Number.isFinite(ppid)) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  let total = 0;
  let largest = 0;
  let processes = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    const rss = rssOf(p);
    if (rss === undefined) continue;
    total += rss;
    largest = Math.max(largest, rss);
    processes++;
    queue.push(...(children.get(p) ?? []));
  }
  return { total, largest, processes };
}

function rssOf(pid: number): number | undefined {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readOrEmpty(`/proc/${pid}/status`));
  return m ? Number(m[1]) * 1024 : undefined;
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
