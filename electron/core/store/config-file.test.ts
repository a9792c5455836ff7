import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretRedactor } from '../log/redact';
import { ConfigError, loadConfigFile } from './config-file';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'kocoro-config-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const valid = {
  agents: [
    { id: 'echo', name: 'Echo', provider: { type: 'echo' } },
    {
      id: 'assistant',
      name: 'Assistant',
      systemPrompt: 'Be helpful.',
      provider: { type: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'env:OPENAI_API_KEY', model: 'llama3.2' },
    },
  ],
  bots: [
    {
      id: 'team-bot',
      platform: 'feishu',
      appId: 'cli_a1b2c3d4e5f60718',
      appSecret: 'env:FEISHU_APP_SECRET',
      encryptKey: '',
      agentId: 'assistant',
      displayName: 'Team Bot',
    },
  ],
};

async function write(content: unknown): Promise<string> {
  const file = path.join(dir, 'config.json');
  await fs.writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function errorOf(content: unknown, env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    await loadConfigFile(await write(content), env, new SecretRedactor());
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('loadConfigFile', () => {
  it('loads the README example and resolves env: secrets, registering them for redaction', async () => {
    const redactor = new SecretRedactor();
    const cfg = await loadConfigFile(
      await write(valid),
      { OPENAI_API_KEY: 'sk-test-123456', FEISHU_APP_SECRET: 'secret-abcdef' },
      redactor,
    );
    expect(cfg.bots[0]!.appSecret).toBe('secret-abcdef');
    expect(cfg.agents[1]!.provider).toMatchObject({ apiKey: 'sk-test-123456' });
    expect(redactor.redact('x secret-abcdef y sk-test-123456')).toBe('x *** y ***');
  });

  it('reads "state" (the Redis to keep the bots\' state in) from the environment when it says env:NAME, hiding it like a secret', async () => {
    const redactor = new SecretRedactor();
    const cfg = await loadConfigFile(
      await write({ ...valid, state: 'env:KOCORO_REDIS' }),
      { OPENAI_API_KEY: 'k', FEISHU_APP_SECRET: 's', KOCORO_REDIS: 'redis://kocoro:pw-123456@redis.internal:6379/1' },
      redactor,
    );
    expect(cfg.state).toBe('redis://kocoro:pw-123456@redis.internal:6379/1');
    expect(redactor.redact(`url ${cfg.state}`)).toBe('url ***');
    expect(await errorOf({ ...valid, state: 'env:NOPE' }, { OPENAI_API_KEY: 'k', FEISHU_APP_SECRET: 's' })).toMatch(
      /state: environment variable NOPE is not set/,
    );
  });

  it('reads a webhook bot’s Verification Token from the environment when it says env:NAME, hiding it like a secret', async () => {
    const redactor = new SecretRedactor();
    const bot = {
      ...valid.bots[0]!,
      receive: 'webhook',
      encryptKey: 'encrypt-key-123456',
      verificationToken: 'env:FEISHU_VERIFICATION_TOKEN',
    };
    const cfg = await loadConfigFile(
      await write({ ...valid, bots: [bot] }),
      { OPENAI_API_KEY: 'k', FEISHU_APP_SECRET: 's', FEISHU_VERIFICATION_TOKEN: 'token-abcdef123' },
      redactor,
    );
    expect(cfg.bots[0]).toMatchObject({ receive: 'webhook', verificationToken: 'token-abcdef123' });
    expect(redactor.redact('x token-abcdef123 y')).toBe('x *** y');
    expect(await errorOf({ ...valid, bots: [bot] }, { OPENAI_API_KEY: 'k', FEISHU_APP_SECRET: 's' })).toMatch(
      /verificationToken: environment variable FEISHU_VERIFICATION_TOKEN is not set/,
    );
  });

  it('loads a file saved with a UTF-8 byte-order mark (as Windows Notepad saves it)', async () => {
    const cfg = await loadConfigFile(
      await write(`\uFEFF${JSON.stringify(valid, null, 2)}`),
      { OPENAI_API_KEY: 'sk-test-123456', FEISHU_APP_SECRET: 'secret-abcdef' },
      new SecretRedactor(),
    );
    expect(cfg.bots[0]!.id).toBe('team-bot');
  });

  it('names the field when the App ID has the wrong shape', async () => {
    const bad = structuredClone(valid);
    bad.bots[0]!.appId = 'cli_123';
    expect(await errorOf(bad, { OPENAI_API_KEY: 'k', FEISHU_APP_SECRET: 's' })).toMatch(/bots\[0\]\.appId: must look like cli_/);
  });

  it('names the missing environment variable and the field that needs it', async () => {
    expect(await errorOf(valid, { OPENAI_API_KEY: 'k' })).toMatch(
      /bots\[0\]\.appSecret: environment variable FEISHU_APP_SECRET is not set/,
    );
  });

  it('rejects a bot whose agent does not exist, and unknown fields', async () => {
    const bad = structuredClone(valid) as Record<string, unknown> & typeof valid;
    bad.bots[0]!.agentId = 'nobody';
    (bad as Record<string, unknown>).extra = true;
    const msg = await errorOf(bad, { OPENAI_API_KEY: 'k', FEISHU_APP_SECRET: 's' });
    expect(msg).toMatch(/bots\[0\]\.agentId: no agent with id "nobody"/);
    expect(msg).toMatch(/extra/);
  });

  it('rejects two bots for the same app (they would split its events)', async () => {
    const bad = structuredClone(valid);
    bad.bots.push({ ...bad.bots[0]!, id: 'second' });
    expect(await errorOf(bad, { OPENAI_API_KEY: 'k', FEISHU_APP_SECRET: 's' })).toMatch(
      /bots\[1\]\.appId: app cli_a1b2c3d4e5f60718 is already used/,
    );
  });

  it('says when the file is not JSON or does not exist', async () => {
    expect(await errorOf('{ nope')).toMatch(/not valid JSON/);
    await expect(loadConfigFile(path.join(dir, 'missing.json'), {}, new SecretRedactor())).rejects.toThrow(/no such file/);
  });
});
