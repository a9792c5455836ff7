import type { ProviderConfig } from '@shared/config-schema';
import { CommandProvider } from './command-provider';
import { EchoProvider } from './echo-provider';
import { KocoroProvider } from './kocoro-provider';
import { LazyProvider } from './lazy-provider';
import type { AgentProvider } from './provider';

/** Builds the provider for an agent's (secret-resolved) provider config. */
export function createProvider(config: ProviderConfig): AgentProvider {
  switch (config.type) {
    case 'echo':
      return new EchoProvider();
    // The model SDKs load with the first answer (lazy-provider.ts).
    case 'openai':
      return new LazyProvider(async () => {
        const { OpenAiProvider } = await import('./openai-provider');
        return new OpenAiProvider({ baseUrl: config.baseUrl, apiKey: config.apiKey, model: config.model, temperature: config.temperature });
      }, true);
    case 'kocoro':
      return new KocoroProvider({ url: config.url, agent: config.agent, stateDir: config.stateDir });
    case 'anthropic':
      return new LazyProvider(async () => {
        const { AnthropicProvider } = await import('./anthropic-provider');
        return new AnthropicProvider({ apiKey: config.apiKey, model: config.model, baseUrl: config.baseUrl });
      }, true);
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
