import Anthropic from '@anthropic-ai/sdk';
import { AgentError, type AgentProvider, type AgentRequest, type AgentTurn } from './provider';

export interface AnthropicProviderOptions {
  apiKey?: string;
  model: string;
  baseUrl?: string;
  maxTokens?: number;
  timeoutMs?: number;
  /** Retries on connection errors, 429 and 5xx (the SDK's default is 2). */
  maxRetries?: number;
}

type ImageMediaType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp';
const IMAGE_TYPES = new Set<string>(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** Anthropic's Messages API (Claude), streamed, through the official SDK. */
export class AnthropicProvider implements AgentProvider {
  readonly acceptsImages = true;
  private readonly client: Anthropic;

  constructor(private readonly opts: AnthropicProviderOptions) {
    this.client = new Anthropic({
      apiKey: opts.apiKey || 'missing-key',
      ...(opts.baseUrl ? { baseURL: opts.baseUrl } : {}),
      timeout: opts.timeoutMs ?? 120_000,
      maxRetries: opts.maxRetries ?? 2,
    });
  }

  async *stream(request: AgentRequest): AsyncIterable<string> {
    if (!this.opts.apiKey) {
      throw new AgentError('no Anthropic API key configured', { key: 'agent.noApiKey' });
    }
    try {
      const stream = await this.client.messages.create(
        {
          model: this.opts.model,
          max_tokens: this.opts.maxTokens ?? 4096,
          ...(request.systemPrompt ? { system: request.systemPrompt } : {}),
          messages: request.turns.map((t) => this.message(t)),
          stream: true,
        },
        { signal: request.signal },
      );
      for await (const event of stream) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta' && event.delta.text) yield event.delta.text;
      }
    } catch (err) {
      if (request.signal.aborted) request.signal.throwIfAborted();
      throw describeAnthropicError(err, this.opts);
    }
    request.signal.throwIfAborted();
  }

  /** `client.models.list()`: cheap, and it checks the key. */
  async health(): Promise<{ ok: boolean; message: string }> {
    if (!this.opts.apiKey) return { ok: false, message: 'no API key configured' };
    try {
      const page = await this.client.models.list({ limit: 100 }, { timeout: 10_000, maxRetries: 0 });
      const known = page.data.some((m) => m.id === this.opts.model);
      return { ok: true, message: known ? `API key accepted; model ${this.opts.model} is available` : `API key accepted` };
    } catch (err) {
      const e = describeAnthropicError(err, this.opts);
      return { ok: false, message: e.message };
    }
  }

  private message(turn: AgentTurn): Anthropic.MessageParam {
    if (turn.role === 'assistant') return { role: 'assistant', content: turn.text };
    const images = (turn.images ?? []).filter((i) => IMAGE_TYPES.has(i.mimeType));
    if (images.length === 0) return { role: 'user', content: turn.text };
    return {
      role: 'user',
      content: [
        ...images.map((i) => ({
          type: 'image' as const,
          source: { type: 'base64' as const, media_type: i.mimeType as ImageMediaType, data: i.dataBase64 },
        })),
        { type: 'text' as const, text: turn.text },
      ],
    };
  }
}

function describeAnthropicError(err: unknown, opts: AnthropicProviderOptions): Error {
  if (err instanceof Anthropic.APIUserAbortError) return err;
  const where = opts.baseUrl ?? 'api.anthropic.com';
  if (err instanceof Anthropic.AuthenticationError) {
    return new AgentError(`Anthropic endpoint ${where} rejected the API key (401)`, { key: 'agent.keyRejected' });
  }
  if (err instanceof Anthropic.NotFoundError) {
    return new AgentError(`model "${opts.model}" not found at ${where}`, { key: 'agent.modelNotFound', params: { model: opts.model } });
  }
  if (err instanceof Anthropic.RateLimitError) {
    return new AgentError(`Anthropic endpoint ${where} is rate limiting`, { key: 'agent.rateLimited' });
  }
  if (err instanceof Anthropic.APIConnectionTimeoutError) {
    return new AgentError(`Anthropic endpoint ${where} timed out`, { key: 'agent.timeout' });
  }
  if (err instanceof Anthropic.APIConnectionError) {
    return new AgentError(`cannot reach Anthropic endpoint ${where}`, { key: 'agent.unreachable' });
  }
  if (err instanceof Anthropic.APIError) {
    return new AgentError(`Anthropic endpoint ${where} failed: ${err.status ?? ''} ${err.message}`, { key: 'agent.failed' });
  }
  return err instanceof Error ? err : new Error(String(err));
}
