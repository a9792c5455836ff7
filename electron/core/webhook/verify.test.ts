import { AESCipher } from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { encryptBody, signedRequest } from './test-client';
import { decryptBody, MAX_AGE_SEC, signatureOf, verifyRequest } from './verify';

const SECRETS = { encryptKey: 'test key', verificationToken: 'vtok-0001' };
const NOW = 1_700_000_000_000;
const NOW_SEC = NOW / 1000;

const envelope = (token = SECRETS.verificationToken) => ({
  schema: '2.0',
  header: { event_id: 'ev_1', event_type: 'im.message.receive_v1', create_time: '1700000000123', token, app_id: 'cli_1', tenant_key: 't1' },
  event: { sender: { sender_id: { open_id: 'ou_1' } }, message: { message_id: 'om_1', chat_id: 'oc_1' } },
});

const verify = (req: { headers: Record<string, string>; body: Buffer }, now = NOW) => verifyRequest(req.headers, req.body, SECRETS, now);

describe('the platform’s cipher (lark/README.md §4.2, §4.5)', () => {
  it('decrypts the docs’ test vector', () => {
    expect(decryptBody('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=', 'test key')).toBe('hello world');
  });

  it('agrees with the SDK’s own AESCipher both ways', () => {
    const sdk = new AESCipher('test key');
    const ours = encryptBody('{"challenge":"c1","token":"t","type":"url_verification"}', 'test key');
    expect(sdk.decrypt(ours)).toBe('{"challenge":"c1","token":"t","type":"url_verification"}');
    const fixture =
      'EREREREREREREREREREREWpkqwOaNB7aJcdSZV6cPVp/EPp/VQ8R1+Fxfn4V1L+cs8lZbvyTSQ6hAgOiyBJySdT6+4i1BQJ3GogR8cvrGcKwSgEdQhh4CW9yTFbVM/f4';
    expect(decryptBody(fixture, 'test key')).toBe(sdk.decrypt(fixture));
    expect(decryptBody(fixture, 'test key')).toBe('{"challenge":"ajls384kdjxxxx","token":"vtok","type":"url_verification"}');
  });

  it('signs as the documented formula (§4.5 vector)', () => {
    const body = Buffer.from('{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}');
    expect(signatureOf('1700000000', 'abc123', 'test key', body)).toBe('69c61fa99760d59824d588297c0036194769fb54331682c9cbcd93e85b9a8aad');
  });
});

