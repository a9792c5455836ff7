/**
 * Every timer the fake arms goes through here so that `close()` can cancel all of them at once:
 * tests call close() in afterEach and a stray re-push timer would otherwise keep firing into the
 * next test (or keep the worker alive).
 */
export class TimerSet {
  private readonly live = new Set<NodeJS.Timeout>();
  private closed = false;

  set(fn: () => void, ms: number): NodeJS.Timeout | undefined {
    if (this.closed) return undefined;
    const handle = setTimeout(
      () => {
        this.live.delete(handle);
        fn();
      },
      Math.max(0, ms),
    );
    this.live.add(handle);
    return handle;
  }

  clear(handle: NodeJS.Timeout | undefined): void {
    if (!handle) return;
    clearTimeout(handle);
    this.live.delete(handle);
  }

  /** Async sleep that is cut short (never resolved) once the set is closed. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.set(resolve, ms);
    });
  }

  clearAll(): void {
    this.closed = true;
    for (const handle of this.live) clearTimeout(handle);
    this.live.clear();
  }
}
