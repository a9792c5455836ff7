import type { WebhookEvidence } from '@shared/webhook';
import type { SecretRedactor } from '../log/redact';
import type { Logger } from '../log/logger';
import type { BotManager } from '../runtime/lifecycle/bot-manager';
import type { AppStore } from '../store/app-store';
import type { SecretVault } from '../store/secret-vault';
import type { ActivityLog } from './activity-log';
import type { AgentTestRunner } from './agent-test';
import type { BotLauncher } from './bot-launcher';
import type { Catalog } from './catalog';
import type { HostHooks } from './host-hooks';
import type { EventBus } from './event-bus';
import type { Views } from './views';
import type { Registrations } from './registration';
import type { PreviewSessions } from '../preview/preview-sessions';

/** What the handlers share; built once by createKocoroService. */
export interface ServiceContext {
  mode: 'desktop' | 'headless';
  version: string;
  dataDir: string;
  configFile?: string;
  host?: HostHooks;
  logger: Logger;
  redactor: SecretRedactor;
  vault: SecretVault;
  store: AppStore;
  catalog: Catalog;
  manager: BotManager;
  launcher: BotLauncher;
  views: Views;
  activity: ActivityLog;
  events: EventBus;
  agentTests: AgentTestRunner;
  /** Scan-to-create registrations and the credentials they made. */
  registrations: Registrations;
  /** The preview chats: the real runtime over a platform inside this process. */
  previews: PreviewSessions;
  /** What the webhook endpoint saw of a bot's requests (webhook mode); absent when no webhook server runs. */
  webhookEvidence?: (botId: string) => WebhookEvidence | undefined;
  /**
   * Runs changes one at a time: checks such as "this App ID is not registered yet" must still hold
   * when the change is written.
   */
  exclusive<T>(change: () => Promise<T>): Promise<T>;
}

/** A queue of changes; one failing does not block the next. */
export function createExclusive(): ServiceContext['exclusive'] {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(change: () => Promise<T>): Promise<T> => {
    const next = tail.catch(() => undefined).then(change);
    tail = next.catch(() => undefined);
    return next;
  };
}
