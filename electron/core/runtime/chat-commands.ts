import type { ConversationStore } from './conversation-store';

/**
 * Commands a user can type in the chat (after the bot's @mention in groups). They are answered by
 * the runtime itself, in order with the chat's other messages, and never reach the agent. `/stop`
 * is listed here but acts at once, outside the chat's queue.
 */
export type ChatCommand = 'new' | 'help';

export const COMMAND_HELP: ReadonlyArray<{ command: string; description: string }> = [
  { command: '/new', description: 'start a fresh conversation: I forget what was said before in this chat (or thread)' },
  { command: '/stop', description: 'stop the answer I am writing' },
  { command: '/help', description: 'show this list' },
];

/** The command a message is, if it is exactly one (case and surrounding space do not matter). */
export function parseChatCommand(text: string): ChatCommand | undefined {
  const match = /^\/(new|help)$/i.exec(text.trim());
  return match ? (match[1]!.toLowerCase() as ChatCommand) : undefined;
}

/**
 * Carries out a command and returns the reply (markdown). `first` is false when the same message
 * is handled again after a failed reply, so `/new` does not wipe what was said since.
 */
export async function runChatCommand(
  command: ChatCommand,
  ctx: { conversations: ConversationStore; key: string; first: boolean },
): Promise<string> {
  switch (command) {
    case 'new':
      if (ctx.first) await ctx.conversations.clear(ctx.key);
      return 'Started a new conversation: I have forgotten what was said before here.';
    case 'help':
      return ['Commands:', ...COMMAND_HELP.map((c) => `- \`${c.command}\` — ${c.description}`)].join('\n');
  }
}
