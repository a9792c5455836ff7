import type { Redis } from 'ioredis';

export interface ChannelListener {
  onMessage(payload: string): void;
  /** The subscriber connection is back after an outage: what was published meanwhile was missed. */
  onReconnect(): void;
}

/**
 * One subscriber connection may serve every bot of the process: one listener on the connection
 * routes each message to the stores listening on its channel (rather than a listener per store
 * on the connection, which Node warns about past ten).
 */
const routes = new WeakMap<Redis, Map<string, Set<ChannelListener>>>();

function routesOf(subscriber: Redis): Map<string, Set<ChannelListener>> {
  const known = routes.get(subscriber);
  if (known) return known;
  const table = new Map<string, Set<ChannelListener>>();
  subscriber.on('message', (channel: string, payload: string) => {
    for (const listener of [...(table.get(channel) ?? [])]) listener.onMessage(payload);
  });
  let connectedBefore = subscriber.status === 'ready';
  subscriber.on('ready', () => {
    if (connectedBefore) for (const set of table.values()) for (const listener of [...set]) listener.onReconnect();
    connectedBefore = true;
  });
  routes.set(subscriber, table);
  return table;
}

/** Listens on `channel`; resolves once Redis has confirmed the subscription. Returns the way to stop listening. */
export async function subscribe(subscriber: Redis, channel: string, listener: ChannelListener): Promise<() => Promise<void>> {
  const table = routesOf(subscriber);
  let set = table.get(channel);
  if (!set) table.set(channel, (set = new Set()));
  set.add(listener);
  const leave = async (): Promise<void> => {
    if (!set.delete(listener) || set.size > 0) return;
    table.delete(channel);
    await subscriber.unsubscribe(channel);
  };
  try {
    // Confirmed again for a second listener too: it may have joined while the first subscribe was on its way.
    await subscriber.subscribe(channel);
  } catch (err) {
    await leave().catch(() => undefined);
    throw err;
  }
  return leave;
}
