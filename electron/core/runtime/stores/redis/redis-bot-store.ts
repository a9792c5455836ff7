import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '@core/log/logger';
import type { BotStore } from '../bot-store';
import type { ConversationBudget } from '../conversation-store';
import { RedisApprovals, registryLiveness } from './redis-approvals';
import type { RedisStoreContext } from './redis-context';
import { RedisBotTurns } from './redis-bot-turns';
import { RedisChatLeases } from './redis-chat-leases';
import { RedisConversations } from './redis-conversations';
import { RedisSeenMessages } from './redis-dedupe';
import { describeTarget } from './redis-errors';
import { RedisInbox } from './redis-inbox';
import { appKeys, keyPrefix } from './redis-keys';
import { RedisBotRecord } from './redis-state';
import { RedisStopSignals } from './redis-stops';

export interface RedisBotStoreOptions {
  /** The bot's app id (`cli_…`): every key of the bot is under `kocoro:{<appId>}:` (redis-keys.ts). */
  appId: string;
  logger: Logger;
  now?: () => number;
  /** Defaults as the file store's: DEFAULT_DEDUPE_TTL_MS, DEFAULT_BUDGET; stop requests kept 30 s. */
  dedupeTtlMs?: number;
  budget?: ConversationBudget;
  stopWindowMs?: number;
  /** This process among the app's replicas (redis-replicas.ts); absent: a store opened outside a state backend (tests). */
  replicaId?: string;
}

/** The two connections the caller owns (redis-connection.ts opens them from a URL) and may share between bots. */
export interface RedisStoreConnections {
  /** Commands: no offline queue and a command timeout, so an outage fails a call at once instead of queueing it. */
  client: Redis;
  /** Subscriptions only (stop requests). */
  subscriber: Redis;
}

/** One bot's state in Redis (bot-store.ts's guarantees), shared by every process that runs the bot. */
export interface RedisBotStore extends BotStore {
  /** Where it is, for messages: host, port and database, or the socket (never a password). */
  readonly target: string;
  /** Writes the record, stops listening for stop requests; the connections stay open (they are the caller's). */
  close(): Promise<void>;
}

/**
 * Opens one bot's store: reads its record (setting aside one this app cannot read) and subscribes
 * to its stop requests. Fails, with the state store named, when Redis cannot be reached.
 */
export async function openRedisBotStore(connections: RedisStoreConnections, opts: RedisBotStoreOptions): Promise<RedisBotStore> {
  const { client, subscriber } = connections;
  requireFailFast(client);
  const target = describeTarget(client);
  const keys = appKeys(keyPrefix(opts.appId));
  const ctx: RedisStoreContext = { client, keys, target, logger: opts.logger, now: opts.now ?? Date.now };
  const state = await RedisBotRecord.open(ctx);
  const stops = await RedisStopSignals.open(ctx, subscriber, opts.stopWindowMs);
  const dedupe = new RedisSeenMessages(ctx, opts.dedupeTtlMs);
  const inbox = new RedisInbox(ctx);
  return {
    target,
    dedupe,
    inbox,
    accept: (entry) => inbox.accept(entry, dedupe.record(entry.messageId)),
    conversations: new RedisConversations(ctx, opts.budget),
    leases: new RedisChatLeases(ctx, opts.replicaId ?? randomUUID(), opts.budget),
    botTurns: new RedisBotTurns(ctx),
    approvals: new RedisApprovals(ctx, subscriber, opts.replicaId ?? randomUUID(), registryLiveness(client, opts.appId, opts.logger)),
    state,
    stops,
    async close() {
      await state.flush();
      state.close();
      await stops.close();
    },
  };
}

/**
 * The intake waits on this store before the platform's 3 s ack: a connection that queues commands
 * while Redis is away would hold the ack past it (and then write late), so it is refused here.
 */
function requireFailFast(client: Redis): void {
  const { enableOfflineQueue, commandTimeout } = client.options;
  if (enableOfflineQueue !== false || !commandTimeout) {
    throw new Error(
      'the Redis command connection for the state store needs enableOfflineQueue: false and a commandTimeout (see redis-connection.ts)',
    );
  }
}
