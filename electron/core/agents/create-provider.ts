import type { ProviderConfig } from '@shared/config-schema';
import { AnthropicProvider } from './anthropic-provider';
import { CommandProvider } from './command-provider';
import { EchoProvider } from './echo-provider';
import { KocoroProvider } from './kocoro-provider';
import { OpenAiProvider } from './openai-provider';
import type { AgentProvider } from './provider';

/** Builds the provider for an agent's (secret-resolved) provider config. */
export function createProvider(config: ProviderConfig): AgentProvider {
  switch (config.type) {
    case 'echo':
      return new EchoProvider();
    case 'openai':
      return new OpenAiProvider({ baseUrl: config.baseUrl, apiKey: config.apiKey, model: config.model, temperature: config.temperature });
    case 'kocoro':
      return new KocoroProvider({ url: config.url, agent: config.agent });
    case 'anthropic':
      return new AnthropicProvider({ apiKey: config.apiKey, model: config.model, baseUrl: config.baseUrl });
    case 'command':
      return new CommandProvider({
        command: config.command,
        args: config.args,
        input: config.input,
        cwd: config.cwd,
        timeoutSec: config.timeoutSec,
        env: config.env,
      });
  }
}
