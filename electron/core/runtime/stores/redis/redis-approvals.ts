import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { pendingApprovalSchema } from '@shared/contract';
import { errorMessage } from '@core/log/error-message';
import { approvalCardViewSchema } from '@core/lark/outbound/approval-card';
import { type VersionedFormat, type VersionedRead, versionedFormat } from '@core/store/versioned';
import type { Logger } from '@core/log/logger';
import type {
  DecideResult,
  RemoteDecision,
  SharedApprovalHandlers,
  SharedApprovals,
  SharedChange,
  SharedRequest,
} from '../../approvals/shared-approvals';
import type { RedisStoreContext } from './redis-context';
import { guard } from './redis-errors';
import { readReplicas } from './redis-replicas';
import { runScript, type StoreScript } from './redis-scripts';
import { subscribe } from './redis-subscriptions';

/** How long a closed request is remembered (a late click on a card that could not be closed says "already decided"). */
const KEEP_CLOSED_MS = 24 * 60 * 60_000;
/** An open request left by replicas that all went away for good expires after this (the agent's backend denied it long before). */
const KEEP_OPEN_MS = 7 * 24 * 60 * 60_000;

const keptCardSchema = z.object({ requestId: z.string(), cardId: z.string(), createdAt: z.number(), view: approvalCardViewSchema });
const RECORD_FORMAT = versionedFormat({
  schema: z.object({ messageId: z.string(), chatId: z.string(), view: pendingApprovalSchema, shownWhole: z.boolean() }),
  migrations: [],
});
const CARDS_FORMAT = versionedFormat({ schema: z.object({ cards: z.array(keptCardSchema) }), migrations: [] });

const byShape = z.union([z.literal('app'), z.object({ openId: z.string() })]);
/** What replicas send each other on a replica's channel: a decision for its request, or the answer to one it sent. */
const MESSAGE_FORMAT = versionedFormat({
  schema: z.union([
    z.object({
      kind: z.literal('decide'),
      call: z.string(),
      from: z.string(),
      requestId: z.string(),
      decision: z.enum(['allow', 'deny', 'always_allow']),
      by: byShape,
    }),
    z.object({ kind: z.literal('result'), call: z.string(), result: z.string() }),
  ]),
  migrations: [],
});
const CHANGE_FORMAT = versionedFormat({
  schema: z.union([z.object({ opened: z.string() }), z.object({ closed: z.string() })]),
  migrations: [],
});
const RESULTS = new Set<string>(['decided', 'gone', 'done', 'failed', 'notInvolved', 'askerMayOnlyDeny', 'approversOnly', 'inAppOnly']);

/** KEYS: the request, the index. ARGV: requestId, owner, messageId, record, cards, keep ms, changes channel, change. */
const OPEN: StoreScript = {
  name: 'kocoroApprovalOpen',
  keys: 2,
  lua: String.raw`redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'state', 'open', 'messageId', ARGV[3], 'record', ARGV[4], 'cards', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[7], ARGV[8])
return 1`,
};

/** Whether the request in KEYS[1] is not closed and is ARGV[1]'s. */
const OWNED_BY = String.raw`
local function owned_by(key, owner)
  local state = redis.call('HGET', key, 'state')
  return (state == 'open' or state == 'closing') and redis.call('HGET', key, 'owner') == owner
end
`;

/** KEYS: the request. ARGV: owner, cards. */
const KEEP_CARDS: StoreScript = {
  name: 'kocoroApprovalCards',
  keys: 1,
  lua: String.raw`${OWNED_BY}
if not owned_by(KEYS[1], ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'cards', ARGV[2])
return 1`,
};

/** KEYS: the request, the index. ARGV: requestId, owner, how, keep ms, changes channel, change. What is left is a small tombstone. */
const CLOSE: StoreScript = {
  name: 'kocoroApprovalClose',
  keys: 2,
  lua: String.raw`${OWNED_BY}
if not owned_by(KEYS[1], ARGV[2]) then return 0 end
redis.call('HDEL', KEYS[1], 'record', 'cards')
redis.call('HSET', KEYS[1], 'state', 'closed', 'how', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1`,
};

/** KEYS: the request. ARGV: the gone owner, this replica, changes channel, change. Returns the request's fields, or nil when it is not the gone one's. */
const CLAIM: StoreScript = {
  name: 'kocoroApprovalClaim',
  keys: 1,
  lua: String.raw`${OWNED_BY}
if not owned_by(KEYS[1], ARGV[1]) then return false end
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'state', 'closing')
redis.call('PUBLISH', ARGV[3], ARGV[4])
return redis.call('HGETALL', KEYS[1])`,
};

