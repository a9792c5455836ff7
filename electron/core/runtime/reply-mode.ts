import type { BotConfig, ReplyMode } from '@shared/config-schema';

/** How a bot answers in a chat of `chatType`: a streaming card (default) or one message when done. */
export function replyModeFor(bot: Pick<BotConfig, 'replyMode'>, chatType: string): ReplyMode {
  return (chatType === 'p2p' ? bot.replyMode?.dm : bot.replyMode?.group) ?? 'card';
}

/** Both chat types, defaults filled in (what the UI shows). */
export function resolvedReplyMode(bot: Pick<BotConfig, 'replyMode'>): { dm: ReplyMode; group: ReplyMode } {
  return { dm: replyModeFor(bot, 'p2p'), group: replyModeFor(bot, 'group') };
}
