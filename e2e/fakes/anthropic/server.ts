import type http from 'node:http';
import { LoopbackHttp, readBody } from '../loopback-http';

export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  system?: string;
  stream?: boolean;
  messages: Array<{ role: string; content: unknown }>;
  [key: string]: unknown;
}

export interface FakeAnthropicOptions {
  /** What Claude answers; defaults to "You said: <last user text>". */
  reply?: (request: AnthropicRequest) => string;
  chunkChars?: number;
  chunkDelayMs?: number;
  /** When set, requests must carry `x-api-key: <apiKey>`. */
  apiKey?: string;
  /** Models that exist; another model gets a 404 not_found_error. Default: any. */
  models?: string[];
}

/**
 * A loopback stand-in for Anthropic's Messages API (`POST /v1/messages`, `GET /v1/models`),
 * streaming the real event sequence: message_start, content_block_start, content_block_delta
 * (text_delta)…, content_block_stop, message_delta, message_stop.
 */
export class FakeAnthropic {
  readonly requests: AnthropicRequest[] = [];
  readonly headers: http.IncomingHttpHeaders[] = [];
  /** Streams whose client went away before message_stop. */
  aborted = 0;

  private http!: LoopbackHttp;

  private constructor(public options: FakeAnthropicOptions) {}

  static async start(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
    const fake = new FakeAnthropic(options);
    fake.http = await LoopbackHttp.start((req, res) => fake.handle(req, res));
    return fake;
  }

  /** For the SDK's `baseURL` (it appends `/v1/...`). */
  get baseUrl(): string {
    return `${this.http.origin}`;
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    if (this.options.apiKey && req.headers['x-api-key'] !== this.options.apiKey) {
      return error(res, 401, 'authentication_error', 'invalid x-api-key');
    }
    const url = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && url === '/v1/models') {
      const ids = this.options.models ?? ['claude-sonnet-4-5'];
      return json(res, 200, {
        data: ids.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-09-29T00:00:00Z' })),
        has_more: false,
        first_id: ids[0] ?? null,
        last_id: ids.at(-1) ?? null,
      });
    }
    if (req.method !== 'POST' || url !== '/v1/messages') return error(res, 404, 'not_found_error', 'Not found');
    const body = JSON.parse(raw.toString('utf8')) as AnthropicRequest;
    this.requests.push(body);
    this.headers.push(req.headers);
    if (this.options.models && !this.options.models.includes(body.model)) return error(res, 404, 'not_found_error', `model: ${body.model}`);
    const text = (this.options.reply ?? defaultReply)(body);
    const id = `msg_${this.requests.length}`;
    if (!body.stream) {
      return json(res, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 10 },
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let closed = false;
    let finished = false;
    res.on('close', () => {
      closed = true;
      if (!finished) this.aborted++;
    });
    const send = (event: string, data: object) => res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
    send('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 1 },
      },
    });
    send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    send('ping', {});
    const size = this.options.chunkChars ?? 4;
    for (let i = 0; i < text.length && !closed; i += size) {
      send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: text.slice(i, i + size) } });
      if (this.options.chunkDelayMs) await new Promise((r) => setTimeout(r, this.options.chunkDelayMs));
    }
    if (closed) return;
    send('content_block_stop', { index: 0 });
    send('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 10 } });
    finished = true;
    send('message_stop', {});
    res.end();
  }
}

function defaultReply(request: AnthropicRequest): string {
  const last = [...request.messages].reverse().find((m) => m.role === 'user');
  const content = last?.content;
  const text =
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content.map((c: { type?: string; text?: string }) => (c.type === 'text' ? c.text : '')).join('')
        : '';
  return `You said: ${text}`;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function error(res: http.ServerResponse, status: number, type: string, message: string): void {
  json(res, status, { type: 'error', error: { type, message } });
}
