/** An image the user sent, for providers that accept images (`AgentProvider.acceptsImages`). */
export interface AgentImage {
  /** e.g. `image/png`. */
  mimeType: string;
  dataBase64: string;
}

/** One turn of a conversation as the agent sees it. */
export interface AgentTurn {
  role: 'user' | 'assistant';
  text: string;
  /** Images sent with this (user) turn; only given to providers that accept images. */
  images?: AgentImage[];
}

/** Where a message came from, so providers that keep their own sessions can key them. */
export interface AgentContext {
  platform: 'feishu' | 'lark';
  botId: string;
  chatId: string;
  chatType: 'p2p' | 'group';
  senderOpenId: string;
  threadId?: string;
}

export interface AgentRequest {
  systemPrompt?: string;
  turns: AgentTurn[];
  context: AgentContext;
  /**
   * Aborted when the user stops the run or the app shuts down; providers must stop promptly and
   * then throw, so a cut-off answer is never taken for a complete one.
   */
  signal: AbortSignal;
}

/**
 * An agent backend. It streams text deltas so replies can appear as they are written, and it
 * must honour `signal`.
 */
export interface AgentProvider {
  /** Whether the agent can look at images (`AgentTurn.images`); when not, images become a textual stand-in. */
  readonly acceptsImages?: boolean;
  stream(request: AgentRequest): AsyncIterable<string>;
}

/** A provider failure with a message fit to show the person chatting with the bot. */
export class AgentError extends Error {
  constructor(message: string, readonly userMessage: string) {
    super(message);
    this.name = 'AgentError';
  }
}

export async function collectText(stream: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const delta of stream) text += delta;
  return text;
}
