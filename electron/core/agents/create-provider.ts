import type { ProviderConfig } from '../../../shared/config-schema';
import { EchoProvider } from './echo-provider';
import { OpenAiProvider } from './openai-provider';
import type { AgentProvider } from './provider';

/** Builds the provider for an agent's (secret-resolved) provider config. */
export function createProvider(config: ProviderConfig): AgentProvider {
  switch (config.type) {
    case 'echo':
      return new EchoProvider();
    case 'openai':
      return new OpenAiProvider({ baseUrl: config.baseUrl, apiKey: config.apiKey, model: config.model, temperature: config.temperature });
  }
}
