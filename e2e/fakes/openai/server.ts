import type http from 'node:http';
import { LoopbackHttp, readBody } from '../loopback-http';

export interface FakeOpenAiOptions {
  /** What the model answers; defaults to "You said: <last user message>". */
  reply?: (request: ChatRequest) => string;
  /** Characters per streamed chunk. */
  chunkChars?: number;
  /** Pause between chunks, to play a slow model. */
  chunkDelayMs?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

export interface ChatRequest {
  model: string;
  stream?: boolean;
  messages: Array<{ role: string; content: unknown }>;
  [key: string]: unknown;
}

/** A loopback stand-in for an OpenAI-compatible `/v1/chat/completions` endpoint, streaming as SSE. */
export class FakeOpenAi {
  readonly requests: ChatRequest[] = [];
  /** The headers of every request, to see which credentials reached this host. */
  readonly requestHeaders: http.IncomingHttpHeaders[] = [];
  /** Requests whose client went away before the answer was complete (cancellation). */
  aborted = 0;
  /** Most answers streamed at the same time, to observe parallelism. */
  maxConcurrent = 0;
  private inFlight = 0;
  private failures: Array<{ status: number; body: object }> = [];

  private http!: LoopbackHttp;

  private constructor(public options: FakeOpenAiOptions) {}

  static async start(options: FakeOpenAiOptions = {}): Promise<FakeOpenAi> {
    const fake = new FakeOpenAi(options);
    fake.http = await LoopbackHttp.start((req, res) => fake.handle(req, res));
    return fake;
  }

  get baseUrl(): string {
    return `${this.http.origin}/v1`;
  }

  /** The next request fails with this HTTP status and OpenAI-style error body. */
  failNext(status: number, message = 'injected failure'): void {
    this.failures.push({ status, body: { error: { message, type: 'invalid_request_error', code: null } } });
  }

  close(): Promise<void> {
    return this.http.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    this.requestHeaders.push(req.headers);
    if (req.method === 'GET' && req.url?.endsWith('/models')) {
      if (this.options.apiKey && req.headers.authorization !== `Bearer ${this.options.apiKey}`) {
        return json(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
      }
      return json(res, 200, { object: 'list', data: [{ id: 'llama3.2', object: 'model', created: 0, owned_by: 'local' }] });
    }
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      return json(res, 404, { error: { message: 'not found' } });
    }
    if (this.options.apiKey && req.headers.authorization !== `Bearer ${this.options.apiKey}`) {
      return json(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    const failure = this.failures.shift();
    if (failure) return json(res, failure.status, failure.body);
    let body: ChatRequest;
    try {
      body = JSON.parse(raw.toString('utf8')) as ChatRequest;
    } catch {
      return json(res, 400, { error: { message: 'invalid JSON' } });
    }
    this.requests.push(body);
    const text = (this.options.reply ?? defaultReply)(body);
    const id = `chatcmpl-${this.requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) {
      return json(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let closed = false;
    this.inFlight++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.inFlight);
    res.on('close', () => {
      this.inFlight--;
      if (!res.writableEnded) {
        closed = true;
        this.aborted++;
      }
    });
    const send = (delta: object, finish: string | null) =>
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
      );
    send({ role: 'assistant', content: '' }, null);
    const size = this.options.chunkChars ?? 8;
    const chars = [...text];
    for (let i = 0; i < chars.length && !closed; i += size) {
      if (this.options.chunkDelayMs) await new Promise((r) => setTimeout(r, this.options.chunkDelayMs));
      if (closed) break;
      send({ content: chars.slice(i, i + size).join('') }, null);
    }
    if (closed) return;
    send({}, 'stop');
    res.end('data: [DONE]\n\n');
  }
}

function defaultReply(request: ChatRequest): string {
  const last = [...request.messages].reverse().find((m) => m.role === 'user');
  return `You said: ${contentText(last?.content)}`;
}

/** A message's content as text: a string as is; content parts as their text, each image as `[image]`. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return JSON.stringify(content);
  return content
    .map((part: { type?: string; text?: string }) =>
      part.type === 'text' ? (part.text ?? '') : part.type === 'image_url' ? '[image]' : `[${part.type ?? '?'}]`,
    )
    .join(' ');
}

function json(res: http.ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
