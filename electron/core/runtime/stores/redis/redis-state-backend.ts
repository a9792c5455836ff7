import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BotConfig } from '@shared/config-schema';
import { errorMessage } from '@core/log/error-message';
import type { Logger } from '@core/log/logger';
import type { BotStores } from '../bot-stores';
import { BotFileStore, filePolicy } from '../file-store';
import { StateUnavailable, type StateBackend } from '../state-backend';
import { openRedisBotStore } from './redis-bot-store';
import { openRedisConnections } from './redis-connection';
import { keyPrefix } from './redis-keys';
import { redisWarnings } from './redis-server-check';

/** How long an app stays this process's without a renewal; renewed at a third of it. */
const HOLD_MS = 15_000;

/**
 * The bots' state in a Redis (`--state`): opened once for the process, checked at start (warnings
 * with their fix), and shared by the bots, each under its app's keys. For now one process runs an
 * app on a state store: each app is held by the process that runs it (a key renewed every 5 s),
 * and a second one started on the same app and store says who has it and does not start the bot
 * (two would answer a random half of the messages each).
 */
export async function openRedisState(
  url: string,
  logger: Logger,
  onWarnings: (warnings: string[]) => void = () => undefined,
): Promise<StateBackend> {
  // Unreachable at start is not the end: the connections go on trying, and the bots start once it answers.
  const redis = await openRedisConnections(url, logger, true);
  const me = { id: randomUUID(), host: os.hostname(), pid: process.pid, since: new Date().toISOString() };
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
      const hold = await holdApp(redis.client, bot.appId, me, log);
      try {
        const store = await openRedisBotStore(redis, { appId: bot.appId, logger: log, now });
        // The files people send stay here: an agent opens them by path on this computer.
        const files = new BotFileStore(path.join(dir, 'files'), filePolicy(bot), log, now);
        await files.prune().catch((err: unknown) => log.log('warn', 'attachment.prune_failed', { error: errorMessage(err) }));
        return {
          ...storeParts(store),
          files,
          close: async () => {
            await store.close();
            await hold.release();
          },
        };
      } catch (err) {
        await hold.release();
        throw err;
      }
    },
    onHealth(listener) {
      health.add(listener);
      return () => health.delete(listener);
    },
    close: () => redis.close(),
  };
}

/** The interface's members of a store (its own `close` and `target` stay out: the backend closes it). */
function storeParts(store: Awaited<ReturnType<typeof openRedisBotStore>>): Omit<BotStores, 'files'> {
  const { dedupe, inbox, conversations, state, stops } = store;
  return { dedupe, inbox, conversations, state, stops };
}

interface Holder {
  id: string;
  host: string;
  pid: number;
  since: string;
}

/** Renews the hold only while it is still ours (compare, then extend), or gives it up. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
/** Replaces the hold of a process found gone, only if it is still that one's. */
const TAKE_OVER = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 else return 0 end`;

/** Takes the app for this process, waiting out a dead one's hold; refuses, naming who has it, while another process renews it. */
async function holdApp(client: Redis, appId: string, me: Holder, log: Logger): Promise<{ release(): Promise<void> }> {
  const key = `${keyPrefix(appId)}holder`;
  const value = JSON.stringify(me);
  const taken = async (): Promise<boolean> => {
    if ((await client.set(key, value, 'PX', HOLD_MS, 'NX')) === 'OK') return true;
    const other = await client.get(key);
    if (other === value) return true;
    // A process of this computer that is gone (a crash, `kill -9`) holds nothing: taken over at once.
    // Another computer's that died lets go by itself within HOLD_MS; the bot tries again meanwhile.
    if (deadOnThisHost(other) && (await client.eval(TAKE_OVER, 1, key, other ?? '', value, String(HOLD_MS))) === 1) return true;
    throw new StateUnavailable(
      `another Kocoro runs app ${appId} on this state store (${describeHolder(other)}): stop it first; one process per app for now`,
      true,
    );
  };
  await taken();
  let lost = false;
  const timer = setInterval(() => {
    client.eval(RENEW, 1, key, value, String(HOLD_MS)).then(
      (kept) => {
        if (kept === 1 || lost) return;
        lost = true;
        log.log('error', 'state.hold_lost', { appId, hint: 'another process took this app on the state store' });
      },
      // Redis away: the hold may run out meanwhile; the next renewal says whether it did.
      () => undefined,
    );
  }, HOLD_MS / 3);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await client.eval(RELEASE, 1, key, value).catch(() => undefined);
    },
  };
}

function deadOnThisHost(raw: string | null): boolean {
  try {
    const h = JSON.parse(raw ?? '') as Partial<Holder>;
    if (h.host !== os.hostname() || typeof h.pid !== 'number') return false;
    process.kill(h.pid, 0);
    return false;
  } catch (err) {
    // ESRCH: no such process. EPERM: it exists (another user's); anything unreadable is not ours to take.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function describeHolder(raw: string | null): string {
  try {
    const h = JSON.parse(raw ?? '') as Partial<Holder>;
    return `pid ${h.pid ?? '?'} on ${h.host ?? '?'}, since ${h.since ?? '?'}`;
  } catch {
    return 'unknown process';
  }
}