/** Whether a replica is running: the replica registry's heartbeats (redis-replicas.ts). */
export interface ReplicaLiveness {
  isAlive(replicaId: string): Promise<boolean>;
}

/**
 * The app's tool approvals in Redis, shared by its replicas (approvals/shared-approvals.ts). Keys:
 * `…approval:<requestId>` a HASH (`owner`, `state` open | closing | closed, `how`, `messageId`,
 * `record` and `cards` as versioned JSON; a closed one keeps only the small fields, for a day),
 * `…approvals` the SET of requests not closed. Channels: `…approvals:to:<replicaId>` (decisions
 * for that replica's requests, and answers to the decisions it sent), `…approvals:changes`
 * (requests opened and closed, for every replica's list). Each change of a request and its
 * announcement are one script.
 */
export class RedisApprovals implements SharedApprovals {
  private readonly calls = new Map<string, (result: DecideResult | 'unheard') => void>();
  private listening = 0;

  constructor(
    private readonly ctx: RedisStoreContext,
    private readonly subscriber: Redis,
    readonly replicaId: string,
    /** Who is still running: `registryLiveness` (the app's replica registry), or a test's. */
    private readonly replicas: ReplicaLiveness,
  ) {}

  async listen(on: SharedApprovalHandlers): Promise<() => Promise<void>> {
    const { target } = this.ctx;
    const leaveOwn = await guard(
      target,
      subscribe(this.subscriber, this.channelOf(this.replicaId), { onMessage: (p) => this.onMessage(p, on), onReconnect: () => undefined }),
    );
    const leaveChanges = await guard(
      target,
      subscribe(this.subscriber, this.changes, {
        onMessage: (p) => void this.onChange(p, on),
        onReconnect: () => on.changed('reload'),
      }),
    ).catch(async (err: unknown) => {
      await leaveOwn();
      throw err;
    });
    this.listening++;
    return async () => {
      this.listening--;
      await Promise.allSettled([leaveOwn(), leaveChanges()]);
    };
  }

  open(request: Omit<SharedRequest, 'owner' | 'state'>): Promise<void> {
    const { requestId, messageId, chatId, view, shownWhole, cards } = request;
    const record = JSON.stringify(RECORD_FORMAT.write({ messageId, chatId, view, shownWhole }));
    const change = JSON.stringify(CHANGE_FORMAT.write({ opened: requestId }));
    const args = [requestId, this.replicaId, messageId, record, this.cardsJson(cards), KEEP_OPEN_MS, this.changes, change];
    return this.run(OPEN, [this.key(requestId), this.index], args).then(() => undefined);
  }

  keepCards(requestId: string, cards: SharedRequest['cards']): Promise<void> {
    return this.run(KEEP_CARDS, [this.key(requestId)], [this.replicaId, this.cardsJson(cards)]).then(() => undefined);
  }

  close(requestId: string, how: 'decided' | 'ended'): Promise<void> {
    const change = JSON.stringify(CHANGE_FORMAT.write({ closed: requestId }));
    const args = [requestId, this.replicaId, how, KEEP_CLOSED_MS, this.changes, change];
    return this.run(CLOSE, [this.key(requestId), this.index], args).then(() => undefined);
  }

  async get(requestId: string): Promise<SharedRequest | 'decided' | 'ended' | undefined> {
    const fields = await guard(this.ctx.target, this.ctx.client.hgetall(this.key(requestId)));
    if (fields.state === 'closed') return fields.how === 'decided' ? 'decided' : 'ended';
    return this.read(requestId, fields);
  }

  async list(): Promise<SharedRequest[]> {
    const { client, target } = this.ctx;
    const ids = await guard(target, client.smembers(this.index));
    const all = await Promise.all(ids.map((id) => guard(target, client.hgetall(this.key(id)))));
    const out: SharedRequest[] = [];
    for (const [i, fields] of all.entries()) {
      const id = ids[i]!;
      // Expired (its replicas went away for good): no longer listed.
      if (Object.keys(fields).length === 0) await guard(target, client.srem(this.index, id));
      const request = fields.state === 'closed' ? undefined : this.read(id, fields);
      if (request) out.push(request);
    }
    return out.sort((a, b) => a.view.since - b.view.since);
  }

