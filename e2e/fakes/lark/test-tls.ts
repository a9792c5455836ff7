import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A self-signed certificate for `127.0.0.1` / `localhost`: serve with `key` + `cert`, trust `cert` as the CA. */
export interface TestCertificate {
  key: string;
  cert: string;
}

let cached: Promise<TestCertificate> | undefined;

/**
 * Made at test time with the `openssl` command (Node's crypto cannot issue certificates), once per
 * process, valid two days. `req -x509` marks it `CA:TRUE`, so it is its own trust anchor.
 */
export function testCertificate(): Promise<TestCertificate> {
  cached ??= generate().catch((err: unknown) => {
    cached = undefined;
    throw new Error(`fake-lark: could not make a test certificate with openssl (${String(err)}); install openssl`);
  });
  return cached;
}

async function generate(): Promise<TestCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-lark-tls-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=fake-lark accounts',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
