import { newTenantToken } from './ids.js';

const LIFETIME_S = 7200;
/** lark/README.md §5.1: with less than 30 min left a fresh token is issued; otherwise the current one is returned. */
const REISSUE_BELOW_S = 30 * 60;

interface Issued {
  appId: string;
  issuedAt: number;
  valid: boolean;
}

export type TokenCheck = { ok: true; appId: string } | { ok: false; code: 99991661 | 99991663 | 99991671 };

export class TokenStore {
  private readonly tokens = new Map<string, Issued>();
  private readonly current = new Map<string, string>();

  issue(appId: string, now = Date.now()): { token: string; expire: number } {
    const existing = this.current.get(appId);
    const record = existing ? this.tokens.get(existing) : undefined;
    if (existing && record) {
      const left = LIFETIME_S - Math.floor((now - record.issuedAt) / 1000);
      if (this.isLive(record, now) && left >= REISSUE_BELOW_S) return { token: existing, expire: left };
    }
    const token = newTenantToken();
    this.tokens.set(token, { appId, issuedAt: now, valid: true });
    this.current.set(appId, token);
    return { token, expire: LIFETIME_S };
  }

  /** Validates an `Authorization` header value (lark/README.md §5.0, §7). */
  check(authorization: string | undefined, now = Date.now()): TokenCheck {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const token = match?.[1];
    if (!token) return { ok: false, code: 99991661 };
    if (!token.startsWith('t-') && !token.startsWith('u-')) return { ok: false, code: 99991671 };
    const record = this.tokens.get(token);
    if (!record || !this.isLive(record, now)) return { ok: false, code: 99991663 };
    return { ok: true, appId: record.appId };
  }

  expireAll(): void {
    for (const record of this.tokens.values()) record.valid = false;
    this.current.clear();
  }

  private isLive(record: Issued, now: number): boolean {
    return record.valid && now - record.issuedAt < LIFETIME_S * 1000;
  }
}
