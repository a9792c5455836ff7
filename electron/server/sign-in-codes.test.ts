import { describe, expect, it } from 'vitest';
import { CODE_TTL_MS, SignInCodes } from './sign-in-codes';

function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('SignInCodes', () => {
  it('issues 256-bit base64url codes that work once each', () => {
    const codes = new SignInCodes();
    const a = codes.issue().code;
    const b = codes.issue().code;
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(codes.redeem(b)).toBe('ok');
    expect(codes.redeem(b)).toBe('refused');
    expect(codes.redeem(a)).toBe('ok');
    expect(codes.redeem(a)).toBe('refused');
  });

  it('lets a code expire after 10 minutes unused', () => {
    const c = clock();
    const codes = new SignInCodes({ now: c.now });
    const { code, expiresAt } = codes.issue();
    expect(expiresAt).toBe(c.now() + CODE_TTL_MS);
    expect(CODE_TTL_MS).toBe(10 * 60_000);
    c.advance(CODE_TTL_MS);
    expect(codes.redeem(code)).toBe('refused');
  });

  it('keeps at most 16 codes: a new one pushes the oldest out', () => {
    const codes = new SignInCodes();
    const first = codes.issue().code;
    const rest = Array.from({ length: 16 }, () => codes.issue().code);
    expect(codes.redeem(first)).toBe('refused');
    for (const code of rest) expect(codes.redeem(code)).toBe('ok');
  });

  it('refuses every trade for a minute after 20 failures in a minute, then works again', () => {
    const c = clock();
    const codes = new SignInCodes({ now: c.now });
    const { code } = codes.issue();
    for (let i = 0; i < 20; i++) expect(codes.redeem(`wrong-${i}`)).toBe('refused');
    expect(codes.redeem(code)).toBe('too_many');
    c.advance(60_000);
    expect(codes.redeem(code)).toBe('ok');
  });
});