describe('verifyRequest', () => {
  it('hands a signed, encrypted event on flattened as the SDK does for the long connection', () => {
    const result = verify(signedRequest(envelope(), 'test key', { timestamp: NOW_SEC }));
    expect(result).toMatchObject({ ok: true, kind: 'event', eventType: 'im.message.receive_v1', eventId: 'ev_1' });
    if (!result.ok || result.kind !== 'event') throw new Error('not an event');
    expect(result.data).toMatchObject({
      schema: '2.0',
      event_id: 'ev_1',
      token: SECRETS.verificationToken,
      message: { message_id: 'om_1' },
    });
    expect(result.data).not.toHaveProperty('header');
  });

  it('accepts a plain body when it is signed', () => {
    expect(verify(signedRequest(envelope(), 'test key', { plain: true, timestamp: NOW_SEC }))).toMatchObject({ ok: true, kind: 'event' });
  });

  it('refuses a body changed by one byte, or by one extra space (the raw bytes are signed, never re-serialised)', () => {
    const req = signedRequest(envelope(), 'test key', { plain: true, timestamp: NOW_SEC });
    const flipped = Buffer.from(req.body);
    flipped[flipped.length - 3] = flipped[flipped.length - 3]! ^ 1;
    expect(verify({ ...req, body: flipped })).toMatchObject({ ok: false, status: 401, reason: 'signature-mismatch' });
    const spaced = Buffer.from(req.body.toString('utf8').replace('{"schema"', '{ "schema"'));
    expect(JSON.parse(spaced.toString())).toEqual(JSON.parse(req.body.toString()));
    expect(verify({ ...req, body: spaced })).toMatchObject({ ok: false, reason: 'signature-mismatch' });
  });

  it('refuses a wrong Encrypt Key, a missing or malformed signature, and never says a secret', () => {
    const other = verify(signedRequest(envelope(), 'another key', { timestamp: NOW_SEC }));
    expect(other).toMatchObject({ ok: false, status: 401, reason: 'signature-mismatch' });
    expect(verify(signedRequest(envelope(), 'test key', { unsigned: true }))).toMatchObject({ ok: false, reason: 'signature-missing' });
    const req = signedRequest(envelope(), 'test key', { timestamp: NOW_SEC });
    expect(verify({ ...req, headers: { ...req.headers, 'x-lark-signature': 'zz' } })).toMatchObject({ reason: 'signature-mismatch' });
    expect(JSON.stringify(other)).not.toContain('test key');
  });

  it('refuses a timestamp older than a day (past the whole re-push schedule) or minutes ahead; a 7 h old re-push passes', () => {
    const at = (ageSec: number) => verify(signedRequest(envelope(), 'test key', { timestamp: NOW_SEC - ageSec }));
    expect(at(2 * 24 * 3600)).toMatchObject({ ok: false, status: 401, reason: 'timestamp-stale' });
    expect(at(MAX_AGE_SEC + 1)).toMatchObject({ ok: false, reason: 'timestamp-stale' });
    expect(at(7 * 3600 + 20 * 60)).toMatchObject({ ok: true });
    expect(at(-6 * 60)).toMatchObject({ ok: false, reason: 'timestamp-future' });
    expect(at(-60)).toMatchObject({ ok: true });
    const req = signedRequest(envelope(), 'test key', { timestamp: NOW_SEC });
    const ts = 'yesterday';
    const headers: Record<string, string> = { ...req.headers, 'x-lark-request-timestamp': ts };
    headers['x-lark-signature'] = signatureOf(ts, headers['x-lark-request-nonce']!, 'test key', req.body);
    expect(verify({ ...req, headers })).toMatchObject({ reason: 'timestamp-invalid' });
  });

  it('refuses a wrong Verification Token (header.token, and the challenge’s token)', () => {
    expect(verify(signedRequest(envelope('vtok-0002'), 'test key', { timestamp: NOW_SEC }))).toMatchObject({
      ok: false,
      status: 401,
      reason: 'token-mismatch',
      detail: 'header.token does not match the Verification Token',
    });
    const challenge = { challenge: 'c1', token: 'nope', type: 'url_verification' };
    expect(verify(signedRequest(challenge, 'test key', { unsigned: true }))).toMatchObject({ reason: 'token-mismatch' });
  });

  it('answers the challenge plain and encrypted, unsigned as the platform sends it', () => {
    const challenge = { challenge: 'ajls384kdjxxxx', token: SECRETS.verificationToken, type: 'url_verification' };
    for (const plain of [true, false]) {
      expect(verify(signedRequest(challenge, 'test key', { plain, unsigned: true }))).toEqual({
        ok: true,
        kind: 'challenge',
        challenge: 'ajls384kdjxxxx',
      });
    }
  });

  it('names the field of a malformed body, and refuses what cannot be decrypted', () => {
    const bad = { schema: '2.0', header: { event_id: 'e', token: SECRETS.verificationToken } };
    expect(verify(signedRequest(bad, 'test key', { timestamp: NOW_SEC }))).toMatchObject({
      ok: false,
      status: 400,
      reason: 'body-malformed',
      detail: expect.stringContaining('event.header.event_type') as string,
    });
    const garbage = { encrypt: Buffer.from('x'.repeat(48)).toString('base64') };
    expect(verify(signedRequest(garbage, 'test key', { plain: true, timestamp: NOW_SEC }))).toMatchObject({ reason: 'decrypt-failed' });
    const text = Buffer.from('not json');
    expect(verifyRequest({}, text, SECRETS, NOW)).toMatchObject({ ok: false, status: 400, reason: 'body-not-json' });
  });
});
