import { spawn } from 'node:child_process';
import { constants as fsConstants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { ProcessTree } from './process-tree';
import { AgentError, type AgentProvider, type AgentRequest } from './provider';

export interface CommandProviderOptions {
  /** The program: an absolute path, or a name looked up on PATH. Never run through a shell. */
  command: string;
  /** Arguments; `{message}`, `{chat_id}`, `{sender}`, `{thread_id}`, `{platform}` are replaced in each. */
  args?: string[];
  /** `stdin` (default): the message is written to stdin, then stdin is closed. `arg`: only through `{message}`. */
  input?: 'stdin' | 'arg';
  /** Working directory; a leading `~` is the home directory. */
  cwd?: string;
  timeoutSec?: number;
  /** Grace between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  /** Variables added to the program's minimal environment (`childEnvironment`). */
  env?: Record<string, string>;
}

/**
 * What a program agent inherits from Kocoro's own environment: enough to run (PATH, HOME, LANG,
 * TMPDIR, and what Windows needs to start a program), never the rest, which holds the secrets the
 * config file reads with `env:NAME`. The agent's own `env` map comes on top.
 */
export function childEnvironment(
  parent: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
  platform: NodeJS.Platform = process.platform,
): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR'];
  if (platform === 'win32')
    keep.push('SYSTEMROOT', 'WINDIR', 'PATHEXT', 'COMSPEC', 'TEMP', 'TMP', 'USERPROFILE', 'APPDATA', 'LOCALAPPDATA');
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(parent)) {
    // Windows names are case-insensitive (Path, SystemRoot).
    if (value !== undefined && keep.includes(platform === 'win32' ? name.toUpperCase() : name)) env[name] = value;
  }
  return { ...env, ...extra };
}

/**
 * Chat text becomes one argument of the program; text starting with "-" would be read as an
 * option of it (`-rf`, `--config=…`). Allowed only after a `--` in the arguments (the program's
 * own end of options); otherwise the message is not passed, saying why.
 */
export function optionLikeArgument(templates: string[], args: string[]): number | undefined {
  for (let i = 0; i < args.length; i++) {
    if (templates.slice(0, i).includes('--')) return undefined;
    if (/^\{message\}/.test(templates[i]!) && args[i]!.startsWith('-')) return i;
  }
  return undefined;
}

const STDERR_TAIL = 2048;

export function expandHome(p: string): string {
  return p === '~' ? os.homedir() : p.startsWith('~/') || p.startsWith('~\\') ? path.join(os.homedir(), p.slice(2)) : p;
}

/** Replaces the placeholders in one argument; the values are never interpreted (no shell). */
export function substitute(arg: string, values: Record<string, string>): string {
  return arg.replace(/\{(message|chat_id|sender|thread_id|platform)\}/g, (_, name: string) => values[name] ?? '');
}

