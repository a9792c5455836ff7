import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * `npm run headless` as a real child process: node running electron/run-headless.mjs (the compiled
 * core), no npm in between so signals reach it. Other entries (`.ts`) run through tsx.
 */
export class HeadlessProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  static start(args: string[], env: NodeJS.ProcessEnv = {}, entry = 'electron/run-headless.mjs', nodeArgs: string[] = []): HeadlessProcess {
    const loader = [...nodeArgs, ...(entry.endsWith('.ts') ? ['--import', 'tsx'] : [])];
    const child = spawn(process.execPath, [...loader, path.join(ROOT, entry), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new HeadlessProcess(child);
  }

  /** Parsed JSON log lines; throws if any stdout line is not JSON. */
  lines(): Array<Record<string, unknown>> {
    return this.stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** The first capture of `pattern` in stderr, once it is there. */
  async waitForStderr(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.stderr);
      if (m) return m[1] ?? m[0];
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`no ${pattern} on stderr${this.child.exitCode !== null ? ' (process exited)' : ''}\nstderr:\n${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** The one-time sign-in link printed (on stderr) by `--ui`, once it is there. */
  async waitForUiUrl(timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = /^UI: (http:\/\/\S+)$/m.exec(this.stderr);
      if (m) return m[1]!;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(
          `no "UI: " line${this.child.exitCode !== null ? ' (process exited)' : ''}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async waitForLog(event: string, match: Record<string, unknown> = {}, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines().find((l) => l.event === event && Object.entries(match).every(([k, v]) => l[k] === v));
      if (found) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(
          `no "${event}" log line${this.child.exitCode !== null ? ' (process exited)' : ''}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}

/**
 * Trades a sign-in link's one-time code for the session token, as the page does: the token, or
 * the status of the refusal.
 */
export async function tradeSignInLink(link: string): Promise<{ status: number; token?: string }> {
  const url = new URL(link);
  const code = /^#code=([A-Za-z0-9_-]+)$/.exec(url.hash)?.[1] ?? '';
  const res = await fetch(`${url.origin}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  const reply = (await res.json()) as { ok: boolean; result?: { token: string } };
  return { status: res.status, ...(reply.ok && reply.result ? { token: reply.result.token } : {}) };
}
