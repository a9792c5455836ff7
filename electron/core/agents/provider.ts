import { chatText, type ChatNotice } from '../i18n/chat-text';

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
 * Replaces everything streamed so far: a backend whose final answer is authoritative (a Kocoro
 * daemon's `done.reply`) yields it when it differs from the deltas. Consumers take
 * `replace` as the whole answer from then on.
 */
export interface AgentReplace {
  replace: string;
}

/** One tool call of the agent, as the card's steps show it (Kocoro `tool` events). */
export interface AgentStep {
  /** Pairs the call's start with its end (the daemon's `tool_use_id`; the tool name when absent). */
  id: string;
  tool: string;
  /** Short, already redacted: the daemon's title or the call's main argument. */
  detail?: string;
  status: 'running' | 'done' | 'failed';
  elapsedMs?: number;
}

/** What a run cost, when the backend says (Kocoro `usage`, `done.usage`). */
export interface AgentUsage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
  costUsd?: number;
}

export type ApprovalDecision = 'allow' | 'deny' | 'always_allow';

/**
 * The agent waits for consent before it runs a tool (Kocoro `approval`): it stays blocked until
 * `decide` is called or the backend gives up (the Kocoro daemon denies after 5 minutes).
 */
export interface AgentApproval {
  requestId: string;
  tool: string;
  /** What the agent says it wants to do (model-written: shown as text, never trusted). */
  title: string;
  /**
   * The call's arguments exactly as the backend sent them (a JSON string for the Kocoro daemon), not
   * redacted or shortened: whoever shows them to a person deciding builds the view
   * (runtime/tool-call-view.ts), so that person sees all of what will run.
   */
  args: string;
  /** False when the backend refuses to remember this tool (`always_allow_disabled`). */
  alwaysAllowOffered: boolean;
  decide(decision: ApprovalDecision): Promise<void>;
}

/** How the agent is getting on, besides its text: shown above the answer while it works. */
export type AgentProgress =
  | { kind: 'step'; step: AgentStep }
  | { kind: 'narration'; text: string }
  | { kind: 'usage'; usage: AgentUsage; total: boolean }
  | { kind: 'approval'; approval: AgentApproval }
  /** The agent went on without a decision made here: the backend timed out, or someone decided in Kocoro itself. */
  | { kind: 'approvalEnded'; requestId: string }
  /** The answer is all the agent will give, but it says it did not finish (`done.partial`). */
  | { kind: 'partial'; reason: string };

/** What `stream()` yields: a text delta to append, the whole answer so far, or progress. */
export type AgentChunk = string | AgentReplace | AgentProgress;

export function isProgress(chunk: AgentChunk): chunk is AgentProgress {
  return typeof chunk === 'object' && 'kind' in chunk;
}

/**
 * An agent backend. It streams text deltas so replies can appear as they are written, and it
 * must honour `signal`.
 */
export interface AgentProvider {
  /** Whether the agent can look at images (`AgentTurn.images`); when not, images become a textual stand-in. */
  readonly acceptsImages?: boolean;
  /** Whether the agent runs on this computer and can open files saved here (only then are sent files downloaded). */
  readonly readsLocalFiles?: boolean;
  stream(request: AgentRequest): AsyncIterable<AgentChunk>;
}

/** The answer after `chunk`: appended for a delta, replaced for an `AgentReplace`. */
export function applyChunk(text: string, chunk: AgentChunk): string {
  if (typeof chunk === 'string') return text + chunk;
  return 'replace' in chunk ? chunk.replace : text;
}

/**
 * A provider failure: `message` for the log (may name hosts and paths), `notice` for the person
 * chatting with the bot, said in the bot's language (i18n/chat-text.ts).
 */
export class AgentError extends Error {
  constructor(
    message: string,
    readonly notice: ChatNotice,
  ) {
    super(message);
    this.name = 'AgentError';
  }

  /** The notice in English (the app's own agent test, logs). */
  get userMessage(): string {
    return chatText('en', this.notice);
  }
}

export async function collectText(stream: AsyncIterable<AgentChunk>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text = applyChunk(text, chunk);
  return text;
}
