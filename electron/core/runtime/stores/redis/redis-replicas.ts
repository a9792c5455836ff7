import type { Redis } from 'ioredis';
import { z } from 'zod';
import { errorMessage } from '@core/log/error-message';
import type { Logger } from '@core/log/logger';
import { type ReplicaInfo, StateUnavailable } from '../state-backend';
import { describeTarget, guard } from './redis-errors';
import { keyPrefix } from './redis-keys';
import { runScript, type StoreScript } from './redis-scripts';

/** How often a replica says it is alive. */
export const REPLICA_HEARTBEAT_MS = 2_000;
/** A replica not seen for longer than this (Redis's clock) is gone: others may close what it left. */
export const REPLICA_ALIVE_MS = 10_000;
/** A gone replica's entry is removed after this long, leaving time to close its leftovers (`gone`). */
export const REPLICA_PRUNE_MS = 60 * 60_000;
/** The platform's limit of long connections per app, each replica holding one (lark/README.md §2.11: the 51st is refused, 1000040350). */
export const MAX_REPLICAS_PER_APP = 50;

/** The format of one entry: the fields below, and `version` (1). */
const REPLICA_FORMAT_VERSION = 1;

/**
 * One entry as read back. A newer Kocoro's entry (a higher `version`) still names a live process
 * holding a connection, so the fields known here are read and the rest is left alone.
 */
const entrySchema = z.object({
  id: z.string().min(1),
  host: z.string(),
  pid: z.number().int().nonnegative(),
  since: z.string(),
  seenAt: z.number(),
});

/** Redis's clock in ms, in Lua (`TIME` is seconds and microseconds). */
const REDIS_NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** The `seenAt` of a raw entry, nil when it cannot be read as `entrySchema` reads it (such an entry is never counted). */
const SEEN_AT = String.raw`
local function seen_at(field, raw)
  local ok, d = pcall(cjson.decode, raw)
  if not ok or type(d) ~= 'table' or d.id ~= field or type(d.host) ~= 'string' or type(d.pid) ~= 'number'
    or type(d.since) ~= 'string' or type(d.seenAt) ~= 'number' then return nil end
  return d.seenAt
end
`;

/**
 * KEYS: the replicas hash. ARGV: id, host, pid, since, alive ms, prune ms, the most live replicas.
 * Writes this replica's entry with Redis's time as `seenAt`, unless it is new and the app already
 * has the most live ones (then {0, live}). Removes entries gone for longer than the prune time.
 * Returns {1, live ones with this, 1 when this one's entry was there but gone (it was paused) else 0}.
 */
const HEARTBEAT: StoreScript = {
  name: 'kocoroReplicaHeartbeat',
  keys: 1,
  lua: String.raw`${SEEN_AT}${REDIS_NOW}
local alive_ms, prune_ms, most = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local live, mine, was_gone = 0, false, 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local seen = seen_at(all[i], all[i + 1])
  if all[i] == ARGV[1] then
    mine = true
    if seen and now - seen > alive_ms then was_gone = 1 end
  elseif seen then
    if now - seen > prune_ms then redis.call('HDEL', KEYS[1], all[i])
    elseif now - seen <= alive_ms then live = live + 1 end
  end
end
if not mine and live >= most then return {0, live, 0} end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({version = ${REPLICA_FORMAT_VERSION}, id = ARGV[1], host = ARGV[2], pid = tonumber(ARGV[3]), since = ARGV[4], seenAt = now}))
return {1, live + 1, was_gone}`,
};

/** KEYS: the replicas hash. Returns Redis's time (ms), then the hash's fields and values. */
const READ: StoreScript = {
  name: 'kocoroReplicaRead',
  keys: 1,
  lua: `${REDIS_NOW}
local out = redis.call('HGETALL', KEYS[1])
table.insert(out, 1, now)
return out`,
};