/** Resolves `command` like the OS would (PATH, and PATHEXT on Windows); undefined when not found. */
export async function findProgram(command: string, cwd?: string): Promise<string | undefined> {
  const expanded = expandHome(command);
  const exts = process.platform === 'win32' ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';')] : [''];
  const candidates: string[] = [];
  if (expanded.includes('/') || expanded.includes('\\')) {
    const full = path.resolve(cwd ? expandHome(cwd) : process.cwd(), expanded);
    candidates.push(...exts.map((e) => full + e));
  } else {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean))
      candidates.push(...exts.map((e) => path.join(dir, expanded + e)));
  }
  for (const candidate of candidates) {
    try {
      const stat = await fs.stat(candidate);
      if (!stat.isFile()) continue;
      await fs.access(candidate, process.platform === 'win32' ? fsConstants.F_OK : fsConstants.X_OK);
      return candidate;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

export async function commandHealth(opts: Pick<CommandProviderOptions, 'command' | 'cwd'>): Promise<{ ok: boolean; message: string }> {
  if (opts.cwd) {
    const dir = expandHome(opts.cwd);
    const stat = await fs.stat(dir).catch(() => undefined);
    if (!stat?.isDirectory()) return { ok: false, message: `working directory not found: ${dir}` };
  }
  const found = await findProgram(opts.command, opts.cwd);
  return found
    ? { ok: true, message: `${found} is executable` }
    : { ok: false, message: `program not found or not executable: ${opts.command}` };
}

/**
 * A local program run once per message. Its stdout is the answer (streamed); stderr is kept for
 * error messages. Spawned without a shell, so nothing in the message is ever interpreted.
 */
export class CommandProvider implements AgentProvider {
  readonly acceptsImages = false;
  readonly readsLocalFiles = true;

  constructor(private readonly opts: CommandProviderOptions) {}

  async *stream(request: AgentRequest): AsyncIterable<string> {
    const { context, signal } = request;
    signal.throwIfAborted();
    const message = [...request.turns].reverse().find((t) => t.role === 'user')?.text ?? '';
    const values = {
      message,
      chat_id: context.chatId,
      sender: context.senderOpenId,
      thread_id: context.threadId ?? '',
      platform: context.platform,
    };
    const templates = this.opts.args ?? [];
    const args = templates.map((a) => substitute(a, values));
    const optionLike = optionLikeArgument(templates, args);
    if (optionLike !== undefined) {
      throw new AgentError(
        `argument ${optionLike + 1} would start with "-": not passed to ${this.opts.command} (put "--" before {message} in args if the program accepts it, or use input "stdin")`,
        { key: 'program.optionLikeMessage' },
      );
    }
    const cwd = this.opts.cwd ? expandHome(this.opts.cwd) : undefined;
    const useStdin = (this.opts.input ?? 'stdin') === 'stdin';
    const timeoutMs = (this.opts.timeoutSec ?? 600) * 1000;
    const program = this.opts.command;

    if (cwd && !(await fs.stat(cwd).catch(() => undefined))?.isDirectory()) {
      throw new AgentError(`working directory not found: ${cwd}`, { key: 'program.noWorkingDir' });
    }
    const resolved = (await findProgram(program, cwd)) ?? expandHome(program);

    // Its own process group (POSIX), so everything it starts ends with it (process-tree.ts).
    const child = spawn(resolved, args, {
      cwd,
      shell: false,
      stdio: [useStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      windowsHide: true,
      detached: process.platform !== 'win32',
      env: childEnvironment(process.env, this.opts.env),
    });
    const tree = new ProcessTree(child, this.opts.killGraceMs ?? 3000);

    // A queue between the child's events and this generator.
    const queue: string[] = [];
    let wake: (() => void) | undefined;
    const notify = () => {
      wake?.();
      wake = undefined;
    };
    let ended: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: NodeJS.ErrnoException | undefined;
    let stderr = '';
    let timedOut = false;
    const decoder = new StringDecoder('utf8');
    const errDecoder = new StringDecoder('utf8');

    const kill = () => tree.end();
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
      notify();
    }, timeoutMs);
    const onAbort = () => {
      kill();
      notify();
    };
    signal.addEventListener('abort', onAbort, { once: true });

    child.stdout?.on('data', (chunk: Buffer) => {
      const text = decoder.write(chunk);
      if (text) queue.push(text);
      notify();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + errDecoder.write(chunk)).slice(-STDERR_TAIL);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
      notify();
    });
    // The program is done: whatever it left running in its group goes too (it may hold stdout open).
    child.on('exit', () => tree.end());
    child.on('close', (code, sig) => {
      const rest = decoder.end();
      if (rest) queue.push(rest);
      stderr = (stderr + errDecoder.end()).slice(-STDERR_TAIL);
      ended = { code, signal: sig };
      notify();
    });
    if (useStdin && child.stdin) {
      child.stdin.on('error', () => undefined); // the program may exit without reading it
      child.stdin.end(message);
    }

    try {
      for (;;) {
        while (queue.length > 0) {
          if (signal.aborted || timedOut) break;
          yield queue.shift()!;
        }
        if (signal.aborted || timedOut || spawnError || ended) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      if (spawnError) {
        if (spawnError.code === 'ENOENT') throw new AgentError(`program not found: ${program}`, { key: 'program.notFound' });
        if (spawnError.code === 'EACCES') throw new AgentError(`program not executable: ${program}`, { key: 'program.notExecutable' });
        throw new AgentError(`cannot run ${program}: ${spawnError.message}`, { key: 'program.cannotStart' });
      }
      if (signal.aborted) signal.throwIfAborted();
      if (timedOut) {
        throw new AgentError(`${program} did not finish within ${timeoutMs / 1000} s and was killed`, { key: 'agent.timeout' });
      }
      if (ended && ended.code !== 0) {
        const tail = stderr.trim();
        const how = ended.code !== null ? `exited with code ${ended.code}` : `was killed by ${ended.signal}`;
        // The end of stderr (paths, stack traces) goes to the log, never to the chat.
        throw new AgentError(`${program} ${how}${tail ? `: ${tail}` : ''}`, { key: 'program.failed', params: { how } });
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      // Consumer went away early (or an error above): the program, and all it started, must not
      // outlive the run; the run ends only once they are gone (so shutdown waits for them).
      if (!ended) kill();
      await tree.gone();
    }
  }
}
