import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { LoopbackHttp, readBody } from '../loopback-http';

export interface KocoroMessage {
  text: string;
  agent: string;
  source: string;
  channel: string;
  sender: string;
  thread_id?: string;
}

/** One tool call the fake agent makes before it answers. */
export interface FakeToolCall {
  tool: string;
  /** The call's arguments (sent as a JSON string, as the daemon does). */
  args?: Record<string, unknown>;
  /** Needs consent: an `approval` event, then the agent blocks until `POST /approval` or the timeout. */
  approval?: boolean;
  /** The approval's `flags` (e.g. `always_allow_disabled`). */
  flags?: string[];
  /** How long the tool runs once allowed. */
  runMs?: number;
  /** The call fails (`is_error: true`) even when allowed. */
  fails?: boolean;
  /** Narration (`assistant_text`) the agent sends before this call. */
  narration?: string;
}

export type FakeDecision = 'allow' | 'deny' | 'always_allow' | 'timeout' | 'cancelled';

export interface FakeApprovalRecord {
  requestId: string;
  tool: string;
  message: KocoroMessage;
  /** When the `approval` event was sent, and how it ended (undefined while it waits). */
  askedAt: number;
  decision?: FakeDecision;
  decidedAt?: number;
}

export interface FakeKocoroOptions {
  /** What the agent answers; defaults to "<agent> says: <text>", plus what it was not allowed to do. */
  reply?: (message: KocoroMessage, denied: string[]) => string;
  /** Characters per `delta` event. */
  chunkChars?: number;
  /** Pause between deltas, to play a slow agent. */
  chunkDelayMs?: number;
  /** `done.reply` differs from the streamed deltas (the daemon's final text is authoritative). */
  finalReply?: (message: KocoroMessage) => string;
  /** Send no deltas: the text arrives in `done` only, as the real daemon does in practice. */
  replyInDoneOnly?: boolean;
  /** Sends an `error` event instead of an answer. */
  error?: string;
  /** Tool calls before the answer (the daemon's `tool` running/completed events, `approval` when needed). */
  tools?: FakeToolCall[] | ((message: KocoroMessage) => FakeToolCall[]);
  /** The daemon denies an approval nobody answered after this long (its `ApprovalTimeout`, 5 minutes). */
  approvalTimeoutMs?: number;
  /** `done.usage`. */
  usage?: Record<string, number>;
  agents?: Array<{ name: string; display_name?: string; description?: string; builtin?: boolean }>;
  /**
   * The daemon's state folder (its `--state-dir`, ~/.shannon by default), where it writes its pid
   * file; a new temporary folder when absent (`stateDir` names it, for the agent's config).
   */
  stateDir?: string;
}

/** `AcquirePIDFile` (internal/daemon/pidfile.go): `<pid>\n` in `<stateDir>/daemon.pid`, 0600, in a 0700 folder. */
export async function writeDaemonPidFile(stateDir: string, pid: number): Promise<string> {
  await fs.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const file = path.join(stateDir, 'daemon.pid');
  await fs.writeFile(file, `${pid}\n`, { mode: 0o600 });
  await fs.chmod(file, 0o600);
  return file;
}

interface Waiting {
  record: FakeApprovalRecord;
  resolve: (decision: FakeDecision) => void;
}

/**
 * A loopback stand-in for a local Kocoro daemon: `/agents`, `/health`, `/message` (SSE or JSON),
 * `/cancel`, `/approval`, modelled on the daemon's source as electron/core/agents/README.md
 * describes it: in SSE mode a tool needing
 * consent emits `approval` and blocks the run until `POST /approval {request_id, decision}` or
 * the timeout (then denied); the stream's end cancels what still waits. JSON mode auto-approves.
 */
export class FakeKocoro {
  readonly messages: KocoroMessage[] = [];
  readonly cancels: Array<Record<string, unknown>> = [];
  /** Every approval asked for, live objects. */
  readonly approvals: FakeApprovalRecord[] = [];
  /** Bodies of `POST /approval`, valid or not. */
  readonly approvalPosts: Array<Record<string, unknown>> = [];
  /** Streams whose client went away before `done`. */
  closedEarly = 0;

