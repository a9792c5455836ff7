import * as lark from '@larksuiteoapi/node-sdk';
import type { AgentTurn } from '../agents/provider';
import type { BotInfo } from '../lark/api';
import type { MessageEvent } from '../lark/inbound';

/** What the agent is given for one incoming message. */
export interface PreparedTurn {
  /** The message as the agent sees it (also the preview shown in the app). */
  text: string;
  /** The conversation handed to the provider, ending with this message. */
  turns: AgentTurn[];
}

/** The message as the agent will see it: the bot's own @mention removed, other mentions as @Name. */
export async function messageText(event: MessageEvent, identity: BotInfo | undefined): Promise<string> {
  const normalized = await lark.normalize(event as unknown as lark.RawMessageEvent, {
    botIdentity: { openId: identity?.openId ?? '', name: identity?.name ?? '' },
    stripBotMentions: true,
  });
  return normalized.content.trim();
}

/** Builds the agent's input for one message. */
export async function buildTurn(event: MessageEvent, identity: BotInfo | undefined): Promise<PreparedTurn> {
  const text = await messageText(event, identity);
  return { text, turns: [{ role: 'user', text }] };
}
