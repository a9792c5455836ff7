import { DEDUPE_FORMAT, DEFAULT_DEDUPE_TTL_MS } from '../dedupe';
import type { SeenMessages } from '../bot-store';
import type { RedisStoreContext } from './redis-context';
import { guard } from './redis-errors';

/** One seen message's key, its record and how long Redis keeps it. */
export interface SeenRecord {
  key: string;
  value: string;
  ttlMs: number;
}

/**
 * Message ids accepted, one key each (`…seen:<id>`) holding the versioned `{id, at}` of the file
 * store's log. Redis expires the key after the retention, so nothing needs compacting; `SET … PX`
 * is one command, atomic by itself, so no script is needed.
 */
export class RedisSeenMessages implements SeenMessages {
  constructor(
    private readonly ctx: RedisStoreContext,
    private readonly ttlMs: number = DEFAULT_DEDUPE_TTL_MS,
  ) {}

  async has(id: string): Promise<boolean> {
    const raw = await guard(this.ctx.target, this.ctx.client.get(this.ctx.keys.seen(id)));
    if (raw === null) return false;
    let read: ReturnType<typeof DEDUPE_FORMAT.read>;
    try {
      read = DEDUPE_FORMAT.read(JSON.parse(raw));
    } catch {
      return true;
    }
    // A record this app cannot read (damaged, or a newer app's) still says the id was accepted:
    // answering twice is the worse mistake. The age check keeps the retention on the app's clock,
    // as the file store does; Redis's own expiry only reclaims the memory.
    return !read.ok || read.data.at > this.ctx.now() - this.ttlMs;
  }

  /** Durable once Redis has it (on its disk too with `appendfsync always`). */
  async add(id: string): Promise<void> {
    const { key, value, ttlMs } = this.record(id);
    await guard(this.ctx.target, this.ctx.client.set(key, value, 'PX', ttlMs));
  }

  /** What `add` writes, for a script that writes it along with other keys (RedisInbox.accept). */
  record(id: string): SeenRecord {
    return { key: this.ctx.keys.seen(id), value: JSON.stringify(DEDUPE_FORMAT.write({ id, at: this.ctx.now() })), ttlMs: this.ttlMs };
  }
}
