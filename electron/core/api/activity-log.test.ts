import { describe, expect, it } from 'vitest';
import type { BotActivity } from '@shared/contract';
import { ActivityLog } from './activity-log';

const activity = (botId: string, n: number): BotActivity => ({
  botId,
  messageId: `om_${n}`,
  chatType: 'p2p',
  preview: `m${n}`,
  stage: 'received',
  at: n,
});

describe('ActivityLog', () => {
  it('keeps the last 20 per bot, newest last, each bot apart', () => {
    const log = new ActivityLog();
    for (let n = 1; n <= 25; n++) log.add(activity('a', n));
    log.add(activity('b', 1));
    expect(log.list('a').map((a) => a.messageId)).toEqual(Array.from({ length: 20 }, (_, i) => `om_${i + 6}`));
    expect(log.list('b')).toHaveLength(1);
    log.forget('a');
    expect(log.list('a')).toEqual([]);
  });

  it('does not repeat "received" for a message announced again after a pause', () => {
    const log = new ActivityLog();
    expect(log.add(activity('a', 1))).toBe(true);
    expect(log.add(activity('a', 1))).toBe(false);
    expect(log.add({ ...activity('a', 1), stage: 'answered' })).toBe(true);
    expect(log.list('a').map((a) => a.stage)).toEqual(['received', 'answered']);
  });
});
