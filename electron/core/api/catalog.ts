import { writtenSettings } from '@shared/bot-settings';
import type { AgentConfig, BotConfig, ConfigFile, ProviderConfig } from '@shared/config-schema';
import type { SecretRedactor } from '../log/redact';
import type { AppAgent, AppBot, AppStore } from '../store/app-store';
import type { SecretVault } from '../store/secret-vault';

export type ManagedBy = 'config' | 'app';
/** A bot as listed: never a secret in it. */
export type BotRecord = AppBot & { managedBy: ManagedBy };
export type AgentRecord = AppAgent & { managedBy: ManagedBy };
/** A bot's secrets, each undefined when not set. */
export interface BotSecrets {
  appSecret?: string;
  encryptKey?: string;
  verificationToken?: string;
}

export const secretKeys = {
  appSecret: (botId: string) => `bot:${botId}:appSecret`,
  encryptKey: (botId: string) => `bot:${botId}:encryptKey`,
  verificationToken: (botId: string) => `bot:${botId}:verificationToken`,
  apiKey: (agentId: string) => `agent:${agentId}:apiKey`,
};

export interface CatalogOptions {
  config?: ConfigFile;
  store: AppStore;
  vault: SecretVault;
  redactor: SecretRedactor;
}

/**
 * The one view of every bot and agent: the config file's first (read-only), then the app's own.
 * An app record whose id the config file also uses is shadowed by the config's (the data folder
 * is named after the id, so two bots cannot share one). Secrets are read here and nowhere else,
 * each registered with the redactor as it is read.
 */
export class Catalog {
  constructor(private readonly opts: CatalogOptions) {}

  private get config(): ConfigFile {
    return this.opts.config ?? { agents: [], bots: [] };
  }

  bots(): BotRecord[] {
    const fromConfig: BotRecord[] = this.config.bots.map((b) => ({
      id: b.id,
      platform: b.platform,
      appId: b.appId,
      agentId: b.agentId,
      ...(b.displayName ? { displayName: b.displayName } : {}),
      ...(b.domain ? { domain: b.domain } : {}),
      ...(b.enabled === false ? { enabled: false } : {}),
      ...writtenSettings(b),
      managedBy: 'config',
    }));
    const configIds = new Set(fromConfig.map((b) => b.id));
    const fromApp: BotRecord[] = this.opts.store
      .bots()
      .filter((b) => !configIds.has(b.id))
      .map((b) => ({ ...b, managedBy: 'app' }));
    return [...fromConfig, ...fromApp];
  }

  agents(): AgentRecord[] {
    const fromConfig: AgentRecord[] = this.config.agents.map((a) => ({
      id: a.id,
      name: a.name,
      ...(a.systemPrompt !== undefined ? { systemPrompt: a.systemPrompt } : {}),
      provider: withoutApiKey(a.provider),
      managedBy: 'config',
    }));
    const configIds = new Set(fromConfig.map((a) => a.id));
    const fromApp: AgentRecord[] = this.opts.store
      .agents()
      .filter((a) => !configIds.has(a.id))
      .map((a) => ({ ...a, managedBy: 'app' }));
    return [...fromConfig, ...fromApp];
  }

  bot(id: string): BotRecord | undefined {
    return this.bots().find((b) => b.id === id);
  }

  agent(id: string): AgentRecord | undefined {
    return this.agents().find((a) => a.id === id);
  }

  /** App records hidden behind a config record with the same id (reported once at start). */
  shadowed(): { bots: string[]; agents: string[] } {
    const botIds = new Set(this.config.bots.map((b) => b.id));
    const agentIds = new Set(this.config.agents.map((a) => a.id));
    return {
      bots: this.opts.store
        .bots()
        .filter((b) => botIds.has(b.id))
        .map((b) => b.id),
      agents: this.opts.store
        .agents()
        .filter((a) => agentIds.has(a.id))
        .map((a) => a.id),
    };
  }

  /** Ids are taken by shadowed records too: their secrets and folders still carry the id. */
  botIdTaken(id: string): boolean {
    return this.config.bots.some((b) => b.id === id) || this.opts.store.bot(id) !== undefined;
  }

  agentIdTaken(id: string): boolean {
    return this.config.agents.some((a) => a.id === id) || this.opts.store.agent(id) !== undefined;
  }

