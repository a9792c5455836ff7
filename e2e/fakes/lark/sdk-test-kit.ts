import { afterEach } from 'vitest';
import * as lark from '@larksuiteoapi/node-sdk';
import { FakeLarkPlatform } from './index.js';
import type { FakeLarkOptions } from './index.js';

/** Shared by the REST conformance tests: one app, silent SDK logs, per-test cleanup. */
export const APP = {
  appId: 'cli_0123456789abcdef',
  appSecret: 'secret-0123',
  botName: 'Desk Assistant',
  botOpenId: 'ou_bot0000000000000000000000000001',
};

type Log = (...msg: unknown[]) => void;
export const silentLogger = {
  error: (() => {}) as Log,
  warn: (() => {}) as Log,
  info: (() => {}) as Log,
  debug: (() => {}) as Log,
  trace: (() => {}) as Log,
};

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
export const onCleanup = (fn: () => Promise<void> | void): void => void cleanups.push(fn);

export async function startFake(opts: FakeLarkOptions = {}): Promise<FakeLarkPlatform> {
  const fake = await FakeLarkPlatform.start({ apps: [APP], ackTimeoutMs: 300, repushDelaysMs: [20, 20], ...opts });
  onCleanup(() => fake.close());
  return fake;
}

// Each client gets its own token cache: the SDK's default cache is process-global and keyed by app id.
export const newClient = (fake: FakeLarkPlatform): lark.Client =>
  new lark.Client({
    appId: APP.appId,
    appSecret: APP.appSecret,
    domain: fake.url,
    cache: new lark.DefaultCache(),
    loggerLevel: lark.LoggerLevel.fatal,
    logger: silentLogger,
  });

export interface SdkError {
  message?: string;
  isAxiosError?: boolean;
  response?: { status: number; headers: Record<string, string>; data: { code: number; msg: string; error?: Record<string, unknown> } };
}

/** The AxiosError a failing SDK call throws (lark/README.md §5.0). Stream responses (downloads) are read into JSON. */
export async function caught(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (err) {
    const e = err as SdkError & { response?: { data: unknown } };
    const data = e.response?.data as unknown;
    if (data && typeof (data as AsyncIterable<Buffer>)[Symbol.asyncIterator] === 'function') {
      const chunks: Buffer[] = [];
      for await (const chunk of data as AsyncIterable<Buffer>) chunks.push(chunk);
      (e.response as { data: unknown }).data = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    }
    return e;
  }
  throw new Error('expected the call to fail');
}

export const codeOf = async (p: Promise<unknown>): Promise<number | undefined> => (await caught(p)).response?.data.code;
