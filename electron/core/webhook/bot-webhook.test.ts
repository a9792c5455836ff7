import { describe, expect, it } from 'vitest';
import type { BotConfig } from '@shared/config-schema';
import { webhookStartProblem } from './bot-webhook';
import { parseListen } from './listen-address';
import type { WebhookRegistry } from './server';

const REGISTRY = {} as WebhookRegistry;
const bot = (extra: Partial<BotConfig> = {}) =>
  ({ id: 'b', platform: 'feishu', appId: 'cli_a1b2c3d4e5f60718', appSecret: 's', agentId: 'a', ...extra }) as BotConfig;

describe('webhookStartProblem', () => {
  it('names the missing field of a webhook bot, or the missing listener', () => {
    const webhook = { receive: 'webhook' } as Partial<BotConfig>;
    expect(webhookStartProblem(bot(webhook), REGISTRY)).toMatch(/encryptKey is missing/);
    expect(webhookStartProblem(bot({ ...webhook, encryptKey: 'k' }), REGISTRY)).toMatch(/verificationToken is missing/);
    const full = bot({ ...webhook, encryptKey: 'k', verificationToken: 't' });
    expect(webhookStartProblem(full, undefined)).toMatch(/no webhook listener: start it with `npm run headless -- --webhook/);
    expect(webhookStartProblem(full, REGISTRY)).toBeUndefined();
  });

  it('has nothing to say about a long-connection bot, with or without a listener', () => {
    expect(webhookStartProblem(bot(), undefined)).toBeUndefined();
    expect(webhookStartProblem(bot({ receive: 'long-connection' } as Partial<BotConfig>), REGISTRY)).toBeUndefined();
  });
});

describe('parseListen (--webhook [HOST:]PORT)', () => {
  it('reads a port, a host and a port, an IPv6 host in brackets; 127.0.0.1 by default', () => {
    expect(parseListen('8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListen('0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('0.0.0.0:8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseListen('bots.internal:9000')).toEqual({ host: 'bots.internal', port: 9000 });
  });

  it('refuses anything else', () => {
    for (const raw of ['', 'http://x:80', '70000', ':80', 'host:', '::1:80', '80 80', 'a b:80']) expect(parseListen(raw)).toBeNull();
  });
});
