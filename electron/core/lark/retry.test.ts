import { describe, expect, it } from 'vitest';
import { fromCode, LarkApiError, toLarkApiError } from './errors';
import { RATE_LIMIT_RETRIES, withLarkRetry } from './retry';

const policy = { attempts: 4, baseDelayMs: 10, maxDelayMs: 100 };
const axiosError = (status: number, body: object, headers: Record<string, string> = {}) =>
  Object.assign(new Error(`Request failed with status code ${status}`), { isAxiosError: true, response: { status, data: body, headers } });

function harness() {
  const sleeps: number[] = [];
  let tokenResets = 0;
  return {
    sleeps,
    get tokenResets() {
      return tokenResets;
    },
    hooks: { sleep: async (ms: number) => void sleeps.push(ms), onTokenRejected: () => void tokenResets++ },
  };
}

describe('withLarkRetry', () => {
  it('retries rate limits (99991400, 230020) and 5xx with growing backoff, then succeeds', async () => {
    const h = harness();
    const failures = [
      axiosError(429, { code: 99991400, msg: 'request trigger frequency limit' }),
      axiosError(400, { code: 230020, msg: 'frequency' }),
      axiosError(502, {}),
      axiosError(503, {}),
      axiosError(504, {}),
    ];
    const result = await withLarkRetry(
      async () => {
        const f = failures.shift();
        if (f) throw f;
        return 'ok';
      },
      policy,
      h.hooks,
    );
    expect(result).toBe('ok');
    expect(h.sleeps).toHaveLength(5);
    // Each kind backs off on its own count: the second rate limit waits longer than the first, the third 5xx than the first.
    expect(h.sleeps[1]!).toBeGreaterThan(h.sleeps[0]!);
    expect(h.sleeps[4]!).toBeGreaterThan(h.sleeps[2]!);
  });

  it('waits at least as long as x-ogw-ratelimit-reset says', async () => {
    const h = harness();
    let n = 0;
    await withLarkRetry(
      async () => {
        if (n++ === 0) throw axiosError(429, { code: 99991400, msg: 'limit' }, { 'x-ogw-ratelimit-reset': '2' });
        return 1;
      },
      policy,
      h.hooks,
    );
    expect(h.sleeps[0]!).toBeGreaterThanOrEqual(2000);
  });

  it('drops the token once on 99991663 and retries without counting an attempt', async () => {
    const h = harness();
    let n = 0;
    await withLarkRetry(
      async () => {
        if (n++ === 0) throw axiosError(400, { code: 99991663, msg: 'Invalid access token' });
        return 1;
      },
      policy,
      h.hooks,
    );
    expect(h.tokenResets).toBe(1);
    expect(h.sleeps).toHaveLength(0);
  });

  it('gives up at once on a permanent error, keeping its code and a hint', async () => {
    const h = harness();
    const err = await withLarkRetry(
      async () => {
        throw axiosError(400, { code: 230002, msg: 'Bot is not in the chat' });
      },
      policy,
      h.hooks,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LarkApiError);
    expect((err as LarkApiError).code).toBe(230002);
    expect((err as LarkApiError).hint).toMatch(/add the bot to the group/);
    expect(h.sleeps).toHaveLength(0);
  });

  /** Calls `withLarkRetry` with a function that always fails with `error`; how many times it was called. */
  async function callsUntilGivenUp(error: Error): Promise<number> {
    let calls = 0;
    await expect(
      withLarkRetry(
        async () => {
          calls++;
          throw error;
        },
        policy,
        harness().hooks,
      ),
    ).rejects.toBeInstanceOf(LarkApiError);
    return calls;
  }

  it('waits out rate limits without using up attempts, up to a cap', async () => {
    const limited = axiosError(429, { code: 99991400, msg: 'limit' }, { 'x-ogw-ratelimit-reset': '1' });
    expect(await callsUntilGivenUp(limited)).toBe(RATE_LIMIT_RETRIES + policy.attempts);
  });

  it('stops after the configured number of attempts', async () => {
    expect(await callsUntilGivenUp(axiosError(503, {}))).toBe(4);
  });
});

describe('toLarkApiError', () => {
  it('classifies wrong credentials, missing scopes and network failures', () => {
    expect(fromCode(10014, 'app secret invalid').kind).toBe('credentials');
    const scope = toLarkApiError(
      axiosError(400, { code: 99991672, msg: 'Access denied', error: { permission_violations: [{ subject: 'im:message' }] } }),
    );
    expect(scope.kind).toBe('permission');
    expect(scope.missingScopes).toEqual(['im:message']);
    const net = toLarkApiError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', isAxiosError: true }));
    expect(net.kind).toBe('transient');
    expect(net.message).toMatch(/connection refused/);
  });
});
