import { afterEach, describe, expect, it } from 'vitest';
import * as lark from '@larksuiteoapi/node-sdk';
import { FakeLarkPlatform } from './index.js';
import { seededRandom } from './delivery.js';
import { APP, silentLogger } from './sdk-test-kit.js';

// Cluster mode (lark/README.md §2.11): each push goes to one connection of the app chosen at random,
// events and card callbacks alike. A seeded fake makes that choice repeatable.

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fake with `clients` SDK long connections, opened one after the other (so their ids come in order). */
async function cluster(clients: number, seed?: number): Promise<FakeLarkPlatform> {
  const fake = await FakeLarkPlatform.start({ apps: [APP], ...(seed !== undefined ? { seed } : {}) });
  cleanups.push(() => fake.close());
  for (let i = 1; i <= clients; i++) {
    const ws = new lark.WSClient({
      appId: APP.appId,
      appSecret: APP.appSecret,
      domain: fake.url,
      logger: silentLogger,
      loggerLevel: lark.LoggerLevel.fatal,
    });
    cleanups.push(() => ws.close({ force: true }));
    const dispatcher = new lark.EventDispatcher({ logger: silentLogger, loggerLevel: lark.LoggerLevel.fatal }).register({
      'im.message.receive_v1': () => undefined,
      'card.action.trigger': () => ({ toast: { type: 'info', content: 'ok' } }),
    });
    void ws.start({ eventDispatcher: dispatcher });
    await fake.waitForConnections(APP.appId, i);
  }
  return fake;
}

/** Alternates a message and a card click, each acked before the next: the connection each went to. */
async function deliveries(fake: FakeLarkPlatform, n: number): Promise<Array<{ kind: 'event' | 'card'; to: string }>> {
  const seen: Array<{ kind: 'event' | 'card'; to: string }> = [];
  for (let i = 0; i < n; i++) {
    const push =
      i % 2 === 0
        ? fake.pushMessage(APP.appId, { text: `m${i}` }).push
        : fake.pushCardAction(APP.appId, { openMessageId: `om_${i}`, openChatId: 'oc_chat', value: { i } });
    const record = await fake.waitForAck(push.pushId);
    expect(record.attempts).toBe(1);
    seen.push({ kind: i % 2 === 0 ? 'event' : 'card', to: record.deliveredTo[0]! });
  }
  return seen;
}

describe('seeded delivery (FakeLarkPlatform.start({ seed }))', () => {
  it('the same seed gives the same choice of connection, push after push; another seed another sequence', async () => {
    const first = await deliveries(await cluster(3, 20), 40);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    const again = await deliveries(await cluster(3, 20), 40);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    const other = await deliveries(await cluster(3, 21), 40);
    expect(again).toEqual(first);
    expect(other.map((d) => d.to)).not.toEqual(first.map((d) => d.to));
  });

  it('events and card callbacks both spread over every connection', async () => {
    const fake = await cluster(3, 5);
    const seen = await deliveries(fake, 60);
    const ids = fake.connections(APP.appId).map((c) => c.id);
    expect(ids).toHaveLength(3);
    for (const id of ids) {
      for (const kind of ['event', 'card'] as const) {
        expect(seen.filter((d) => d.kind === kind && d.to === id).length, `${kind}s to ${id}`).toBeGreaterThan(0);
      }
    }
  });

  it('a push steered to one connection (PushOptions.connectionId) goes there, and draws nothing from the sequence', async () => {
    const plain = (await deliveries(await cluster(2, 9), 12)).map((d) => d.to);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    const fake = await cluster(2, 9);
    const before = await deliveries(fake, 6);
    const target = fake.connections(APP.appId).find((c) => c.id !== before.at(-1)!.to)!.id;
    const steered = fake.pushCardAction(APP.appId, { openMessageId: 'om_s', openChatId: 'oc_chat', value: {} }, { connectionId: target });
    expect(steered.deliveredTo).toEqual([target]);
    await fake.waitForAck(steered.pushId);
    const after = await deliveries(fake, 6);
    expect([...before, ...after].map((d) => d.to)).toEqual(plain);
  });

  it('seededRandom is uniform enough over [0, 1) and repeatable', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const xs = Array.from({ length: 3000 }, () => a());
    expect(Array.from({ length: 3000 }, () => b())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const thirds = [0, 1, 2].map((k) => xs.filter((x) => Math.floor(x * 3) === k).length);
    for (const n of thirds) expect(n).toBeGreaterThan(900);
    expect(() => seededRandom(1.5)).toThrow(/integer/);
  });
});
