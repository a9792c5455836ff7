import { describe, expect, it } from 'vitest';
import { resolveLiveSettings } from '@shared/bot-settings';
import { changedSettings } from './setting-changes';

const bot = resolveLiveSettings({
  access: { dm: 'allowlist', dmAllow: ['ou_1', 'ou_2'] },
  approvers: ['ou_a', 'ou_b'],
  replyMode: { group: 'message' },
});

describe('changedSettings (what the Edit dialog sends)', () => {
  it('sends nothing when nothing changed, lists in another order included', () => {
    expect(changedSettings(bot, resolveLiveSettings(bot))).toEqual({});
    const reordered = { ...bot, approvers: ['ou_b', 'ou_a'], access: { ...bot.access, dmAllow: ['ou_2', 'ou_1'] } };
    expect(changedSettings(bot, reordered)).toEqual({});
  });

  it('sends each changed setting whole, and only those', () => {
    expect(changedSettings(bot, { ...bot, usageFooter: true, maxConcurrentAnswers: 4 })).toEqual({
      usageFooter: true,
      maxConcurrentAnswers: 4,
    });
    expect(changedSettings(bot, { ...bot, replyMode: { dm: 'message', group: 'message' } })).toEqual({
      replyMode: { dm: 'message', group: 'message' },
    });
    const access = { ...bot.access, dmAllow: ['ou_1'] };
    expect(changedSettings(bot, { ...bot, access, approvers: [] })).toEqual({ access, approvers: [] });
  });
});
