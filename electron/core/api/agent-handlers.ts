import { sameKeyHolder } from '@shared/provider-endpoint';
import { isDeepStrictEqual } from 'node:util';
import { type Handlers, type ProviderInput, RpcError } from '@shared/contract';
import { AgentError } from '../agents/provider';
import { providerHealth } from '../agents/health';
import { listKocoroAgents } from '../agents/kocoro-provider';
import type { AppAgent } from '../store/app-store';
import { type AgentRecord, secretKeys, withoutApiKey } from './catalog';
import { configFileName } from './config-file-name';
import { agentIdFor } from './ids';
import type { ServiceContext } from './service-context';
import { errorMessage } from '../log/error-message';

type AgentHandlers = Pick<
  Handlers,
  'agents.list' | 'agents.create' | 'agents.update' | 'agents.remove' | 'agents.test' | 'agents.health' | 'agents.kocoroAgents'
>;

export function agentHandlers(ctx: ServiceContext): AgentHandlers {
  const { catalog, store, vault, views, events, redactor } = ctx;

  const existing = (id: string): AgentRecord => {
    const record = catalog.agent(id);
    if (!record) throw new RpcError('not_found', `There is no agent "${id}".`, 'id');
    return record;
  };

  const editable = (id: string): AgentRecord => {
    const record = existing(id);
    if (record.managedBy === 'config') {
      throw new RpcError(
        'read_only',
        `Agent "${record.name}" comes from ${configFileName(ctx.configFile)}: change it there; the app does not edit that file.`,
        'id',
      );
    }
    return record;
  };

  /** `apiKey`: a string replaces the saved key, null (or "") clears it, absent keeps it. An echo agent has none. */
  const saveApiKey = async (id: string, provider: ProviderInput): Promise<boolean> => {
    const key = secretKeys.apiKey(id);
    if (!(provider.type === 'openai' || provider.type === 'anthropic') || provider.apiKey === null || provider.apiKey === '') {
      const had = (await catalog.secret(key)) !== undefined;
      await vault.delete(key);
      return had;
    }
    if (provider.apiKey === undefined) return false;
    redactor.add(provider.apiKey);
    await vault.set(key, provider.apiKey);
    return true;
  };

  const viewOf = async (id: string) => views.agent(existing(id));

  return {
    'agents.list': async () => Promise.all(catalog.agents().map((a) => views.agent(a))),

    'agents.create': (input) =>
      ctx.exclusive(async () => {
        const id = agentIdFor(input.name, (candidate) => catalog.agentIdTaken(candidate));
        const record = agentRecord(id, input.name, input.systemPrompt, input.provider);
        await saveApiKey(id, input.provider);
        try {
          store.putAgent(record);
        } catch (err) {
          await vault.delete(secretKeys.apiKey(id)).catch(() => undefined);
          throw err;
        }
        ctx.logger.log('info', 'agent.created', { agentId: id, provider: record.provider.type });
        events.emit('agents.changed', {});
        return viewOf(id);
      }),

    'agents.update': (input) =>
      ctx.exclusive(async () => {
        const current = editable(input.id);
        const next = agentRecord(input.id, input.name, input.systemPrompt, input.provider);
        // A saved key belongs to the endpoint it was given for: never sent to another host.
        const given = 'apiKey' in input.provider ? input.provider.apiKey : undefined;
        const keyMoves = given === undefined && !sameKeyHolder(current.provider, input.provider);
        if (keyMoves && (await catalog.secret(secretKeys.apiKey(input.id))) !== undefined) {
          ctx.logger.log('info', 'agent.api_key_dropped', { agentId: input.id, reason: 'the provider or its endpoint changed' });
        }
        const keyChanged = await saveApiKey(input.id, keyMoves ? ({ ...input.provider, apiKey: null } as ProviderInput) : input.provider);
        store.putAgent(next);
        // Renaming alone changes no answer; anything else must reach the running bots.
        const { managedBy: _managedBy, ...before } = current;
        const behaviourChanged = keyChanged || !isDeepStrictEqual({ ...before, name: '' }, { ...next, name: '' });
        if (behaviourChanged) {
          const users = catalog.bots().filter((b) => b.agentId === input.id && b.enabled !== false);
          await Promise.all(users.map((b) => ctx.launcher.launch(b.id)));
        }
        events.emit('agents.changed', {});
        return viewOf(input.id);
      }),

    'agents.remove': (input) =>
      ctx.exclusive(async () => {
        const record = editable(input.id);
        const users = catalog.usedBy(input.id);
        if (users.length > 0) {
          throw new RpcError(
            'in_use',
            `Agent "${record.name}" answers for ${users.length === 1 ? 'bot' : 'bots'} ${users.join(', ')}: choose another agent for ${users.length === 1 ? 'it' : 'them'} first.`,
            'id',
          );
        }
        store.removeAgent(input.id);
        await vault.delete(secretKeys.apiKey(input.id));
        ctx.logger.log('info', 'agent.removed', { agentId: input.id });
        events.emit('agents.changed', {});
        return { removed: true as const };
      }),

    'agents.test': async (input) => {
      const record = existing(input.id);
      const agent = await catalog.agentConfig(record);
      const platform = catalog.bots().find((b) => b.agentId === input.id)?.platform;
      return ctx.agentTests.start(agent, input.text, platform);
    },

    'agents.health': async (input) => {
      const agent = await catalog.agentConfig(existing(input.id));
      return providerHealth(agent.provider);
    },

    'agents.kocoroAgents': async (input) => {
      try {
        return { agents: await listKocoroAgents(input.url) };
      } catch (err) {
        const message = err instanceof AgentError ? err.message : errorMessage(err);
        throw new RpcError('invalid_input', message, 'url');
      }
    },
  };
}

/** The stored agent: the key itself never goes into the store. */
function agentRecord(id: string, name: string, systemPrompt: string | undefined, provider: ProviderInput): AppAgent {
  return {
    id,
    name,
    ...(systemPrompt?.trim() ? { systemPrompt } : {}),
    provider: withoutApiKey(provider),
  };
}
