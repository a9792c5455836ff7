/**
 * `npm run bench`: the team-scale benchmark. The real Kocoro runtime and, side by side in the same
 * run, the bare official SDK, both against the fake platform with the published rate limits on
 * (per API, per chat, per card). Prints each figure beside its target (issue 11); figures only,
 * no assertions: tests never time anything. The replicas run (issue 20, e2e/bench/replicas.ts) needs
 * `redis-server`; `npm run bench -- replicas` runs it alone.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { diskSyncMs } from './disk-sync';
import { idleMemory, type MemoryFigure } from './idle-memory';
import { replicasBench } from './replicas';
import { fmt, quantile } from './stats';
import { streamingCardBench } from './streaming-card';
import { kocoroLoad, type LoadFigures, type LoadShape, PacedAgent, sdkLoad } from './team-load';

const STEADY: LoadShape = { messages: 400, everyMs: 25, senders: 200 }; // 40 DMs/s for 10 s
const BURST: LoadShape = { messages: 40, everyMs: 0, senders: 40 };

const p = (xs: number[], q: number) => quantile(xs, q);
const row = (label: string, value: string, target = '') => console.log(`  ${label.padEnd(58)} ${value.padStart(18)}   ${target}`);
const mb = (m: MemoryFigure) => `${(m.total / 1048576).toFixed(0)} MB`;

function loadRows(name: string, f: LoadFigures, targets: { complete99?: string; ack99?: string }): void {
  console.log(`  ${name}`);
  row('ack p50 / p99', `${fmt(p(f.ackMs, 0.5), 'ms')} / ${fmt(p(f.ackMs, 0.99), 'ms')}`, targets.ack99 ?? '');
  row(
    'message → complete answer p50 / p99',
    `${fmt(p(f.completeMs, 0.5), 'ms')} / ${fmt(p(f.completeMs, 0.99), 'ms')}`,
    targets.complete99 ?? '',
  );
  row('lost / duplicated', `${f.lost} / ${f.duplicated}`, 'target 0 / 0');
  row('calls refused for a rate limit (429, 230020)', String(f.rateLimited), 'target 0');
}

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `Kocoro team-scale bench — ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  );
  console.log('Fake platform on loopback with the published rate limits on; the bare SDK in the same run.\n');
  // `npm run bench -- replicas`: only the replicas run (issue 20).
  if (process.argv.includes('replicas')) return replicasBench();

  console.log(`40 DMs/s for 10 s (${STEADY.messages} messages from ${STEADY.senders} people), instant agent`);
  const card = await kocoroLoad(STEADY, 'card', new PacedAgent(0));
  const message = await kocoroLoad(STEADY, 'message', new PacedAgent(0));
  const sdk = await sdkLoad(STEADY);
  // The same with the data folder in memory: what the software costs once the disk's flush is taken away.
  const inMemory = existsSync('/dev/shm') ? await kocoroLoad(STEADY, 'message', new PacedAgent(0), undefined, '/dev/shm') : undefined;
  const sdkP99 = p(sdk.completeMs, 0.99);
  loadRows('Kocoro, streaming cards (default)', card, { complete99: 'target p99 ≤ 2 s', ack99: 'target p99 ≤ 10 ms' });
  loadRows('Kocoro, reply mode "message"', message, {
    complete99: `target p99 ≤ SDK's + 5 ms = ${fmt(sdkP99 + 5, 'ms')}`,
    ack99: 'target p99 ≤ 10 ms',
  });
  if (inMemory) {
    loadRows('Kocoro, "message", data folder in memory (/dev/shm): no disk flush', inMemory, {
      complete99: `target p99 ≤ SDK's + 5 ms = ${fmt(sdkP99 + 5, 'ms')}`,
      ack99: 'target p99 ≤ 10 ms',
    });
  }
  loadRows('bare SDK (one text reply, no cards, nothing on disk)', sdk, {});
  const sync = await diskSyncMs();
  console.log('  this disk (the floor under a durable ack)');
  row(
    'one small file written + fsync, 40/s: p50 / p99 / max',
    `${fmt(p(sync, 0.5), 'ms')} / ${fmt(p(sync, 0.99), 'ms')} / ${fmt(Math.max(...sync), 'ms')}`,
  );
  console.log('');

  console.log('A burst of 40 DMs at once, a 3-second streaming agent, streaming cards');
  const burstAgent = new PacedAgent(3_000);
  const burst = await kocoroLoad(BURST, 'card', burstAgent);
  row('last person sees the answer begin', fmt(Math.max(...(burst.beginMs ?? [NaN])), 'ms'));
  row('last person sees the answer complete', fmt(Math.max(...burst.completeMs), 'ms'), 'target ≤ 4 s');
  row('peak concurrent agent calls', String(burst.peakAgents ?? NaN), 'per-bot default 50');
  row('lost / duplicated / refused for a rate limit', `${burst.lost} / ${burst.duplicated} / ${burst.rateLimited}`, 'target 0 / 0 / 0');
  // The same burst with the earlier default of 32 at a time: 8 people wait for a first answer to finish.
  const narrow = await kocoroLoad(BURST, 'card', new PacedAgent(3_000), 32);
  row('same, maxConcurrentAnswers 32: last complete', fmt(Math.max(...narrow.completeMs), 'ms'));
  row('same, maxConcurrentAnswers 32: peak agents / refused', `${narrow.peakAgents ?? NaN} / ${narrow.rateLimited}`);
  console.log('');

  console.log('Resident memory of the whole process tree, connected idle bots');
  const sdk10 = await idleMemory('sdk', 10);
  const k10 = await idleMemory('kocoro', 10);
  const k100 = await idleMemory('kocoro', 100);
  row('Kocoro headless, 10 bots', `${mb(k10)} (${k10.processes} process)`, 'target ≤ 150 MB');
  row('Kocoro headless, 100 bots', `${mb(k100)} (${k100.processes} process)`, 'target ≤ 400 MB');
  row('bare SDK, 10 bots', `${mb(sdk10)} (${sdk10.processes} process)`);
  console.log('');

  await replicasBench();
  await streamingCardBench();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
