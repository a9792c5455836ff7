import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BotConfig } from '@shared/config-schema';
import { errorMessage } from '@core/log/error-message';
import type { Logger } from '@core/log/logger';
import type { BotStores } from '../bot-stores';
import { BotFileStore, filePolicy } from '../file-store';
import { type ReplicaInfo, StateUnavailable, type StateBackend } from '../state-backend';
import { openRedisBotStore } from './redis-bot-store';
import { openRedisConnections } from './redis-connection';
import { StateStoreUnreachableError } from './redis-errors';
import { redisClock } from './redis-clock';
import { redisLimiters } from './redis-rate-limiter';
import { readReplicas, ReplicaRegistry } from './redis-replicas';
import { redisWarnings } from './redis-server-check';

/**
 * The bots' state in a Redis (`--state`): opened once for the process, checked at start (warnings
 * with their fix), and shared by the bots, each under its app's keys. Several processes may run
 * one app on a state store (replicas, answering as one bot): each registers in the app's replica
 * registry (redis-replicas.ts) while it runs the app's bot, at most 50 per app (the platform's
 * limit of long connections).
 */
export async function openRedisState(
  url: string,
  logger: Logger,
  onWarnings: (warnings: string[]) => void = () => undefined,
): Promise<StateBackend> {
  // Unreachable at start is not the end: the connections go on trying, and the bots start once it answers.
  const redis = await openRedisConnections(url, logger, true);
  const me: ReplicaInfo = { id: randomUUID(), host: os.hostname(), pid: process.pid, since: new Date().toISOString() };
  const replicas = new AppReplicas(redis.client, me);
  const health = new Set<(problem: string | undefined) => void>();
  let lastProblem: string | undefined;
  redis.client.on('error', (err: unknown) => {
    lastProblem = errorMessage(err);
    health.forEach((l) => l(`${redis.label}: ${lastProblem}`));
  });
  let checked = false;
  const whenReady = async () => {
    health.forEach((l) => l(undefined));
    if (checked) return;
    checked = true;
    const warnings = await redisWarnings(redis.client).catch((err: unknown) => [
      `the state store could not be checked: ${errorMessage(err)}`,
    ]);
    for (const warning of warnings) logger.log('warn', 'state.warning', { store: redis.label, warning });
    onWarnings(warnings);
  };
  redis.client.on('ready', () => void whenReady());
  if (redis.client.status === 'ready') await whenReady();

  return {
    label: redis.label,
    async open(bot: BotConfig, dir: string, log: Logger, now: () => number): Promise<BotStores> {
      if (redis.client.status !== 'ready' || redis.subscriber.status !== 'ready') {
        throw new StateUnavailable(`the state store at ${redis.label} cannot be reached${lastProblem ? ` (${lastProblem})` : ''}`, true);
      }
      await replicas.join(bot.appId, log);
      try {
        const store = await openRedisBotStore(redis, { appId: bot.appId, logger: log, now, replicaId: me.id });
        // The files people send stay here: an agent opens them by path on this computer.
        const files = new BotFileStore(path.join(dir, 'files'), filePolicy(bot), log, now);
        await files.prune().catch((err: unknown) => log.log('warn', 'attachment.prune_failed', { error: errorMessage(err) }));
        return {
          ...storeParts(store),
          files,
          close: async () => {
            await store.close();
            await replicas.leave(bot.appId);
          },
        };
      } catch (err) {
        await replicas.leave(bot.appId);
        throw err;
      }
    },
    onHealth(listener) {
      health.add(listener);
      return () => health.delete(listener);
    },
    close: () => redis.close(),
    // One rate limiter per app for every replica, counted on Redis's clock; card sequence numbers on it too.
    limiterFor: redisLimiters(redis.client, logger),
    sharedClock: redisClock(redis.client),
    replica: me,
    replicasOf: async (appId) => (await readReplicas(redis.client, appId, logger)).alive,
  };
}

/** The interface's members of a store (its own `close` and `target` stay out: the backend closes it). */
function storeParts(store: Awaited<ReturnType<typeof openRedisBotStore>>): Omit<BotStores, 'files'> {
  const { close: _close, target: _target, ...parts } = store;
  return parts;
}

/** This process's registration in each app it runs (one per app, however many bots of it are open here). */
class AppReplicas {
  private readonly joined = new Map<string, { ready: Promise<ReplicaRegistry>; users: number }>();

  constructor(
    private readonly client: Redis,
    private readonly me: ReplicaInfo,
  ) {}

  /** Registers this process as one of the app's replicas; throws StateUnavailable when the app has the most already. */
  async join(appId: string, logger: Logger): Promise<void> {
    let known = this.joined.get(appId);
    if (!known) {
      const registry = new ReplicaRegistry({ client: this.client, appId, me: this.me, logger });
      const registered = registry.register().catch((err: unknown) => {
        // Redis went away between the check and the registration: the bot waits for it, as for an unreachable store.
        throw err instanceof StateStoreUnreachableError ? new StateUnavailable(err.message, true) : err;
      });
      const joining = { ready: registered.then(() => registry), users: 0 };
      this.joined.set(appId, joining);
      joining.ready.catch(() => this.joined.get(appId) === joining && this.joined.delete(appId));
      known = joining;
    }
    known.users++;
    try {
      await known.ready;
    } catch (err) {
      known.users--;
      throw err;
    }
  }

  /** The app's last bot here closed: its entry goes. */
  async leave(appId: string): Promise<void> {
    const known = this.joined.get(appId);
    if (!known || --known.users > 0) return;
    this.joined.delete(appId);
    await (await known.ready).close();
  }
}
