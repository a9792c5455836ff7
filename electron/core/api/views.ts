import { resolveLiveSettings, settingOf } from '@shared/bot-settings';
import type { BotStatus } from '@shared/bot-status';
import type { AgentView, BotView } from '@shared/contract';
import type { SecretRedactor } from '../log/redact';
import type { BotManager } from '../runtime/lifecycle/bot-manager';
import { type AgentRecord, type BotRecord, type Catalog, hasApiKey, withoutApiKey } from './catalog';

/**
 * What the UI gets to see of bots and agents. Built field by field, so a secret can only reach the
 * UI if someone writes it here: it gets `hasX` flags instead.
 */
export class Views {
  constructor(private readonly deps: { catalog: Catalog; manager: BotManager; redactor: SecretRedactor }) {}

  /** A status as it leaves the core: reasons can quote platform or library text, so they are redacted. */
  status(status: BotStatus): BotStatus {
    return status.reason === undefined ? status : { ...status, reason: this.deps.redactor.redact(status.reason) };
  }

  statusOf(botId: string): BotStatus {
    return this.status(this.deps.manager.status(botId));
  }

  async bot(record: BotRecord): Promise<BotView> {
    const secrets = await this.deps.catalog.botSecrets(record);
    return {
      id: record.id,
      platform: record.platform,
      appId: record.appId,
      ...(record.displayName ? { displayName: record.displayName } : {}),
      agentId: record.agentId,
      ...(record.domain ? { domain: record.domain } : {}),
      enabled: record.enabled !== false,
      hasAppSecret: secrets.appSecret !== undefined,
      hasEncryptKey: secrets.encryptKey !== undefined,
      hasVerificationToken: secrets.verificationToken !== undefined,
      managedBy: record.managedBy,
      receive: settingOf(record, 'receive'),
      ...resolveLiveSettings(record),
      status: this.statusOf(record.id),
    };
  }

  private async providerView(record: AgentRecord): Promise<AgentView['provider']> {
    const fields = withoutApiKey(record.provider);
    if (!hasApiKey(fields.type)) return fields as AgentView['provider'];
    return { ...fields, hasApiKey: (await this.deps.catalog.apiKey(record)) !== undefined } as AgentView['provider'];
  }

  async agent(record: AgentRecord): Promise<AgentView> {
    return {
      id: record.id,
      name: record.name,
      ...(record.systemPrompt !== undefined ? { systemPrompt: record.systemPrompt } : {}),
      provider: await this.providerView(record),
      managedBy: record.managedBy,
      usedBy: this.deps.catalog.usedBy(record.id),
    };
  }
}
