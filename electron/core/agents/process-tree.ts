import { type ChildProcess, spawn } from 'node:child_process';

/**
 * A program and everything it started. On POSIX the program leads its own process group
 * (`spawn(…, { detached: true })`), so a signal to the group reaches its children and
 * grandchildren too; on Windows the tree is ended with `taskkill /T`. `end()` asks politely
 * (SIGTERM), then forces (SIGKILL) after the grace; `gone()` resolves once nothing is left.
 */
export class ProcessTree {
  /**
   * Every tree this process started that may still run: a process-wide fact (they are our
   * children), so a quitting app can wait until none is left (`allGone`).
   */
  private static readonly live = new Set<ProcessTree>();

  private ending = false;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly child: ChildProcess,
    private readonly graceMs: number,
  ) {
    ProcessTree.live.add(this);
  }

  /** Ends every program agent still running and resolves once all of them, and all they started, are gone. */
  static async allGone(): Promise<void> {
    await Promise.all([...ProcessTree.live].map((tree) => tree.gone()));
  }

  end(): void {
    if (this.ending || this.child.pid === undefined) return;
    this.ending = true;
    this.signal('SIGTERM');
    // Not unref'd: a quitting app waits for this, so nothing the agent started outlives it.
    this.killTimer = setTimeout(() => this.signal('SIGKILL'), this.graceMs);
  }

  /** Whether any process of the tree still runs. */
  alive(): boolean {
    const pid = this.child.pid;
    if (pid === undefined) return false;
    try {
      process.kill(process.platform === 'win32' ? pid : -pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Resolves once every process of the tree has ended (ending it first if that was not asked yet). */
  async gone(): Promise<void> {
    if (!this.alive()) return this.settle();
    this.end();
    const deadline = Date.now() + this.graceMs + 5_000;
    while (this.alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    this.settle();
  }

  private settle(): void {
    clearTimeout(this.killTimer);
    ProcessTree.live.delete(this);
  }

  private signal(sig: 'SIGTERM' | 'SIGKILL'): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    if (process.platform === 'win32') {
      // /T: the whole tree; /F only for the forced end (the polite one lets console programs clean up).
      const args = ['/pid', String(pid), '/T', ...(sig === 'SIGKILL' ? ['/F'] : [])];
      spawn('taskkill', args, { stdio: 'ignore', windowsHide: true }).on('error', () => undefined);
      return;
    }
    try {
      process.kill(-pid, sig);
    } catch {
      // The group is already gone.
    }
  }
}
