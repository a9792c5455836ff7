import { settingOf } from '@shared/bot-settings';
import type { BotConfig, ReplyMode } from '@shared/config-schema';

/** How a bot answers in a chat of `chatType`: a streaming card or one message when done (default in shared/bot-settings.ts). */
export function replyModeFor(bot: Pick<BotConfig, 'replyMode'>, chatType: string): ReplyMode {
  const mode = settingOf(bot, 'replyMode');
  return chatType === 'p2p' ? mode.dm : mode.group;
}
