import type { BacklogPolicy, BotConfig } from '@shared/config-schema';
import type { InboundMessage } from '../lark/inbound';

/** A message this much older than its arrival is late (README "backlog"). */
export const DEFAULT_BACKLOG_AFTER_MS = 10 * 60_000;

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
  const after = bot.backlogAfterMinutes !== undefined ? bot.backlogAfterMinutes * 60_000 : DEFAULT_BACKLOG_AFTER_MS;
  if (now - sentAt <= after) return undefined;
  return { policy: bot.backlog ?? 'note', sentAt };
}

/** "09:12" the same day, else "2026-11-30 09:12", in the machine's time zone (the same in every language). */
export function sentTimeText(sentAt: number, now: number): string {
  const at = new Date(sentAt);
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(at.getHours())}:${two(at.getMinutes())}`;
  if (new Date(now).toDateString() === at.toDateString()) return time;
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${time}`;
}