  /** The listed bot, other than `exceptId`, that already uses this app (App IDs compared case-insensitively). */
  botWithAppId(appId: string, exceptId?: string): BotRecord | undefined {
    const wanted = appId.toLowerCase();
    return this.bots().find((b) => b.id !== exceptId && b.appId.toLowerCase() === wanted);
  }

  usedBy(agentId: string): string[] {
    return this.bots()
      .filter((b) => b.agentId === agentId)
      .map((b) => b.id);
  }

  async secret(key: string): Promise<string | undefined> {
    const value = await this.opts.vault.get(key);
    this.opts.redactor.add(value);
    return value ? value : undefined;
  }

  async botSecrets(record: BotRecord): Promise<BotSecrets> {
    if (record.managedBy === 'config') {
      const bot = this.config.bots.find((b) => b.id === record.id);
      return {
        appSecret: bot?.appSecret || undefined,
        encryptKey: bot?.encryptKey || undefined,
        verificationToken: bot?.verificationToken || undefined,
      };
    }
    return {
      appSecret: await this.secret(secretKeys.appSecret(record.id)),
      encryptKey: await this.secret(secretKeys.encryptKey(record.id)),
      verificationToken: await this.secret(secretKeys.verificationToken(record.id)),
    };
  }

  async apiKey(record: AgentRecord): Promise<string | undefined> {
    if (!hasApiKey(record.provider.type)) return undefined;
    if (record.managedBy === 'config') {
      const agent = this.config.agents.find((a) => a.id === record.id);
      const provider = agent?.provider;
      return provider && hasApiKey(provider.type) && 'apiKey' in provider ? provider.apiKey || undefined : undefined;
    }
    return this.secret(secretKeys.apiKey(record.id));
  }

  /** The agent as the runtime needs it, key included. */
  async agentConfig(record: AgentRecord): Promise<AgentConfig> {
    const { managedBy: _managedBy, ...agent } = record;
    if (!hasApiKey(agent.provider.type)) return agent;
    const apiKey = await this.apiKey(record);
    return { ...agent, provider: { ...agent.provider, ...(apiKey ? { apiKey } : {}) } };
  }

  /** The bot as the runtime needs it, or why it cannot run, in words that say what to do. */
  async runnable(record: BotRecord): Promise<{ ok: true; bot: BotConfig; agent: AgentConfig } | { ok: false; reason: string }> {
    const twin =
      record.managedBy === 'app'
        ? this.bots().find((b) => b.managedBy === 'config' && b.appId.toLowerCase() === record.appId.toLowerCase())
        : undefined;
    if (twin) {
      return {
        ok: false,
        reason: `App ${record.appId} is also bot ${twin.id} in the config file: two connections for one app would split its messages. Remove one of them.`,
      };
    }
    const agent = this.agent(record.agentId);
    if (!agent) return { ok: false, reason: `Its agent "${record.agentId}" no longer exists: edit the bot and choose another agent.` };
    const { appSecret, encryptKey, verificationToken } = await this.botSecrets(record);
    if (!appSecret)
      return { ok: false, reason: 'Its App Secret is missing or can no longer be decrypted: edit the bot and enter the App Secret again.' };
    const { managedBy: _managedBy, ...bot } = record;
    return {
      ok: true,
      bot: { ...bot, appSecret, ...(encryptKey ? { encryptKey } : {}), ...(verificationToken ? { verificationToken } : {}) },
      agent: await this.agentConfig(agent),
    };
  }
}

/** Provider types whose API key lives in the vault (app agents) or the config file. */
export function hasApiKey(type: ProviderConfig['type']): type is 'openai' | 'anthropic' {
  return type === 'openai' || type === 'anthropic';
}

/**
 * A provider's settings without its key and without unset fields: what the catalog and the app
 * store keep (the key goes to the vault) and, with `hasApiKey` added, what the UI is shown.
 */
export function withoutApiKey(provider: { type: ProviderConfig['type']; apiKey?: unknown }): AppAgent['provider'] {
  const { apiKey: _apiKey, ...rest } = provider;
  const kept = Object.entries(rest as Record<string, unknown>).filter(
    ([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0),
  );
  return Object.fromEntries(kept.map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])) as AppAgent['provider'];
}
