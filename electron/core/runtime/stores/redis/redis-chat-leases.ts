import { performance } from 'node:perf_hooks';
import { errorMessage } from '@core/log/error-message';
import { ChatLeaseLost, type ChatLease, type ChatLeases } from '../bot-store';
import { INBOX_ENTRY_FORMAT, type InboxEntry, inboxOrder } from '../inbox';
import type { ConversationBudget } from '../conversation-store';
import type { Fence, RedisStoreContext } from './redis-context';
import { RedisConversations } from './redis-conversations';
import { guard } from './redis-errors';
import { RedisInbox } from './redis-inbox';
import { runScript, type StoreScript } from './redis-scripts';

/**
 * How long a chat stays a process's without a renewal. A survivor takes a dead process's chats
 * over within LEASE_MS + the scan's interval (runtime/answer/shared-chats.ts): under the 10 s.
 */
export const LEASE_MS = 5_000;
/** Renewed three times per lease: one renewal lost to a slow moment does not lose the chat. */
export const RENEW_MS = 1_500;
/**
 * The lease counts as this process's until this long before it would run out in Redis, measured
 * from when the last successful renewal was sent, on this process's monotonic clock (it runs on
 * while the process is paused): a process that wakes from a pause past its lease has stopped
 * writing before anyone else could start, whatever the clocks of the two computers say.
 */
const SAFETY_MS = 1_000;

/** The oldest entry waiting in a line, {id, raw}; a place whose entry is gone is dropped on the way. */
const LINE_HEAD = String.raw`
local function line_head(line, inbox)
  for _ = 1, 100 do
    local first = redis.call('ZRANGE', line, 0, 0)[1]
    if not first then return false end
    local raw = redis.call('HGET', inbox, first)
    if raw then return {first, raw} end
    redis.call('ZREM', line, first)
  end
  return false
end
`;

/**
 * KEYS: lease, fence counter, the chat's line, chats, inbox. ARGV: replica id, lease ms, chatId.
 * The chat, if nobody holds it and something waits in it: {token, id, raw} with the oldest entry
 * waiting, so a turn's first entry comes with its lease (one round trip, not two).
 */
const CLAIM: StoreScript = {
  name: 'kocoroLeaseClaim',
  keys: 5,
  lua: String.raw`${LINE_HEAD}
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local head = line_head(KEYS[3], KEYS[5])
if not head then
  redis.call('SREM', KEYS[4], ARGV[3])
  return false
end
local token = ARGV[1] .. '/' .. redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
return {token, head[1], head[2]}`,
};

/** KEYS: lease. ARGV: token, lease ms. 1 while it is still ours (extended), 0 once another's or gone. */
const RENEW: StoreScript = {
  name: 'kocoroLeaseRenew',
  keys: 1,
  lua: String.raw`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`,
};

/** KEYS: lease, the chat's line. ARGV: token. 1: let go; 0: something waits (kept); -1: not ours any more. */
const RELEASE_IF_IDLE: StoreScript = {
  name: 'kocoroLeaseReleaseIfIdle',
  keys: 2,
  lua: String.raw`if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
redis.call('DEL', KEYS[1])
return 1`,
};

/** KEYS: lease. ARGV: token. */
const RELEASE: StoreScript = {
  name: 'kocoroLeaseRelease',
  keys: 1,
  lua: String.raw`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
};

/** KEYS: the chat's line, inbox. The oldest waiting entry {id, raw}. */
const NEXT: StoreScript = {
  name: 'kocoroLineNext',
  keys: 2,
  lua: String.raw`${LINE_HEAD}
return line_head(KEYS[1], KEYS[2])`,
};

/** KEYS: inbox, the chat's line, chats. ARGV: messageId, its place, chatId. A place in the line for an entry still there that has none. */
const LINE_UP: StoreScript = {
  name: 'kocoroLineUp',
  keys: 3,
  lua: String.raw`if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[3])
return 1`,
};

/** KEYS: the chat's line, lease. The oldest waiting entry's raw value while the chat is leased (being answered). */
const RUNNING: StoreScript = {
  name: 'kocoroLineRunning',
  keys: 3,
  lua: String.raw`if redis.call('EXISTS', KEYS[2]) == 0 then return false end
