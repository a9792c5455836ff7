import { describe, expect, it } from 'vitest';
import { ChatScheduler } from './chat-scheduler';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('ChatScheduler', () => {
  it('runs one chat strictly in order, even when earlier tasks are slower', async () => {
    const s = new ChatScheduler(4);
    const order: string[] = [];
    const first = deferred();
    s.enqueue('chat', async () => {
      await first.promise;
      order.push('a');
    });
    s.enqueue('chat', async () => {
      order.push('b');
    });
    await new Promise((r) => setTimeout(r, 10));
    expect(order).toEqual([]);
    first.resolve();
    await s.idle();
    expect(order).toEqual(['a', 'b']);
  });

  it("gives a released slot to the next chat while the releasing chat's own next message waits for it to end", async () => {
    const s = new ChatScheduler(1);
    const finishing = deferred();
    const started: string[] = [];
    s.enqueue('a', async (release) => {
      started.push('a1');
      release(); // its agent is done; it still sends the end of its reply
      await finishing.promise;
    });
    s.enqueue('a', async () => void started.push('a2'));
    s.enqueue('b', async () => void started.push('b1'));
    await new Promise((r) => setTimeout(r, 10));
    expect(started).toEqual(['a1', 'b1']);
    finishing.resolve();
    await s.idle();
    expect(started).toEqual(['a1', 'b1', 'a2']);
  });

  it('runs different chats in parallel up to the concurrency limit', async () => {
    const s = new ChatScheduler(2);
    const gates = [deferred(), deferred(), deferred()];
    let running = 0;
    let peak = 0;
    gates.forEach((g, i) =>
      s.enqueue(`chat-${i}`, async () => {
        running++;
        peak = Math.max(peak, running);
        await g.promise;
        running--;
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(s.active).toBe(2);
    expect(s.pending).toBe(1);
    gates.forEach((g) => g.resolve());
    await s.drain(1000);
    expect(peak).toBe(2);
  });

  it('keeps going after a task throws', async () => {
    const errors: unknown[] = [];
    const s = new ChatScheduler(1, (e) => errors.push(e));
    const done: string[] = [];
    s.enqueue('c', async () => {
      throw new Error('boom');
    });
    s.enqueue('c', async () => {
      done.push('next');
    });
    await s.idle();
    expect(errors).toHaveLength(1);
    expect(done).toEqual(['next']);
  });

  it('drain refuses new work, waits for running tasks and reports a timeout', async () => {
    const s = new ChatScheduler(1);
    const gate = deferred();
    s.enqueue('c', () => gate.promise);
    expect(await s.drain(30)).toBe(false);
    expect(s.enqueue('c', async () => {})).toBe(false);
    gate.resolve();
    expect(await s.drain(1000)).toBe(true);
  });
});
