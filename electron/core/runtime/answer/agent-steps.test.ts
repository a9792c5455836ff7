import { describe, expect, it } from 'vitest';
import { chatPhrases } from '../../i18n/chat-text';
import { seconds, StepLog } from './agent-steps';

const step = (id: string, status: 'running' | 'done' | 'failed', extra: object = {}) =>
  ({ kind: 'step', step: { id, tool: `tool_${id}`, status, ...extra } }) as const;

describe('the agent steps a card shows', () => {
  it('one line per tool call, its end replacing its start and keeping what it does', () => {
    const log = new StepLog(chatPhrases('en'));
    log.apply({ kind: 'narration', text: 'Let me look\nthat up' });
    log.apply(step('a', 'running', { detail: 'grep `TODO` src' }));
    expect(log.markdown()).toBe("💬 _Let me look that up_\n⏳ **tool_a** · grep 'TODO' src");
    log.apply(step('a', 'done', { elapsedMs: 2410 }));
    log.apply(step('b', 'running'));
    log.apply(step('b', 'failed', { elapsedMs: 12_000 }));
    expect(log.markdown()).toBe("💬 _Let me look that up_\n✅ **tool_a** · grep 'TODO' src · 2.4 s\n❌ **tool_b** · 12 s");
    expect(log.summary(14_200)).toBe('Used 2 tools · 14 s');
  });

  it('marks the call waiting for approval, and where', () => {
    const log = new StepLog(chatPhrases('en'));
    log.apply({ kind: 'step', step: { id: 'x', tool: 'bash', status: 'running', detail: 'rm x' } });
    expect(log.waiting('bash', 'dm')).toBe(true);
    expect(log.markdown()).toBe('⏸️ **bash** · rm x · waiting for approval in a direct message');
    expect(log.waiting('bash', undefined)).toBe(true);
    expect(log.markdown()).toBe('⏳ **bash** · rm x');
  });

  it('shows the newest lines while working and all of them in the folded panel', () => {
    const log = new StepLog(chatPhrases('zh-CN'));
    for (let i = 0; i < 20; i++) log.apply(step(String(i), 'done', { elapsedMs: 100 }));
    expect(log.markdown().split('\n')).toHaveLength(13);
    expect(log.markdown().startsWith('… +8\n')).toBe(true);
    expect(log.allMarkdown().split('\n')).toHaveLength(20);
    const capped = log.allMarkdown(100).split('\n');
    expect(capped.length).toBeLessThan(6);
    expect(capped[0]).toBe(`… +${20 - (capped.length - 1)}`);
    expect(capped.at(-1)).toContain('tool_19');
    expect(log.summary(65_000)).toBe('使用了 20 个工具 · 1 min 5 s');
  });

  it('says durations the short way', () => {
    expect([seconds(400), seconds(3_000), seconds(59_400), seconds(120_000)]).toEqual(['0.4 s', '3 s', '59 s', '2 min']);
  });
});
