import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APP_CSP, APP_CSP_META, DEV_CSP_META } from './csp';

const parse = (policy: string): Map<string, string[]> =>
  new Map(
    policy.split(';').map((directive) => {
      const [name = '', ...values] = directive.trim().split(/\s+/);
      return [name, values];
    }),
  );

describe('renderer CSP', () => {
  it('the app:// header is strict', () => {
    const header = parse(APP_CSP);
    expect(header.get('default-src')).toEqual(["'none'"]);
    expect(header.get('script-src')).toEqual(["'self'"]);
    expect(header.get('object-src')).toEqual(["'none'"]);
    expect(header.get('frame-ancestors')).toEqual(["'none'"]);
    expect(APP_CSP).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('the meta policy is the header minus what a meta tag cannot carry', () => {
    const header = parse(APP_CSP);
    header.delete('frame-ancestors');
    expect(parse(APP_CSP_META)).toEqual(header);
  });

  it('renderer/index.html carries exactly APP_CSP_META', () => {
    const html = readFileSync(new URL('../renderer/index.html', import.meta.url), 'utf8');
    const match = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(html);
    expect(match?.[1]).toBe(APP_CSP_META);
  });

  it('only the dev policy allows inline code and the HMR socket', () => {
    expect(DEV_CSP_META).toMatch(/script-src 'self' 'unsafe-inline'/);
    expect(DEV_CSP_META).toMatch(/ws:\/\/localhost:\*/);
    expect(APP_CSP_META).not.toMatch(/unsafe-inline|ws:/);
  });
});
