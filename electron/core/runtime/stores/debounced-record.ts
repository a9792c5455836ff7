import type { BotRecord } from './bot-store';
import type { BotState } from './bot-state';

/** How often the record is written at most: it changes with every message, and none of it is urgent. */
const WRITE_EVERY_MS = 1_000;

/**
 * The bot's record as both stores keep it: changes apply at once to `current`, and are written at
 * most once a second, or at once on `flush`; writes run one after another. What a write does is
 * the store's (`persist`); it never rejects (a failed write is logged, and `retryLater` keeps the
 * change for the next one).
 */
export abstract class DebouncedRecord implements BotRecord {
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  protected constructor(protected state: BotState) {}

  get current(): BotState {
    return structuredClone(this.state);
  }

  update(patch: Partial<BotState>): void {
    this.state = { ...this.state, ...patch };
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, WRITE_EVERY_MS);
  }

  async flush(): Promise<void> {
    this.stopTimer();
    if (!this.dirty) return this.writing;
    this.dirty = false;
    const state = structuredClone(this.state);
    this.writing = this.writing.then(() => this.persist(state));
    return this.writing;
  }

  protected stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A write failed: the next flush writes again. */
  protected retryLater(): void {
    this.dirty = true;
  }

  protected abstract persist(state: BotState): Promise<void>;
}
