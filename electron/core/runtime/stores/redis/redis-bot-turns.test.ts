/** The loop guard's counts shared by the processes of one app (redis-bot-turns.ts). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLogger } from '@e2e/support/memory-logger';
import { type PrivateRedis, startPrivateRedis } from '@e2e/support/redis-server';
import { openRedisBotStore, type RedisBotStore } from './redis-bot-store';
import { type OpenedRedis, openRedisConnections } from './redis-connection';

let server: PrivateRedis;
let connections: OpenedRedis;
const opened: RedisBotStore[] = [];

beforeAll(async () => {
  server = await startPrivateRedis();
  connections = await openRedisConnections(server.url, new MemoryLogger());
});
afterAll(async () => {
  for (const store of opened) await store.close();
  await connections.close();
  await server.dispose();
});

async function replica(app: string, replicaId: string) {
  const store = await openRedisBotStore(connections, { appId: app, logger: new MemoryLogger(), replicaId });
  opened.push(store);
  return { store, turns: store.botTurns! };
}

describe('the loop guard across processes', () => {
  it('counts one chat’s bot turns once for all processes: the limit is reached wherever they land, a person anywhere resets it, before the next command', async () => {
    const a = await replica('cli_turns_1', 'a');
    const b = await replica('cli_turns_1', 'b');
    const admitted = [];
    for (let i = 0; i < 8; i++) admitted.push(await (i % 2 ? b : a).turns.admit('oc_1', 5));
    expect(admitted).toEqual([true, true, true, true, true, false, false, false]);
    expect(await a.turns.admit('oc_2', 5)).toBe(true); // another chat counts on its own
    b.turns.human('oc_1'); // not awaited, as the gate does: the next command on the connection sees it
    expect(await a.turns.admit('oc_1', 5)).toBe(true);
  });

  it('keeps the counts when a process writes the rest of the bot’s record', async () => {
    const a = await replica('cli_turns_2', 'a');
    const b = await replica('cli_turns_2', 'b');
    for (let i = 0; i < 5; i++) await b.turns.admit('oc_1', 5);
    a.store.state.update({ lastMessageAt: Date.now() });
    await a.store.state.flush();
    expect(await a.turns.admit('oc_1', 5)).toBe(false);
  });
});
