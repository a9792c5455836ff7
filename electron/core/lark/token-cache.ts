import type { Cache } from '@larksuiteoapi/node-sdk';

type CacheKey = Parameters<Cache['get']>[0];

/**
 * The SDK keeps the tenant token until `expire − 180 s` and never drops it on 99991663
 * (lark/README.md §5.0). Handing it a cache we can clear lets us force a fresh token.
 */
export class ClearableTokenCache implements Cache {
  private readonly values = new Map<string, { value: unknown; expiresAt?: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  private key(key: CacheKey, namespace?: string): string {
    return `${namespace ?? ''}/${String(key)}`;
  }

  async get(key: CacheKey, options?: { namespace?: string }): Promise<unknown> {
    const k = this.key(key, options?.namespace);
    const entry = this.values.get(k);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= this.now()) {
      this.values.delete(k);
      return undefined;
    }
    return entry.value;
  }

  async set(key: CacheKey, value: unknown, expire?: number, options?: { namespace?: string }): Promise<boolean> {
    this.values.set(this.key(key, options?.namespace), { value, expiresAt: expire });
    return true;
  }

  clear(): void {
    this.values.clear();
  }
}