local first = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
if not first then return false end
return redis.call('HGET', KEYS[3], first)`,
};

/** The chat leases of one app (bot-store.ts `ChatLeases`). */
export class RedisChatLeases implements ChatLeases {
  constructor(
    private readonly ctx: RedisStoreContext,
    /** Names this process in its tokens (the replica registry's id). */
    private readonly replicaId: string,
    private readonly budget?: ConversationBudget,
  ) {}

  async claim(chatId: string): Promise<ChatLease | undefined> {
    const { client, keys, target } = this.ctx;
    const sentAt = performance.now();
    const claimed = await guard(
      target,
      runScript(
        client,
        CLAIM,
        [keys.lease(chatId), keys.fence, keys.pending(chatId), keys.chats, keys.inbox],
        [this.replicaId, LEASE_MS, chatId],
      ),
    );
    if (!Array.isArray(claimed)) return undefined;
    const [token, messageId, raw] = claimed as [string, string, string];
    return new RedisChatLease(this.ctx, chatId, keys.lease(chatId), token, sentAt, [messageId, raw], this.budget);
  }

  async orphans(): Promise<string[]> {
    const { client, keys, target } = this.ctx;
    const chats = await guard(target, client.smembers(keys.chats));
    if (chats.length === 0) return [];
    const pipeline = client.pipeline();
    for (const chatId of chats) pipeline.exists(keys.lease(chatId));
    const held = (await guard(target, pipeline.exec())) ?? [];
    return chats.filter((_, i) => held[i]?.[1] === 0);
  }

  async entry(messageId: string): Promise<InboxEntry | undefined> {
    const { client, keys, target } = this.ctx;
    return this.read(await guard(target, client.hget(keys.inbox, messageId)));
  }

  async running(chatId: string): Promise<InboxEntry | undefined> {
    const { client, keys, target } = this.ctx;
    const raw = await guard(target, runScript(client, RUNNING, [keys.pending(chatId), keys.lease(chatId), keys.inbox], []));
    return this.read(typeof raw === 'string' ? raw : null);
  }

  async line(entries: readonly InboxEntry[]): Promise<void> {
    const { client, keys, target } = this.ctx;
    // Only the place: the entry itself may have changed since it was listed (its cards, written by the process answering it).
    for (const entry of entries) {
      if (entry.held) continue;
      const args = [entry.messageId, inboxOrder(entry), entry.chatId];
      await guard(target, runScript(client, LINE_UP, [keys.inbox, keys.pending(entry.chatId), keys.chats], args));
    }
  }

  private read(raw: string | null): InboxEntry | undefined {
    if (raw === null) return undefined;
    try {
      const read = INBOX_ENTRY_FORMAT.read(JSON.parse(raw));
      return read.ok ? read.data : undefined;
    } catch {
      return undefined;
    }
  }
}

class RedisChatLease implements ChatLease {
  readonly inbox: RedisInbox;
  readonly conversations: RedisConversations;
  private validUntil: number;
  private lost = false;
  private released = false;
  private readonly listeners: Array<() => void> = [];
  private readonly timer: NodeJS.Timeout;

  private readonly fence: Fence;

  constructor(
    private readonly ctx: RedisStoreContext,
    chatId: string,
    key: string,
    token: string,
    claimSentAt: number,
    /** The oldest entry waiting when the lease was claimed: the first `next`, without asking again. */
    private head: [messageId: string, raw: string] | undefined,
    budget?: ConversationBudget,
  ) {
    this.fence = { chatId, key, token, valid: () => this.valid() };
    this.validUntil = claimSentAt + LEASE_MS - SAFETY_MS;
    this.inbox = new RedisInbox(ctx, this.fence);
    this.conversations = new RedisConversations(ctx, budget, this.fence);
    this.timer = setInterval(() => this.renew(), RENEW_MS);
    this.timer.unref();
  }

  get chatId(): string {
    return this.fence.chatId;
  }

  valid(): boolean {
    if (this.lost || this.released) return false;
    if (performance.now() < this.validUntil) return true;
    this.lose('not renewed in time');
    return false;
  }

  async next(): Promise<InboxEntry | undefined> {
    const { client, keys, target, logger } = this.ctx;
    this.check();
    const found = this.head ?? (await guard(target, runScript(client, NEXT, [keys.pending(this.chatId), keys.inbox], [])));
    this.head = undefined;
    if (!Array.isArray(found)) return undefined;
    const [messageId, raw] = found as [string, string];
    let read: ReturnType<typeof INBOX_ENTRY_FORMAT.read>;
    try {
      read = INBOX_ENTRY_FORMAT.read(JSON.parse(raw));
    } catch (err) {
      read = { ok: false, reason: 'invalid', problem: errorMessage(err) };
    }
    if (read.ok) return read.data;
    // Unreadable: set aside as the inbox's list does (never dropped silently), and the line goes on.
    logger.log('error', 'inbox.corrupt_entry', { messageId, chatId: this.chatId, error: read.problem });
    await new RedisInbox(this.ctx).list();
    await this.inbox.remove({ messageId, chatId: this.chatId }).catch(() => undefined);
    return this.next();
  }

  async releaseIfIdle(): Promise<boolean> {
    const { client, keys, target } = this.ctx;
    this.check();
    const done = await guard(target, runScript(client, RELEASE_IF_IDLE, [this.fence.key, keys.pending(this.chatId)], [this.fence.token]));
    if (done === -1) {
      this.lose('taken over');
      throw new ChatLeaseLost(this.chatId);
    }
    if (done === 1) this.end();
    return done === 1;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.end();
    const { client, target } = this.ctx;
    await guard(target, runScript(client, RELEASE, [this.fence.key], [this.fence.token])).catch(() => undefined);
  }

  onLost(listener: () => void): () => void {
    if (this.lost) {
      listener();
      return () => undefined;
    }
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private check(): void {
    if (!this.valid()) throw new ChatLeaseLost(this.chatId);
  }

  private renew(): void {
    if (!this.valid()) return;
    const { client, target } = this.ctx;
    const sentAt = performance.now();
    guard(target, runScript(client, RENEW, [this.fence.key], [this.fence.token, LEASE_MS])).then(
      (kept) => {
        if (kept === 1) this.validUntil = Math.max(this.validUntil, sentAt + LEASE_MS - SAFETY_MS);
        else this.lose('taken over');
      },
      // Redis away: the lease runs out by itself unless a later renewal gets through in time.
      () => undefined,
    );
  }

  private end(): void {
    this.released = true;
    clearInterval(this.timer);
  }

  private lose(why: string): void {
    if (this.lost || this.released) return;
    this.lost = true;
    clearInterval(this.timer);
    this.ctx.logger.log('warn', 'chat.lease_lost', { chatId: this.chatId, why });
    for (const listener of this.listeners.splice(0)) listener();
  }
}
