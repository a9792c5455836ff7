import { describe, expect, it } from 'vitest';
import { resolveAccess } from '../electron/core/runtime/intake/access-policy';
import { configFileSchema, formatZodError } from './config-schema';

const bot = (access?: unknown) => ({
  agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }],
  bots: [
    {
      id: 'b',
      platform: 'feishu',
      appId: 'cli_a1b2c3d4e5f60718',
      appSecret: 's',
      agentId: 'echo',
      ...(access !== undefined ? { access } : {}),
    },
  ],
});

describe('access in the config file', () => {
  it('is optional and resolves to the defaults: dm open, group mention, bots ignored', () => {
    const parsed = configFileSchema.parse(bot());
    expect(parsed.bots[0]!.access).toBeUndefined();
    expect(resolveAccess(parsed.bots[0]!.access)).toEqual({ dm: 'open', dmAllow: [], group: 'mention', groupAllow: [], bots: 'ignore' });
  });

  it('accepts a partial access block and fills in the rest', () => {
    const parsed = configFileSchema.parse(bot({ dm: 'allowlist', dmAllow: ['ou_1'], groupAllow: ['oc_1'] }));
    expect(resolveAccess(parsed.bots[0]!.access)).toEqual({
      dm: 'allowlist',
      dmAllow: ['ou_1'],
      group: 'mention',
      groupAllow: ['oc_1'],
      bots: 'ignore',
    });
  });

  it('names the field when a value is not one of the choices or a key is unknown', () => {
    const bad = configFileSchema.safeParse(bot({ group: 'sometimes', everyone: true }));
    expect(bad.success).toBe(false);
    const text = formatZodError(bad.error!);
    expect(text).toMatch(/bots\[0\]\.access\.group/);
    expect(text).toMatch(/everyone/);
  });
});
