import { settingOf } from '@shared/bot-settings';
import type { BotConfig } from '@shared/config-schema';
import type { WebhookRegistry } from './server';
import type { WebhookSecrets } from './verify';

/** A bot's status while it receives by webhook: before the platform's first good request, and after. */
export const WEBHOOK_WAITING = "by webhook: waiting for the platform's first request";
export const WEBHOOK_RECEIVING = 'by webhook';

export function receivesByWebhook(bot: BotConfig): boolean {
  return settingOf(bot, 'receive') === 'webhook';
}

/**
 * Why a bot set to receive by webhook cannot start, in words naming what is missing; undefined
 * when it can (or receives over the long connection).
 */
export function webhookStartProblem(bot: BotConfig, registry: WebhookRegistry | undefined): string | undefined {
  if (!receivesByWebhook(bot)) return undefined;
  const where = '(console: Events & Callbacks → Encryption Strategy)';
  if (!bot.encryptKey) return `receive is "webhook" but encryptKey is missing: set the Encrypt Key ${where}`;
  if (!bot.verificationToken) return `receive is "webhook" but verificationToken is missing: set the Verification Token ${where}`;
  if (!registry)
    return 'receive is "webhook" but this Kocoro has no webhook listener: start it with `npm run headless -- --webhook [HOST:]PORT`, or set receive to "long-connection"';
  return undefined;
}

/** The bot's secrets, once `webhookStartProblem` said there is no problem. */
export function webhookSecrets(bot: BotConfig): WebhookSecrets {
  return { encryptKey: bot.encryptKey ?? '', verificationToken: bot.verificationToken ?? '' };
}
