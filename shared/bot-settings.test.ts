import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { appAgentSchema, appBotSchema } from '@core/store/app-store';
import {
  botSettings,
  editSettings,
  LIVE_KEYS,
  liveSettingsChanged,
  liveSettingsOf,
  resolveLiveSettings,
  resolveSetting,
  settingOf,
  startSettings,
  writtenSettings,
} from './bot-settings';
import { botSchema, configFileSchema, formatZodError, providerSchema } from './config-schema';
import {
  botCreateInputSchema,
  botUpdateInputSchema,
  botViewSchema,
  providerInputSchema,
  providerTypeSchema,
  providerViewSchema,
} from './contract';

const keysOf = (schema: z.ZodObject) => Object.keys(schema.shape);
const configBot = { id: 'b', platform: 'feishu', appId: 'cli_a1b2c3d4e5f60718', appSecret: 's', agentId: 'echo' };
const configWith = (bot: Record<string, unknown>) => ({
  agents: [{ id: 'echo', name: 'Echo', provider: { type: 'echo' } }],
  bots: [{ ...configBot, ...bot }],
});
const configError = (bot: Record<string, unknown>) => {
  const parsed = configFileSchema.safeParse(configWith(bot));
  return parsed.success ? '' : formatZodError(parsed.error);
};

describe('the bot settings, declared once', () => {
  it('are each in the config file, the app store, and (the live ones) the UI contract', () => {
    const all = Object.keys(botSettings);
    expect(all).toEqual([...LIVE_KEYS, 'receive', 'backlogAfterMinutes', 'files']);
    expect(keysOf(botSchema)).toEqual(expect.arrayContaining(all));
    expect(keysOf(appBotSchema)).toEqual(expect.arrayContaining(all));
    for (const schema of [botCreateInputSchema, botUpdateInputSchema, botViewSchema]) {
      expect(keysOf(schema)).toEqual(expect.arrayContaining(LIVE_KEYS));
      // The one start setting the app edits (a change restarts the bot): how events reach it.
      expect(keysOf(schema)).toContain('receive');
      for (const key of Object.keys(startSettings).filter((k) => k !== 'receive')) expect(keysOf(schema)).not.toContain(key);
    }
  });

  it('have the defaults a bot that never chose follows', () => {
    expect(resolveLiveSettings({})).toEqual({
      replyMode: { dm: 'card', group: 'card' },
      access: { dm: 'open', dmAllow: [], group: 'mention', groupAllow: [], bots: 'ignore' },
      language: 'auto',
      backlog: 'note',
      maxConcurrentAnswers: 50,
      approvals: 'chat',
      approvers: [],
      askersMayApprove: false,
      usageFooter: false,
    });
    expect(settingOf({}, 'backlogAfterMinutes')).toBe(10);
    expect(settingOf({}, 'files')).toEqual({ quotaMb: 500, retentionDays: 30 });
    // Every default passes its own schema.
    for (const [key, setting] of Object.entries(botSettings)) expect(setting.schema.safeParse(setting.default).success, key).toBe(true);
  });

  it('fill each field of a several-field setting on its own, and hand out copies', () => {
    expect(settingOf({ replyMode: { group: 'message' } }, 'replyMode')).toEqual({ dm: 'card', group: 'message' });
    expect(settingOf({ files: { quotaMb: 5 } }, 'files')).toEqual({ quotaMb: 5, retentionDays: 30 });
    resolveSetting('access', undefined).dmAllow.push('ou_x');
    resolveSetting('approvers', undefined).push('ou_x');
    expect(settingOf({}, 'access').dmAllow).toEqual([]);
    expect(settingOf({}, 'approvers')).toEqual([]);
  });

  it('are copied from a record as written, nothing else of it', () => {
    const record = { ...configBot, language: 'en' as const, files: { quotaMb: 1 }, usageFooter: undefined };
    expect(writtenSettings(record)).toEqual({ language: 'en', files: { quotaMb: 1 } });
    expect(liveSettingsOf(record)).toEqual(Object.fromEntries(LIVE_KEYS.map((k) => [k, k === 'language' ? 'en' : undefined])));
  });

  it('are edited as the app saves them: a default is not written down, fields merge, the rest stays', () => {
    const saved = {
      id: 'b',
      language: 'en' as const,
      replyMode: { dm: 'message' as const },
      access: { dm: 'allowlist' as const },
      usageFooter: true,
    };
    const next = editSettings(saved, {
      language: 'auto',
      replyMode: { group: 'message' },
      access: { dmAllow: [' ou_1 ', 'ou_1', ''] },
      maxConcurrentAnswers: 4,
    });
    expect(next).toEqual({
      id: 'b',
      replyMode: { dm: 'message', group: 'message' },
      access: { dm: 'allowlist', dmAllow: ['ou_1'] },
      maxConcurrentAnswers: 4,
      usageFooter: true,
    });
    expect(saved.language).toBe('en');
    expect(liveSettingsChanged(saved, next)).toBe(true);
    expect(liveSettingsChanged(next, editSettings(next, { approvers: [], replyMode: { dm: 'message' } }))).toBe(false);
    expect(liveSettingsChanged({}, { backlog: 'note', approvals: 'chat', access: {} })).toBe(false);
  });

  it('keep their messages, naming the field, in the config file and the app', () => {
    expect(configError({ maxConcurrentAnswers: 0 })).toBe('bots[0].maxConcurrentAnswers: must be at least 1');
    expect(configError({ maxConcurrentAnswers: 1001 })).toBe('bots[0].maxConcurrentAnswers: must be at most 1000');
    expect(configError({ approvers: ['me'] })).toBe('bots[0].approvers[0]: must be open_ids (ou_…)');
    expect(configError({ appId: 'cli_1' })).toBe('bots[0].appId: must look like cli_ followed by 16 hex characters');
    expect(configError({ id: 'Bad Id' })).toBe('bots[0].id: must be 1-64 characters: lowercase letters, digits, "-" or "_"');
    const input = botUpdateInputSchema.safeParse({ id: 'b', maxConcurrentAnswers: 0 });
    expect(input.error?.issues[0]).toMatchObject({ path: ['maxConcurrentAnswers'], message: 'must be at least 1' });
    expect(appBotSchema.safeParse({ ...configBot, appId: 'cli_1' }).error?.issues[0]?.message).toBe(
      'must look like cli_ followed by 16 hex characters',
    );
  });

  it('are strict in the config file at every level, as lenient in the app as before', () => {
    expect(configError({ replyMode: { dm: 'card', typo: 1 } })).toMatch(/bots\[0\]\.replyMode: .*typo/);
    expect(configError({ files: { quotaMb: 1, typo: 1 } })).toMatch(/bots\[0\]\.files: .*typo/);
    expect(configError({ access: { typo: 1 } })).toMatch(/bots\[0\]\.access: .*typo/);
    const app = appBotSchema.parse({ ...configBot, replyMode: { dm: 'card', typo: 1 }, files: { typo: 1 } });
    expect(app).toMatchObject({ replyMode: { dm: 'card' }, files: {} });
    expect(appBotSchema.safeParse({ ...configBot, access: { typo: 1 } }).success).toBe(false);
    expect(botCreateInputSchema.parse({ ...configBot, replyMode: { group: 'message', typo: 1 } }).replyMode).toEqual({ group: 'message' });
  });
});