  private readonly waiting = new Map<string, Waiting>();
  private http!: LoopbackHttp;
  private pidFile = '';
  private ownStateDir = false;

  private constructor(
    public options: FakeKocoroOptions,
    readonly stateDir: string,
  ) {}

  /** Like `shan daemon start`: the pid file first (this process is the daemon), then the port. */
  static async start(options: FakeKocoroOptions = {}): Promise<FakeKocoro> {
    const stateDir = options.stateDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'fake-shannon-')));
    const fake = new FakeKocoro(options, stateDir);
    fake.ownStateDir = options.stateDir === undefined;
    fake.pidFile = await writeDaemonPidFile(stateDir, process.pid);
    fake.http = await LoopbackHttp.start((req, res) => fake.handle(req, res));
    return fake;
  }

  get url(): string {
    return `${this.http.origin}`;
  }

  /** Resolves with the next approval asked for (or one already waiting). */
  async nextApproval(timeoutMs = 5_000): Promise<FakeApprovalRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const open = this.approvals.find((a) => a.decision === undefined);
      if (open) return open;
      if (Date.now() > deadline) throw new Error('fake-kocoro: no approval was asked for');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Like the daemon's exit: the port closes and `PIDFile.Close` removes the pid file. */
  async close(): Promise<void> {
    for (const w of this.waiting.values()) w.resolve('cancelled');
    await this.http.close();
    await fs.rm(this.ownStateDir ? this.stateDir : this.pidFile, { recursive: true, force: true });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let body: Record<string, unknown>;
    try {
      body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return json(res, 400, { error: 'invalid request body' });
    }
    if (req.method === 'GET' && req.url === '/health') return json(res, 200, { status: 'ok' });
    if (req.method === 'GET' && req.url === '/agents') {
      return json(res, 200, {
        agents: this.options.agents ?? [
          { name: 'default', display_name: 'Default', description: 'General assistant', builtin: true },
          { name: 'research', display_name: 'Research', description: 'Finds things out', builtin: false },
        ],
      });
    }
    if (req.method === 'POST' && req.url === '/cancel') {
      this.cancels.push(body);
      return json(res, 200, { cancelled: true });
    }
    if (req.method === 'POST' && req.url === '/approval') return this.approval(body, res);
    if (req.method === 'POST' && req.url === '/message') return this.message(body as unknown as KocoroMessage, req, res);
    return json(res, 404, { error: 'not found' });
  }

  /** `handleApproval`: 400 without `request_id` or with another decision; otherwise `{ok:true}`, whether or not it still waited. */
  private approval(body: Record<string, unknown>, res: http.ServerResponse): void {
    this.approvalPosts.push(body);
    if (typeof body.request_id !== 'string' || body.request_id === '') return json(res, 400, { error: 'request_id required' });
    const decision = body.decision;
    if (decision !== 'allow' && decision !== 'deny' && decision !== 'always_allow') {
      return json(res, 400, { error: 'decision must be allow, deny, or always_allow' });
    }
    this.waiting.get(body.request_id)?.resolve(decision);
    return json(res, 200, { ok: true });
  }

  private async message(message: KocoroMessage, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.messages.push(message);
    const sse = String(req.headers.accept).includes('text/event-stream');
    const calls = typeof this.options.tools === 'function' ? this.options.tools(message) : (this.options.tools ?? []);
    if (!sse) {
      // JSON mode: every tool is auto-approved (channel guide, "JSON vs SSE").
      return json(res, 200, {
        reply: this.replyText(message, []),
        session_id: 's1',
        agent: message.agent,
        usage: this.options.usage ?? {},
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let closed = false;
    let finished = false;
    res.on('close', () => {
      closed = true;
      if (!finished) this.closedEarly++;
      // The daemon cancels this request's pending approvals when the stream ends (`CancelAll`).
      for (const w of this.waiting.values()) if (w.record.message === message) w.resolve('cancelled');
    });
    const send = (event: string, data: unknown) => {
      if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    send('session_started', { session_id: 's1' });
    if (this.options.error) {
      send('error', { error: this.options.error });
      finished = true;
      return void res.end();
    }
    const denied: string[] = [];
    for (const [i, call] of calls.entries()) {
      if (closed) return;
      if (call.narration) send('assistant_text', { text: call.narration });
      const started = Date.now();
      const toolUseId = `toolu_${i}_${randomBytes(4).toString('hex')}`;
      const args = JSON.stringify(call.args ?? {});
      // The running frame's args are redacted and cut to 200 bytes by the daemon.
      send('tool', { tool: call.tool, tool_use_id: toolUseId, status: 'running', args: args.slice(0, 200) });
      let decision: FakeDecision = 'allow';
      if (call.approval) decision = await this.ask(message, call, args, send);
      if (closed) return;
      const allowed = decision === 'allow' || decision === 'always_allow';
      if (!allowed) denied.push(call.tool);
      if (allowed && call.runMs) await new Promise((r) => setTimeout(r, call.runMs));
      send('tool', {
        tool: call.tool,
        tool_use_id: toolUseId,
        status: 'completed',
        elapsed: (Date.now() - started) / 1000,
        is_error: !allowed || Boolean(call.fails),
        preview: allowed ? (call.fails ? 'error: failed' : 'ok') : 'tool call was denied by the user',
      });
    }
    const text = this.replyText(message, denied);
    const size = this.options.chunkChars ?? 4;
    if (!this.options.replyInDoneOnly) {
      for (let i = 0; i < text.length && !closed; i += size) {
        send('delta', { text: text.slice(i, i + size) });
        if (this.options.chunkDelayMs) await new Promise((r) => setTimeout(r, this.options.chunkDelayMs));
      }
    }
    if (closed) return;
    finished = true;
    const reply = this.options.finalReply ? this.options.finalReply(message) : text;
    const usage = this.options.usage ?? { input_tokens: 1, output_tokens: 1, total_tokens: 2, cost_usd: 0 };
    send('done', { reply, session_id: 's1', agent: message.agent, usage });
    res.end();
  }

  /** `OnApprovalNeeded` → `ApprovalBroker.Request`: the `approval` frame, then the run waits for the decision. */
  private ask(
    message: KocoroMessage,
    call: FakeToolCall,
    args: string,
    send: (event: string, data: unknown) => void,
  ): Promise<FakeDecision> {
    const requestId = `apr_${randomBytes(8).toString('hex')}`;
    const record: FakeApprovalRecord = { requestId, tool: call.tool, message, askedAt: Date.now() };
    this.approvals.push(record);
    const description = typeof call.args?.description === 'string' ? call.args.description.trim() : '';
    return new Promise<FakeDecision>((resolve) => {
      const timer = setTimeout(() => done('timeout'), this.options.approvalTimeoutMs ?? 5 * 60_000);
      const done = (decision: FakeDecision) => {
        if (record.decision) return;
        clearTimeout(timer);
        this.waiting.delete(requestId);
        record.decision = decision;
        record.decidedAt = Date.now();
        resolve(decision);
      };
      this.waiting.set(requestId, { record, resolve: done });
      send('approval', {
        session_id: 's1',
        source: message.source,
        channel: '',
        thread_id: '',
        request_id: requestId,
        tool: call.tool,
        title: description || call.tool,
        args,
        agent: message.agent === 'default' ? '' : message.agent,
        ...(call.flags?.length ? { flags: call.flags } : {}),
      });
    });
  }

  private replyText(message: KocoroMessage, denied: string[]): string {
    if (this.options.reply) return this.options.reply(message, denied);
    const base = `${message.agent} says: ${message.text}`;
    return denied.length ? `${base} (not allowed: ${denied.join(', ')})` : base;
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
