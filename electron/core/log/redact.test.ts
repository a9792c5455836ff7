import { describe, expect, it } from 'vitest';
import { sdkLogger } from '../lark/sdk-logger';
import { createJsonLineLogger } from './logger';
import { redactCredentials, SecretRedactor } from './redact';

describe('secret redaction', () => {
  it('hides a secret in the JSON-escaped and URL-encoded forms it takes in log lines and requests', () => {
    const redactor = new SecretRedactor();
    const secret = 'pa"ss\\word/with spaces+ü';
    redactor.add(secret);
    const line = JSON.stringify({ error: `bad secret ${secret}`, nested: JSON.stringify({ s: secret }) });
    expect(redactor.redact(line)).not.toContain('pa\\"ss');
    expect(redactor.redact(line)).not.toContain('word/with');
    expect(() => JSON.parse(redactor.redact(line))).not.toThrow();
    expect(redactor.redact(`https://x.test/?k=${encodeURIComponent(secret)}`)).toBe('https://x.test/?k=***');
  });

  it('hides short secrets too (4 characters and more) and a longer secret that contains a shorter one whole', () => {
    const redactor = new SecretRedactor();
    redactor.add('k3y9');
    redactor.add('abc');
    redactor.add('k3y9-and-more');
    expect(redactor.redact('k3y9-and-more k3y9 abc')).toBe('*** *** abc');
  });

  it('hides tenant and user access tokens in replies and logs, and leaves ordinary hyphenated words alone', () => {
    const redactor = new SecretRedactor();
    const text = 'new t-shirt-collection, a u-turn, t-g1044ghJRUIJJ5ELPZ5D4Q7E6VLN3VMJX6TKXXKH and u-3Pe2h0oHR3rXZpdMXEBLvP1k1ah1g5Or';
    expect(redactor.redact(text)).toBe('new t-shirt-collection, a u-turn, t-*** and u-***');
    expect(redactor.redact(`t-${'0a'.repeat(20)}`)).toBe('t-***');
  });

  it('redacts the SDK log line before shortening it, so no prefix of a secret survives the cut', () => {
    const lines: string[] = [];
    const redactor = new SecretRedactor();
    const secret = 'app-secret-0123456789abcdef';
    redactor.add(secret);
    const logger = createJsonLineLogger((l) => lines.push(l), redactor);
    // The secret straddles the 500-character cut.
    sdkLogger(logger).error(`${'x'.repeat(490)}${secret} tail`);
    expect(lines.join('')).not.toContain(secret.slice(0, 10));
    expect(lines.join('')).toContain('***');
  });

  it('hides credentials an agent puts in a tool call it never got from this app: named values and known key shapes', () => {
    expect(redactCredentials('{"command":"curl -H \'Authorization: Bearer abc.def\' x","password":"hunter2"}')).toBe(
      '{"command":"curl -H \'Authorization: ***\' x","password":"***"}',
    );
    expect(redactCredentials('deploy --api-key=K12345 --token x1y2 --name web')).toBe('deploy --api-key=*** --token x1y2 --name web');
    expect(redactCredentials('export OPENAI_API_KEY=sk-proj-abcdefghijklmnop1234')).toBe('export OPENAI_API_KEY=***');
    expect(redactCredentials('git push https://ghp_abcdefghijklmnopqrstuvwxyz0123@github.com/x')).toBe('git push https://***@github.com/x');
    expect(redactCredentials('rm -rf /tmp/build && ls')).toBe('rm -rf /tmp/build && ls');
  });
});