describe('the providers, declared once', () => {
  it('have the same types at every boundary', () => {
    const types = (union: { options: ReadonlyArray<{ shape: { type: { value: string } } }> }) =>
      union.options.map((o) => o.shape.type.value);
    expect(providerTypeSchema.options).toEqual(['echo', 'openai', 'kocoro', 'anthropic', 'command']);
    for (const union of [providerSchema, appAgentSchema.shape.provider, providerInputSchema, providerViewSchema]) {
      expect(types(union)).toEqual(providerTypeSchema.options);
    }
  });

  it('are checked by each boundary its own way', () => {
    const openai = { type: 'openai', model: 'm', baseUrl: 'not a url', apiKey: 'k' };
    // The config file: strictly, the key kept for the runtime.
    expect(providerSchema.safeParse(openai).success).toBe(false);
    expect(providerSchema.parse({ ...openai, baseUrl: 'https://x.test/v1' })).toMatchObject({ apiKey: 'k' });
    expect(providerSchema.safeParse({ type: 'echo', typo: 1 }).success).toBe(false);
    // The app store: what the app wrote, the key never among it.
    expect(appAgentSchema.shape.provider.parse(openai)).toEqual({ type: 'openai', model: 'm', baseUrl: 'not a url' });
    expect(appAgentSchema.shape.provider.safeParse({ type: 'kocoro', agent: '' }).error?.issues[0]?.message).toBe('must name an agent');
    expect(providerSchema.safeParse({ type: 'kocoro', agent: '' }).error?.issues[0]?.message).toBe("must name one of the daemon's agents");
    // The UI's input: messages for the form, a key to replace or clear.
    expect(providerInputSchema.safeParse({ type: 'openai', model: ' ' }).error?.issues[0]?.message).toBe('Model must not be empty');
    expect(providerInputSchema.parse({ type: 'anthropic', model: 'm', apiKey: null })).toEqual({
      type: 'anthropic',
      model: 'm',
      apiKey: null,
    });
    expect(providerInputSchema.safeParse({ type: 'command', command: 'x', timeoutSec: 0 }).error?.issues[0]?.message).toBe(
      'Timeout must be at least 1 second',
    );
    // Only the config file gives a program its environment.
    const env = { type: 'command', command: 'x', env: { A: 'b' } };
    expect(providerSchema.parse(env)).toMatchObject({ env: { A: 'b' } });
    expect(appAgentSchema.shape.provider.parse(env)).toEqual({ type: 'command', command: 'x' });
  });
});
