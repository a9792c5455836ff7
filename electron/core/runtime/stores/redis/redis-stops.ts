import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { errorMessage } from '@core/log/error-message';
import { versionedFormat } from '@core/store/versioned';
import type { StopSignals } from '../bot-store';
import type { RedisStoreContext } from './redis-context';
import { guard } from './redis-errors';
import { runScript, STOP_REQUEST } from './redis-scripts';
import { subscribe } from './redis-subscriptions';

/** A stop request as published and kept: `request` tells one request from another, so none is acted on twice. */
const stopRequestSchema = z.object({ messageId: z.string(), request: z.string() });
export const STOP_FORMAT = versionedFormat({ schema: stopRequestSchema, migrations: [] });
type StopRequest = z.infer<typeof stopRequestSchema>;

/** How long a request is kept for a run that starts watching after it was made (a run just starting elsewhere). */
export const DEFAULT_STOP_WINDOW_MS = 30_000;

interface Watcher {
  onStop: () => void;
  seen: Set<string>;
}

/**
 * Stop requests across processes: a request is published on the app's channel (`…stops`) and kept
 * under `…stop:<messageId>` for a while, so a run that starts watching just after it still stops.
 * Runs in this process hear it at once, before Redis does. Subscriptions go over the separate
 * subscriber connection (a subscribed ioredis connection takes no other commands).
 */
export class RedisStopSignals implements StopSignals {
  private readonly watchers = new Map<string, Set<Watcher>>();
  private unsubscribe: () => Promise<void> = async () => undefined;

  private constructor(
    private readonly ctx: RedisStoreContext,
    private readonly windowMs: number,
  ) {}

  static async open(ctx: RedisStoreContext, subscriber: Redis, windowMs = DEFAULT_STOP_WINDOW_MS): Promise<RedisStopSignals> {
    const signals = new RedisStopSignals(ctx, windowMs);
    signals.unsubscribe = await guard(
      ctx.target,
      subscribe(subscriber, ctx.keys.stopChannel, {
        onMessage: (payload) => signals.deliver(payload),
        // Requests published while the subscriber was away are still kept under their keys.
        onReconnect: () => {
          for (const messageId of signals.watchers.keys()) signals.check(messageId);
        },
      }),
    );
    return signals;
  }

  async request(messageId: string): Promise<void> {
    const request: StopRequest = { messageId, request: randomUUID() };
    const payload = JSON.stringify(STOP_FORMAT.write(request));
    this.deliver(payload);
    const { client, keys, target } = this.ctx;
    await guard(target, runScript(client, STOP_REQUEST, [keys.stop(messageId)], [keys.stopChannel, payload, this.windowMs]));
  }

  watch(messageId: string, onStop: () => void): () => void {
    let set = this.watchers.get(messageId);
    if (!set) this.watchers.set(messageId, (set = new Set()));
    const watcher: Watcher = { onStop, seen: new Set() };
    set.add(watcher);
    this.check(messageId);
    return () => {
      set.delete(watcher);
      if (set.size === 0 && this.watchers.get(messageId) === set) this.watchers.delete(messageId);
    };
  }

  /** Stops listening (the subscriber connection stays the caller's). */
  async close(): Promise<void> {
    this.watchers.clear();
    await this.unsubscribe().catch(() => undefined);
  }

  /** A request kept from before: made just before the watch began, or while the subscriber was reconnecting. */
  private check(messageId: string): void {
    const { client, keys, target, logger } = this.ctx;
    guard(target, client.get(keys.stop(messageId))).then(
      (payload) => {
        if (payload !== null) this.deliver(payload);
      },
      (err: unknown) => logger.log('warn', 'stop.check_failed', { messageId, error: errorMessage(err) }),
    );
  }

  private deliver(payload: string): void {
    let read: ReturnType<typeof STOP_FORMAT.read>;
    try {
      read = STOP_FORMAT.read(JSON.parse(payload));
    } catch (err) {
      read = { ok: false, reason: 'invalid', problem: errorMessage(err) };
    }
    if (!read.ok) {
      this.ctx.logger.log('warn', 'stop.unreadable_request', { error: read.problem });
      return;
    }
    const { messageId, request } = read.data;
    for (const watcher of [...(this.watchers.get(messageId) ?? [])]) {
      if (watcher.seen.has(request)) continue;
      watcher.seen.add(request);
      watcher.onStop();
    }
  }
}