  send(owner: string, { requestId, decision, by }: RemoteDecision, timeoutMs: number): Promise<DecideResult | 'unheard' | 'timeout'> {
    // The answer comes on this replica's channel: without it, nothing could be heard back.
    if (this.listening === 0) return Promise.resolve('unheard');
    const call = randomUUID();
    const message = JSON.stringify(MESSAGE_FORMAT.write({ kind: 'decide', call, from: this.replicaId, requestId, decision, by }));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle('timeout'), timeoutMs);
      const settle = (result: DecideResult | 'unheard' | 'timeout'): void => {
        clearTimeout(timer);
        this.calls.delete(call);
        resolve(result);
      };
      this.calls.set(call, settle);
      guard(this.ctx.target, this.ctx.client.publish(this.channelOf(owner), message)).then(
        (heard) => {
          if (heard === 0) settle('unheard');
        },
        (err: unknown) => {
          clearTimeout(timer);
          this.calls.delete(call);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  async claim(requestId: string, from: string): Promise<SharedRequest | undefined> {
    const change = JSON.stringify(CHANGE_FORMAT.write({ closed: requestId }));
    const flat = (await this.run(CLAIM, [this.key(requestId)], [from, this.replicaId, this.changes, change])) as string[] | null;
    if (!flat) return undefined;
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return this.read(requestId, fields);
  }

  isAlive(replicaId: string): Promise<boolean> {
    return replicaId === this.replicaId ? Promise.resolve(true) : this.replicas.isAlive(replicaId);
  }

  private get index(): string {
    return `${this.ctx.keys.prefix}approvals`;
  }

  private get changes(): string {
    return `${this.ctx.keys.prefix}approvals:changes`;
  }

  private key(requestId: string): string {
    return `${this.ctx.keys.prefix}approval:${requestId}`;
  }

  private channelOf(replicaId: string): string {
    return `${this.ctx.keys.prefix}approvals:to:${replicaId}`;
  }

  private cardsJson(cards: SharedRequest['cards']): string {
    return JSON.stringify(CARDS_FORMAT.write({ cards }));
  }

  /** Sent at once (runScript), so one replica's writes of a request take effect in the order made. */
  private run(script: StoreScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    return guard(this.ctx.target, runScript(this.ctx.client, script, keys, args));
  }

  /** A request from its fields; undefined (logged) when it cannot be read: written by a newer app, or damaged. */
  private read(requestId: string, fields: Record<string, string>): SharedRequest | undefined {
    const { owner, state, record, cards } = fields;
    if (!owner || (state !== 'open' && state !== 'closing') || record === undefined) return undefined;
    const rec = readJson(RECORD_FORMAT, record);
    const kept = readJson(CARDS_FORMAT, cards ?? '{"cards":[]}');
    if (!rec.ok || !kept.ok) {
      const problem = !rec.ok ? rec.problem : !kept.ok ? kept.problem : '';
      this.ctx.logger.log('warn', 'approval.shared_unreadable', { key: this.key(requestId), error: problem });
      return undefined;
    }
    return { requestId, owner, state, ...rec.data, cards: kept.data.cards };
  }

  private onMessage(payload: string, on: SharedApprovalHandlers): void {
    const read = readJson(MESSAGE_FORMAT, payload);
    if (!read.ok) {
      this.ctx.logger.log('warn', 'approval.shared_unreadable', { channel: this.channelOf(this.replicaId), error: read.problem });
      return;
    }
    const message = read.data;
    if (message.kind === 'result') {
      const result = RESULTS.has(message.result) ? (message.result as DecideResult) : 'failed';
      this.calls.get(message.call)?.(result);
      return;
    }
    const { call, from, requestId, decision, by } = message;
    void on
      .decide({ requestId, decision, by })
      .catch((): DecideResult => 'failed')
      .then((result) => {
        const answer = JSON.stringify(MESSAGE_FORMAT.write({ kind: 'result', call, result }));
        return guard(this.ctx.target, this.ctx.client.publish(this.channelOf(from), answer));
      })
      .catch((err: unknown) => this.ctx.logger.log('warn', 'approval.route_failed', { requestId, to: from, error: errorMessage(err) }));
  }

  private async onChange(payload: string, on: SharedApprovalHandlers): Promise<void> {
    const read = readJson(CHANGE_FORMAT, payload);
    if (!read.ok) return;
    if ('closed' in read.data) return on.changed({ closed: read.data.closed });
    const requestId = read.data.opened;
    const found = await this.get(requestId).catch(() => undefined);
    // Gone already, or unreadable: a reload shows what is there.
    const change: SharedChange = found && typeof found === 'object' ? { opened: found } : 'reload';
    on.changed(change);
  }
}

function readJson<T extends object>(format: VersionedFormat<T>, raw: string): VersionedRead<T> {
  try {
    return format.read(JSON.parse(raw));
  } catch (err) {
    return { ok: false, reason: 'invalid', problem: errorMessage(err) };
  }
}

/** Alive: in the app's replica registry (redis-replicas.ts), seen within its alive time. */
export function registryLiveness(client: Redis, appId: string, logger: Logger): ReplicaLiveness {
  return {
    async isAlive(replicaId) {
      return (await readReplicas(client, appId, logger)).alive.some((r) => r.id === replicaId);
    },
  };
}