/** KEYS: the replicas hash. ARGV: id, alive ms. Removes the entry only while it is still gone (1), else 0. */
const FORGET: StoreScript = {
  name: 'kocoroReplicaForget',
  keys: 1,
  lua: String.raw`${SEEN_AT}${REDIS_NOW}
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local seen = seen_at(ARGV[1], raw)
if seen and now - seen <= tonumber(ARGV[2]) then return 0 end
return redis.call('HDEL', KEYS[1], ARGV[1])`,
};

/** The hash of an app's replicas: field replica id → its entry (JSON). */
export function replicasKey(appId: string): string {
  return `${keyPrefix(appId)}replicas`;
}

/** An app's replicas as read at Redis's `now`: alive (seen within the alive time) and gone (not yet pruned), oldest first. */
export interface ReplicaSnapshot {
  now: number;
  alive: ReplicaInfo[];
  gone: ReplicaInfo[];
}

/** Fields already logged as unreadable, per connection (said once, not at every read). */
const reported = new WeakMap<Redis, Set<string>>();

/** Reads an app's replicas (registered or not here: `--check` reads those of other processes). */
export async function readReplicas(client: Redis, appId: string, logger?: Logger, aliveMs = REPLICA_ALIVE_MS): Promise<ReplicaSnapshot> {
  const key = replicasKey(appId);
  const reply = await guard(describeTarget(client), runScript(client, READ, [key], []));
  const [now, ...flat] = reply as [number, ...string[]];
  const alive: ReplicaInfo[] = [];
  const gone: ReplicaInfo[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = flat[i]!;
    const entry = parseEntry(flat[i + 1]!);
    if (!entry.ok || entry.info.id !== field) {
      let seen = reported.get(client);
      if (!seen) reported.set(client, (seen = new Set()));
      if (!seen.has(`${key} ${field}`)) {
        seen.add(`${key} ${field}`);
        logger?.log('warn', 'state.replica_unreadable', { key, field, error: entry.ok ? 'its id is not its field' : entry.problem });
      }
      continue;
    }
    (now - entry.info.seenAt! <= aliveMs ? alive : gone).push(entry.info);
  }
  const bySince = (a: ReplicaInfo, b: ReplicaInfo) => a.since.localeCompare(b.since) || a.id.localeCompare(b.id);
  return { now, alive: alive.sort(bySince), gone: gone.sort(bySince) };
}

function parseEntry(raw: string): { ok: true; info: ReplicaInfo } | { ok: false; problem: string } {
  try {
    const parsed = entrySchema.safeParse(JSON.parse(raw));
    if (parsed.success) return { ok: true, info: parsed.data };
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `${issue?.path.join('.') || 'entry'}: ${issue?.message ?? 'invalid'}` };
  } catch (err) {
    return { ok: false, problem: errorMessage(err) };
  }
}

export interface ReplicaRegistryOptions {
  /** The command connection (fail-fast, redis-connection.ts), shared with the stores. */
  client: Redis;
  appId: string;
  /** This process: its id, host, pid and start time (`seenAt` is Redis's, written by each heartbeat). */
  me: Omit<ReplicaInfo, 'seenAt'>;
  logger: Logger;
  /** Defaults: REPLICA_HEARTBEAT_MS, REPLICA_ALIVE_MS, REPLICA_PRUNE_MS, MAX_REPLICAS_PER_APP (tests shorten them). */
  heartbeatMs?: number;
  aliveMs?: number;
  pruneMs?: number;
  maxReplicas?: number;
}

/**
 * The replicas of one app on a shared state store: every process running the app's bot registers,
 * says it is alive every 2 s, and is alive while Redis saw it within 10 s (Redis's clock, never a
 * replica's). A clean close removes its entry; a crashed one's stays, "gone", for an hour, so the
 * others can close what it left, and is then pruned by the next heartbeat. At most 50 live
 * replicas per app: the platform refuses a 51st long connection. `alive`, `gone`, `isAlive` and
 * `forget` need no registration: any process may read an app's replicas.
 */
