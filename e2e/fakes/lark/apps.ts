import { derivedHex } from './ids.js';
import type { FakeApp } from './types.js';
import type { EventSource } from './events.js';

export interface AppRecord extends EventSource {
  appSecret: string;
  botOpenId: string;
  botName: string;
  activateStatus: number;
}

export type CredentialCheck = 'ok' | 'unknown_app' | 'bad_secret';

/** The apps registered with the fake and their derived identities (tenant, bot open_id). */
export class AppRegistry {
  private readonly apps = new Map<string, AppRecord>();

  add(app: FakeApp): AppRecord {
    const record: AppRecord = {
      appId: app.appId,
      appSecret: app.appSecret,
      botOpenId: app.botOpenId ?? `ou_${derivedHex(`bot:${app.appId}`)}`,
      botName: app.botName ?? 'Fake Bot',
      activateStatus: app.activateStatus ?? 2,
      verificationToken: app.verificationToken ?? 'fake-verification-token',
      tenantKey: derivedHex(`tenant:${app.appId}`, 16),
    };
    this.apps.set(app.appId, record);
    return record;
  }

  get(appId: string): AppRecord | undefined {
    return this.apps.get(appId);
  }

  require(appId: string): AppRecord {
    const app = this.apps.get(appId);
    if (!app) throw new Error(`fake-lark: unknown app ${appId}; register it with addApp() first`);
    return app;
  }

  check(appId: unknown, appSecret: unknown): CredentialCheck {
    const app = typeof appId === 'string' ? this.apps.get(appId) : undefined;
    if (!app) return 'unknown_app';
    return appSecret === app.appSecret ? 'ok' : 'bad_secret';
  }
}
