import { json } from './http-util.js';
import type { HttpReply } from './http-util.js';

/**
 * The platform's published frequency limits (electron/core/lark/README.md §8), enforced per app:
 * each API at most `perApiPerSecond` and `perApiPerMinute`, sending and replying also
 * `perChatPerSecond` per receiving user or group. Counted in sliding windows of arrival times;
 * a refused call does not count (the platform does not say whether it does: this is the kinder
 * reading, so a client that waits out the answer is never refused again for having asked).
 */
export interface RateLimitOptions {
  perApiPerSecond: number;
  perApiPerMinute: number;
  perChatPerSecond: number;
}

export const PUBLISHED_RATE_LIMITS: RateLimitOptions = { perApiPerSecond: 50, perApiPerMinute: 1000, perChatPerSecond: 5 };

/** APIs published with a lower per-second limit than the common one (lark/README.md §5.15: `event/v1/connection` 10/s). */
const LOWER_PER_SECOND: Record<string, number> = { 'event.connection': 10 };

export interface RateLimitHit {
  appId: string;
  api: string;
  /** 99991400 (the API's limit, HTTP 429) or 230020 (the chat's, HTTP 400). */
  code: number;
  at: number;
}

export class RateLimits {
  private readonly arrivals = new Map<string, number[]>();
  readonly hits: RateLimitHit[] = [];

  constructor(private readonly opts: RateLimitOptions | undefined) {}

  /** Admits the call (and counts it) or answers as the platform does when a limit is reached. */
  admit(appId: string, api: string, chatKey: string | undefined, now = Date.now()): HttpReply | undefined {
    const o = this.opts;
    if (!o) return undefined;
    const apiKey = `${appId} ${api}`;
    const perSecond = Math.min(o.perApiPerSecond, LOWER_PER_SECOND[api] ?? Infinity);
    const second = this.count(apiKey, now, 1_000);
    const minute = this.count(apiKey, now, 60_000);
    if (second.n >= perSecond || minute.n >= o.perApiPerMinute) {
      const limit = second.n >= perSecond ? perSecond : o.perApiPerMinute;
      const freeAt = second.n >= perSecond ? second.freeAt : minute.freeAt;
      this.hits.push({ appId, api, code: 99991400, at: now });
      return json(
        429,
        { code: 99991400, msg: 'request trigger frequency limit' },
        { 'x-ogw-ratelimit-limit': String(limit), 'x-ogw-ratelimit-reset': String(Math.max(1, Math.ceil((freeAt - now) / 1000))) },
      );
    }
    const chat = chatKey ? `${appId} chat ${chatKey}` : undefined;
    if (chat && this.count(chat, now, 1_000).n >= o.perChatPerSecond) {
      this.hits.push({ appId, api, code: 230020, at: now });
      return json(400, { code: 230020, msg: 'This operation triggers the frequency limit.' });
    }
    this.add(apiKey, now);
    if (chat) this.add(chat, now);
    return undefined;
  }

  private count(key: string, now: number, windowMs: number): { n: number; freeAt: number } {
    const times = this.arrivals.get(key) ?? [];
    let first = times.length;
    while (first > 0 && times[first - 1]! > now - windowMs) first--;
    return { n: times.length - first, freeAt: (times[first] ?? now) + windowMs };
  }

  private add(key: string, now: number): void {
    let times = this.arrivals.get(key);
    if (!times) this.arrivals.set(key, (times = []));
    times.push(now);
    const keepAfter = now - 60_000;
    let drop = 0;
    while (drop < times.length && times[drop]! <= keepAfter) drop++;
    if (drop > 0) times.splice(0, drop);
  }
}
