import type { ChatPhrases } from '../../i18n/chat-text';
import type { ConversationMemory } from '../stores/bot-store';

/**
 * Commands a user can type in the chat (after the bot's @mention in groups). They are answered by
 * the runtime itself, in order with the chat's other messages, and never reach the agent. `/stop`
 * is listed here but acts at once, outside the chat's queue (gate.ts).
 */
export type ChatCommand = 'new' | 'help';

const COMMAND_HELP = [
  { command: '/new', description: 'command.help.new' },
  { command: '/stop', description: 'command.help.stop' },
  { command: '/help', description: 'command.help.help' },
] as const;

/** The command a message is, if it is exactly one (case and surrounding space do not matter). */
export function parseChatCommand(text: string): ChatCommand | undefined {
  const match = /^\/(new|help)$/i.exec(text.trim());
  return match ? (match[1]!.toLowerCase() as ChatCommand) : undefined;
}

/**
 * Carries out a command and returns the reply (markdown), in the bot's language. `first` is false
 * when the same message is handled again after a failed reply, so `/new` does not wipe what was
 * said since.
 */
export async function runChatCommand(
  command: ChatCommand,
  ctx: { conversations: ConversationMemory; key: string; first: boolean; say: ChatPhrases },
): Promise<string> {
  switch (command) {
    case 'new':
      if (ctx.first) await ctx.conversations.clear(ctx.key);
      return ctx.say('command.new');
    case 'help':
      return [ctx.say('command.helpTitle'), ...COMMAND_HELP.map((c) => `- \`${c.command}\` — ${ctx.say(c.description)}`)].join('\n');
  }
}
