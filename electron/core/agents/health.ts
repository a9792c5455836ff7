import type { ProviderConfig } from '@shared/config-schema';
import { commandHealth } from './command-provider';
import { kocoroHealth } from './kocoro-provider';
import { errorMessage } from '../log/error-message';

export interface ProviderHealth {
  ok: boolean;
  message: string;
}

/** A quick check that an agent's backend answers, for the Agents page's "Check" button. */
export async function providerHealth(config: ProviderConfig): Promise<ProviderHealth> {
  switch (config.type) {
    case 'echo':
      return { ok: true, message: 'The echo agent is always ready.' };
    case 'kocoro':
      return kocoroHealth({ url: config.url, stateDir: config.stateDir });
    case 'command':
      return commandHealth({ command: config.command, cwd: config.cwd });
    case 'anthropic': {
      // Loaded when asked for, like the provider itself (lazy-provider.ts).
      const { AnthropicProvider } = await import('./anthropic-provider');
      return new AnthropicProvider({ apiKey: config.apiKey, model: config.model, baseUrl: config.baseUrl }).health();
    }
    case 'openai':
      return openAiHealth(config);
  }
}

/** `GET {baseUrl}/models` with the key: accepted, rejected, or unreachable. */
async function openAiHealth(config: Extract<ProviderConfig, { type: 'openai' }>): Promise<ProviderHealth> {
  const where = config.baseUrl ?? 'api.openai.com';
  const { default: OpenAI } = await import('openai');
  const client = new OpenAI({ baseURL: config.baseUrl, apiKey: config.apiKey || 'not-needed', timeout: 10_000, maxRetries: 0 });
  try {
    await client.models.list();
    return { ok: true, message: `${where} answers and accepts the API key` };
  } catch (err) {
    if (err instanceof OpenAI.AuthenticationError) return { ok: false, message: `${where} rejected the API key (401)` };
    if (err instanceof OpenAI.APIConnectionError) return { ok: false, message: `cannot reach ${where}` };
    // Some compatible servers have no /models: they answer, which is what matters here.
    if (err instanceof OpenAI.NotFoundError) return { ok: true, message: `${where} answers (it has no model list)` };
    if (err instanceof OpenAI.APIError) return { ok: false, message: `${where} answered ${err.status ?? ''} ${err.message}`.trim() };
    return { ok: false, message: errorMessage(err) };
  }
}
