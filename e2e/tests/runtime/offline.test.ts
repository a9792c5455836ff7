import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { APP, postText, RuntimeHarness } from '../../support/runtime-harness';

let h: RuntimeHarness;
let proxy: net.Server | undefined;
afterEach(async () => {
  await h?.dispose();
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
  proxy = undefined;
});

/** A loopback port nothing listens on (yet): the network as seen from a laptop that is offline. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The network comes back: `port` forwards to the fake platform. */
async function networkBack(port: number, target: URL): Promise<void> {
  proxy = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy!.listen(port, '127.0.0.1', resolve));
}

describe('offline at start', () => {
  it('says it is waiting for the network, and connects within seconds once the platform can be reached', async () => {
    h = await RuntimeHarness.create();
    const port = await freePort();
    await h.start(h.config([h.bot({ agentId: 'echo', domain: `http://127.0.0.1:${port}` })]));
    // start() did not wait for the network: the status says what the bot is waiting for.
    expect(h.manager.statuses()[0]).toMatchObject({
      state: 'connecting',
      reason: expect.stringMatching(/^waiting for the network: the Open Platform could not be reached \(connection refused\)/),
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect(h.lark.connections(APP.appId)).toHaveLength(0);

    await networkBack(port, new URL(h.lark.url));
    // Well within the SDK's own reconnect interval (30 s to 2 min).
    await h.lark.waitForConnections(APP.appId, 1, 6_000);
    await expect.poll(() => h.manager.statuses()[0]?.state).toBe('connected');
    expect(h.manager.statuses()[0]!.reason).toBeUndefined();
    const { messageId } = h.lark.pushMessage(APP.appId, { chatType: 'p2p', text: 'back online' });
    expect(postText((await h.lark.waitForMessages({ replyTo: messageId }))[0]!.content)).toBe('back online');
  });
});
