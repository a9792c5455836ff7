import { describe, expect, it } from 'vitest';
import { configFileSchema, formatZodError } from '@shared/config-schema';
import { SecretRedactor } from '../log/redact';
import { resolveSecrets } from '../store/config-file';

const agents = [
  { id: 'k', name: 'Kocoro', provider: { type: 'kocoro', url: 'http://127.0.0.1:7533', agent: 'research' } },
  { id: 'a', name: 'Claude', provider: { type: 'anthropic', apiKey: 'env:ANTHROPIC_API_KEY', model: 'claude-sonnet-4-5' } },
  {
    id: 'c',
    name: 'Script',
    provider: {
      type: 'command',
      command: '/usr/local/bin/my-agent',
      args: ['--print', '{message}'],
      input: 'arg',
      cwd: '~/work',
      timeoutSec: 600,
    },
  },
];

describe('provider config in the config file', () => {
  it('accepts kocoro, anthropic and command agents and resolves the Anthropic key from the environment', () => {
    const parsed = configFileSchema.parse({ agents, bots: [] });
    const resolved = resolveSecrets(parsed, { ANTHROPIC_API_KEY: 'sk-ant-env' }, new SecretRedactor());
    expect(resolved.agents[1]!.provider).toEqual({ type: 'anthropic', apiKey: 'sk-ant-env', model: 'claude-sonnet-4-5' });
    expect(resolved.agents[0]!.provider).toEqual(agents[0]!.provider);
    expect(() => resolveSecrets(parsed, {}, new SecretRedactor())).toThrow(/ANTHROPIC_API_KEY is not set/);
  });

  it('names the field at fault', () => {
    const bad = configFileSchema.safeParse({
      agents: [
        { id: 'k', name: 'K', provider: { type: 'kocoro' } },
        { id: 'c', name: 'C', provider: { type: 'command', command: 'x', input: 'pipe', shell: true } },
      ],
    });
    expect(bad.success).toBe(false);
    const text = formatZodError(bad.error!);
    expect(text).toMatch(/agents\[0\]\.provider\.agent/);
    expect(text).toMatch(/agents\[1\]\.provider\.input/);
    expect(text).toMatch(/shell/);
  });

  it("takes a Kocoro daemon's state folder only as an absolute path or one in the home folder", () => {
    const kocoro = (stateDir: string) => ({
      agents: [{ id: 'k', name: 'K', provider: { type: 'kocoro', agent: 'a', stateDir } }],
      bots: [],
    });
    expect(configFileSchema.safeParse(kocoro('/srv/shannon-e2e')).success).toBe(true);
    expect(configFileSchema.safeParse(kocoro('~/.shannon-test')).success).toBe(true);
    expect(configFileSchema.safeParse(kocoro('C:\\Users\\me\\.shannon')).success).toBe(true);
    const relative = configFileSchema.safeParse(kocoro('.shannon'));
    expect(relative.success).toBe(false);
    expect(formatZodError(relative.error!)).toMatch(/agents\[0\]\.provider\.stateDir/);
  });
});
