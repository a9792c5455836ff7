import OpenAI from 'openai';
import { AgentError, type AgentImage, type AgentProvider, type AgentRequest, type AgentTurn } from './provider';

export interface OpenAiProviderOptions {
  baseUrl?: string;
  apiKey?: string;
  model: string;
  temperature?: number;
  timeoutMs?: number;
  /**
   * Whether the model is sent the user's images (as `image_url` parts with data URLs). Default true;
   * turn it off for text-only models, which reject such parts.
   */
  acceptsImages?: boolean;
}

/** Any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, LM Studio, vLLM…), streamed. */
export class OpenAiProvider implements AgentProvider {
  private readonly client: OpenAI;
  readonly acceptsImages: boolean;

  constructor(private readonly opts: OpenAiProviderOptions) {
    this.acceptsImages = opts.acceptsImages ?? true;
    this.client = new OpenAI({
      baseURL: opts.baseUrl,
      // Local servers (Ollama, LM Studio) accept any key; the client insists on one.
      apiKey: opts.apiKey || 'not-needed',
      timeout: opts.timeoutMs ?? 120_000,
      maxRetries: 2,
    });
  }

  async *stream(request: AgentRequest): AsyncIterable<string> {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [];
    if (request.systemPrompt) messages.push({ role: 'system', content: request.systemPrompt });
    for (const turn of request.turns) messages.push(this.message(turn));

    let stream: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>;
    try {
      stream = await this.client.chat.completions.create(
        {
          model: this.opts.model,
          messages,
          stream: true,
          ...(this.opts.temperature !== undefined ? { temperature: this.opts.temperature } : {}),
        },
        { signal: request.signal },
      );
    } catch (err) {
      throw describeOpenAiError(err, this.opts);
    }
    try {
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta?.content;
        if (delta) yield delta;
      }
    } catch (err) {
      throw describeOpenAiError(err, this.opts);
    }
    // The client ends the stream quietly on abort; a cut-off answer must not pass for a whole one.
    request.signal.throwIfAborted();
  }

  /** A user turn with images becomes text plus `image_url` parts (data URLs); everything else is plain text. */
  private message(turn: AgentTurn): OpenAI.Chat.ChatCompletionMessageParam {
    if (turn.role === 'assistant') return { role: 'assistant', content: turn.text };
    const images = this.acceptsImages ? (turn.images ?? []) : [];
    if (images.length === 0) return { role: 'user', content: turn.text };
    return {
      role: 'user',
      content: [
        { type: 'text', text: turn.text },
        ...images.map((image) => ({ type: 'image_url' as const, image_url: { url: dataUrl(image) } })),
      ],
    };
  }
}

function dataUrl(image: AgentImage): string {
  return `data:${image.mimeType};base64,${image.dataBase64}`;
}

function describeOpenAiError(err: unknown, opts: OpenAiProviderOptions): Error {
  if (err instanceof OpenAI.APIUserAbortError) return err;
  const where = opts.baseUrl ?? 'api.openai.com';
  if (err instanceof OpenAI.AuthenticationError) {
    return new AgentError(`model endpoint ${where} rejected the API key (401)`, { key: 'agent.keyRejected' });
  }
  if (err instanceof OpenAI.NotFoundError) {
    return new AgentError(`model "${opts.model}" not found at ${where}`, { key: 'agent.modelNotFound', params: { model: opts.model } });
  }
  if (err instanceof OpenAI.RateLimitError) {
    return new AgentError(`model endpoint ${where} is rate limiting`, { key: 'agent.rateLimited' });
  }
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new AgentError(`model endpoint ${where} timed out`, { key: 'agent.timeout' });
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return new AgentError(`cannot reach model endpoint ${where}`, { key: 'agent.notRunning' });
  }
  if (err instanceof OpenAI.APIError) {
    return new AgentError(`model endpoint ${where} failed: ${err.status ?? ''} ${err.message}`, { key: 'agent.failed' });
  }
  return err instanceof Error ? err : new Error(String(err));
}
