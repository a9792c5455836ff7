import type http from 'node:http';
import { LoopbackHttp, readBody } from '../fakes/loopback-http';

export interface KocoroMessage {
  text: string;
  agent: string;
  source: string;
  channel: string;
  sender: string;
  thread_id?: string;
}

export interface FakeKocoroOptions {
  /** What the agent answers; defaults to "<agent> says: <text>". */
  reply?: (message: KocoroMessage) => string;
  /** Characters per `delta` event. */
  chunkChars?: number;
  /** Pause between deltas, to play a slow agent. */
  chunkDelayMs?: number;
  /** `done.reply` differs from the streamed deltas (the daemon's final text is authoritative). */
  finalReply?: (message: KocoroMessage) => string;
  /** Sends an `error` event instead of an answer. */
  error?: string;
  agents?: Array<{ name: string; display_name?: string; description?: string; builtin?: boolean }>;
}

/** A loopback stand-in for a local Kocoro daemon: `/agents`, `/health`, `/message` (SSE), `/cancel`. */
export class FakeKocoro {
  readonly messages: KocoroMessage[] = [];
  readonly cancels: Array<Record<string, unknown>> = [];
  /** Streams whose client went away before `done`. */
  closedEarly = 0;

  private http!: LoopbackHttp;

  private constructor(public options: FakeKocoroOptions) {}

  static async start(options: FakeKocoroOptions = {}): Promise<FakeKocoro> {
    const fake = new FakeKocoro(options);
    fake.http = await LoopbackHttp.start((req, res) => fake.handle(req, res));
    return fake;
  }

  get url(): string {
    return `${this.http.origin}`;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const body = raw.length ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
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
    if (req.method === 'POST' && req.url === '/message') return this.message(body as unknown as KocoroMessage, req, res);
    return json(res, 404, { error: 'not found' });
  }

  private async message(message: KocoroMessage, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.messages.push(message);
    const text = (this.options.reply ?? ((m) => `${m.agent} says: ${m.text}`))(message);
    if (!String(req.headers.accept).includes('text/event-stream')) {
      return json(res, 200, { reply: text, session_id: 's1', agent: message.agent, usage: {} });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let closed = false;
    let finished = false;
    res.on('close', () => {
      closed = true;
      if (!finished) this.closedEarly++;
    });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (this.options.error) {
      send('error', { error: this.options.error });
      finished = true;
      return void res.end();
    }
    send('tool', { name: 'web_search', status: 'running' });
    const size = this.options.chunkChars ?? 4;
    for (let i = 0; i < text.length && !closed; i += size) {
      send('delta', { text: text.slice(i, i + size) });
      if (this.options.chunkDelayMs) await new Promise((r) => setTimeout(r, this.options.chunkDelayMs));
    }
    if (closed) return;
    finished = true;
    const reply = this.options.finalReply ? this.options.finalReply(message) : text;
    send('done', { reply, session_id: 's1', agent: message.agent, usage: { input_tokens: 1, output_tokens: 1 } });
    res.end();
  }
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
