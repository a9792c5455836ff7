import { settingOf } from '@shared/bot-settings';
import type { BacklogPolicy, BotConfig } from '@shared/config-schema';
import type { InboundMessage } from '../../lark/inbound';

/**
 * After a sleep, a quit or an outage, the platform delivers what arrived meanwhile as a burst that
 * looks new. What a message's age makes of it: `undefined` when it is not late (answered as
 * usual), otherwise the bot's policy (default `note`) and when it was sent.
 */
export function lateness(
  message: InboundMessage,
  bot: Pick<BotConfig, 'backlog' | 'backlogAfterMinutes'>,
  now: number,
): { policy: BacklogPolicy; sentAt: number } | undefined {
  const sentAt = Number(message.event.message.create_time ?? message.event.create_time);
  if (!Number.isFinite(sentAt) || sentAt <= 0) return undefined;
  if (now - sentAt <= settingOf(bot, 'backlogAfterMinutes') * 60_000) return undefined;
  return { policy: settingOf(bot, 'backlog'), sentAt };
}

/** "09:12" the same day, else "2026-11-30 09:12", in the machine's time zone (the same in every language). */
export function sentTimeText(sentAt: number, now: number): string {
  const at = new Date(sentAt);
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(at.getHours())}:${two(at.getMinutes())}`;
  if (new Date(now).toDateString() === at.toDateString()) return time;
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${time}`;
}
