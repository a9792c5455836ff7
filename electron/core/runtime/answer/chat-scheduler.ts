/**
 * A task; it may call `release` once the expensive part is over (the agent has answered): its
 * slot goes to the next chat while it finishes (sends the last of its reply, writes its memory),
 * and its own chat's next message still waits for it to end.
 */
export type ChatTask = (release: () => void) => Promise<void>;

/**
 * Runs tasks so that one chat's messages are answered strictly in order while different chats
 * proceed in parallel, at most `concurrency` holding a slot at a time.
 */
export class ChatScheduler {
  private readonly queues = new Map<string, ChatTask[]>();
  private readonly ready: string[] = [];
  private readonly running = new Set<Promise<void>>();
  private activeKeys = new Set<string>();
  /** Tasks holding a slot (started, not yet released). */
  private slots = 0;
  private accepting = true;

  constructor(
    private concurrency: number,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    if (concurrency < 1) throw new Error('concurrency must be at least 1');
  }

  /** A new limit, from the next task on: more start at once when raised; running ones finish when lowered. */
  setConcurrency(concurrency: number): void {
    if (concurrency < 1) throw new Error('concurrency must be at least 1');
    this.concurrency = concurrency;
    this.pump();
  }

  /** Returns false once the scheduler is draining; the caller keeps the work (it is in the inbox). */
  enqueue(key: string, task: ChatTask): boolean {
    if (!this.accepting) return false;
    const queue = this.queues.get(key);
    if (queue) {
      queue.push(task);
    } else {
      this.queues.set(key, [task]);
      this.ready.push(key);
    }
    this.pump();
    return true;
  }

  get pending(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** Tasks running now, finishing ones included. */
  get active(): number {
    return this.activeKeys.size;
  }

  private pump(): void {
    while (this.accepting && this.slots < this.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      const queue = this.queues.get(key);
      const task = queue?.shift();
      if (!task) {
        this.queues.delete(key);
        continue;
      }
      this.activeKeys.add(key);
      this.slots++;
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.slots--;
        this.pump();
      };
      const run = Promise.resolve()
        .then(() => task(release))
        .catch(this.onError)
        .finally(() => {
          this.running.delete(run);
          this.activeKeys.delete(key);
          if (queue && queue.length > 0) this.ready.push(key);
          else this.queues.delete(key);
          release();
          this.pump();
        });
      this.running.add(run);
    }
  }

  /** Starts no more tasks: the queued ones stay where they are kept (the inbox), and `enqueue` says no from now on. */
  close(): void {
    this.accepting = false;
  }

  /** Resolves once nothing is running or queued (tests, and callers that want to wait for a burst). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /**
   * Stops starting new tasks and waits for the running ones, up to `timeoutMs`.
   * Resolves true when everything running finished in time.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.accepting = false;
    if (this.running.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const done = Promise.allSettled([...this.running]).then(() => true as const);
    const finished = await Promise.race([done, timeout]);
    clearTimeout(timer);
    return finished;
  }
}