export class ReplicaRegistry {
  private readonly key: string;
  private readonly heartbeatMs: number;
  private readonly aliveMs: number;
  private readonly pruneMs: number;
  private readonly maxReplicas: number;
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private refusedSaid = false;
  private registered = false;

  constructor(private readonly opts: ReplicaRegistryOptions) {
    this.key = replicasKey(opts.appId);
    this.heartbeatMs = opts.heartbeatMs ?? REPLICA_HEARTBEAT_MS;
    this.aliveMs = opts.aliveMs ?? REPLICA_ALIVE_MS;
    this.pruneMs = opts.pruneMs ?? REPLICA_PRUNE_MS;
    this.maxReplicas = opts.maxReplicas ?? MAX_REPLICAS_PER_APP;
  }

  get me(): Omit<ReplicaInfo, 'seenAt'> {
    return this.opts.me;
  }

  /**
   * Joins the app's replicas and keeps saying so every heartbeat until `close`. Throws
   * StateUnavailable (which passes: the bot tries again) when the app already has the most live
   * replicas; StateStoreUnreachableError when Redis cannot be reached.
   */
  async register(): Promise<void> {
    const [written, live] = await this.beat();
    if (written !== 1) {
      throw new StateUnavailable(
        `app ${this.opts.appId} already has ${live} live replicas on this state store, and the platform allows at most ${this.maxReplicas} long connections per app (lark/README.md §2.11): stop one first`,
        true,
      );
    }
    this.registered = true;
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    this.timer.unref();
  }

  /**
   * Leaves: no more heartbeats, and the entry removed (a close while Redis is away leaves it to
   * expire). Nothing for a registry only read from (never registered).
   */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.beating;
    if (!this.registered) return;
    this.registered = false;
    await this.opts.client.hdel(this.key, this.opts.me.id).catch(() => undefined);
  }

  /** The live replicas, this one included while registered, oldest first. */
  async alive(): Promise<ReplicaInfo[]> {
    return (await this.read()).alive;
  }

  /** Replicas in the registry but not seen within the alive time, not pruned yet: their leftovers are for the others to close. */
  async gone(): Promise<ReplicaInfo[]> {
    return (await this.read()).gone;
  }

  async isAlive(id: string): Promise<boolean> {
    return (await this.alive()).some((r) => r.id === id);
  }

  /** Removes a gone replica's entry once its leftovers are closed; false when it is alive again (or already removed). */
  async forget(id: string): Promise<boolean> {
    return (await guard(describeTarget(this.opts.client), runScript(this.opts.client, FORGET, [this.key], [id, this.aliveMs]))) === 1;
  }

  private read(): Promise<ReplicaSnapshot> {
    return readReplicas(this.opts.client, this.opts.appId, this.opts.logger, this.aliveMs);
  }

  private async beat(): Promise<[number, number, number]> {
    const { id, host, pid, since } = this.opts.me;
    const args = [id, host, pid, since, this.aliveMs, this.pruneMs, this.maxReplicas];
    return (await guard(describeTarget(this.opts.client), runScript(this.opts.client, HEARTBEAT, [this.key], args))) as [
      number,
      number,
      number,
    ];
  }

  private heartbeat(): Promise<void> {
    if (this.beating) return this.beating;
    this.beating = this.beat()
      .then(([written, live, wasGone]) => {
        const { logger, appId } = this.opts;
        if (wasGone === 1) {
          logger.log('warn', 'state.replica_resumed', {
            appId,
            hint: 'this process was not seen for a while (paused?); the others took it for gone',
          });
        }
        if (written === 1) {
          this.refusedSaid = false;
        } else if (!this.refusedSaid) {
          // Pruned while away (paused for over an hour), and the app is full meanwhile.
          this.refusedSaid = true;
          logger.log('error', 'state.replica_refused', {
            appId,
            live,
            hint: `the app has ${live} live replicas, the most the platform allows`,
          });
        }
      })
      // Redis away: the next heartbeat tries again; others see this one gone after the alive time.
      .catch(() => undefined)
      .finally(() => (this.beating = undefined));
    return this.beating;
  }
}
