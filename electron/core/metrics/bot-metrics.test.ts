import { describe, expect, it } from 'vitest';
import { BotMetrics } from './bot-metrics';

describe('BotMetrics', () => {
  it("gives each bot's answers today, their median time and the queue, and starts a new day at local midnight", () => {
    let now = new Date(2026, 11, 1, 9, 0, 0).getTime();
    const metrics = new BotMetrics(() => now);
    const meter = metrics.meter('team');
    meter.load(() => ({ running: 1, queued: 3 }));
    for (const [id, ms] of [
      ['a', 1_000],
      ['b', 3_000],
      ['c', 2_000],
    ] as const) {
      meter.accepted(id, now);
      now += ms;
      meter.answered(id);
    }
    meter.accepted('d', now);
    meter.failed('d');
    expect(metrics.figures('team')).toEqual({ botId: 'team', answersToday: 3, medianAnswerMs: 2_000, queued: 3, running: 1 });

    now = new Date(2026, 11, 2, 0, 0, 1).getTime();
    expect(metrics.figures('team')).toEqual({ botId: 'team', answersToday: 0, queued: 3, running: 1 });
  });

  it('has a gauge of the live replicas per bot on a shared state store, absent without one and once stopped', async () => {
    const metrics = new BotMetrics();
    const shared = metrics.meter('shared');
    metrics.meter('files');
    shared.replicas(3);
    let text = await metrics.text();
    expect(text).toContain('# TYPE kocoro_replicas gauge');
    expect(text).toContain('kocoro_replicas{bot="shared"} 3');
    expect(text).not.toContain('kocoro_replicas{bot="files"}');
    shared.replicas(2);
    expect(await metrics.text()).toContain('kocoro_replicas{bot="shared"} 2');
    shared.replicas(undefined);
    text = await metrics.text();
    expect(text).not.toContain('kocoro_replicas{bot="shared"}');
    shared.replicas(1);
    metrics.forget('shared');
    expect(await metrics.text()).not.toContain('kocoro_replicas{bot="shared"}');
  });

  it("drops a removed bot's figures and per-bot series", async () => {
    const metrics = new BotMetrics();
    const meter = metrics.meter('gone');
    meter.accepted('m', Date.now());
    meter.answered('m');
    expect(await metrics.text()).toContain('kocoro_messages_answered_total{bot="gone"} 1');
    metrics.forget('gone');
    expect(await metrics.text()).not.toContain('kocoro_messages_answered_total{bot="gone"}');
    expect(metrics.figures('gone').answersToday).toBe(0);
  });
});
