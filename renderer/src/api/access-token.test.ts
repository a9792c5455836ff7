import { describe, expect, it } from 'vitest';
import { takeSignInCode, tradeSignInCode } from './access-token';

const CODE = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

function addressBar(hash: string) {
  const replaced: string[] = [];
  const location = { hash, pathname: '/', search: '' } as Location;
  const history = { replaceState: (_data: unknown, _unused: string, url: string) => replaced.push(url) } as unknown as History;
  return { location, history, replaced };
}

function answering(status: number, body: unknown): { fetch: typeof fetch; bodies: string[] } {
  const bodies: string[] = [];
  const fake = (async (_url: string, init: RequestInit) => {
    bodies.push(String(init.body));
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  }) as unknown as typeof fetch;
  return { fetch: fake, bodies };
}

describe('takeSignInCode', () => {
  it('takes the code of a sign-in link and leaves the address bar without it', () => {
    const bar = addressBar(`#code=${CODE}`);
    expect(takeSignInCode(bar.location, bar.history)).toBe(CODE);
    expect(bar.replaced).toEqual(['/']);
  });

  it('leaves other fragments (the app’s routes) alone, and removes a malformed code all the same', () => {
    const route = addressBar('#/settings');
    expect(takeSignInCode(route.location, route.history)).toBeUndefined();
    expect(route.replaced).toEqual([]);
    const bad = addressBar('#code=<script>');
    expect(takeSignInCode(bad.location, bad.history)).toBe('');
    expect(bad.replaced).toEqual(['/']);
  });
});

describe('tradeSignInCode', () => {
  it('posts the code as JSON and returns the token', async () => {
    const server = answering(200, { ok: true, result: { token: 'session-token-0123456789abcdefghijklmnopq' } });
    expect(await tradeSignInCode(CODE, server.fetch)).toEqual({ token: 'session-token-0123456789abcdefghijklmnopq' });
    expect(server.bodies).toEqual([JSON.stringify({ code: CODE })]);
  });

  it('tells a used or wrong link, too many wrong ones and an unreachable Kocoro apart', async () => {
    expect(await tradeSignInCode(CODE, answering(401, { ok: false }).fetch)).toEqual({ problem: 'refused' });
    expect(await tradeSignInCode(CODE, answering(429, { ok: false }).fetch)).toEqual({ problem: 'too_many' });
    expect(await tradeSignInCode(CODE, answering(502, {}).fetch)).toEqual({ problem: 'unreachable' });
    const down = (() => Promise.reject(new TypeError('fetch failed'))) as unknown as typeof fetch;
    expect(await tradeSignInCode(CODE, down)).toEqual({ problem: 'unreachable' });
    // A malformed code is refused without asking.
    const server = answering(200, {});
    expect(await tradeSignInCode('', server.fetch)).toEqual({ problem: 'refused' });
    expect(server.bodies).toEqual([]);
  });
});
