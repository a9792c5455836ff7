import type { AgentConfig, BotConfig } from '@shared/config-schema';
import { ChatLeaseLost } from '../stores/bot-store';
import { AgentError, type AgentProgress, type AgentProvider, type AgentUsage, applyChunk, isProgress } from '../../agents/provider';
import type { ChatPhrases } from '../../i18n/chat-text';
import type { InboundMessage } from '../../lark/inbound';
import type { ReplyOutcome } from '../../lark/outbound/reply-sink';
import type { Logger } from '../../log/logger';
import { StoppedByUser, type StopRegistry } from './stop-registry';
import type { PreparedTurn } from './turn-builder';
import { errorMessage } from '../../log/error-message';

/** What the agent's run gives the reply: the text, and whether it is an answer, a failure notice or what was written before Stop. */
export interface AgentReply {
  text: string;
  failed: boolean;
  outcome?: ReplyOutcome;
  /** What the run cost, when the agent says (the last total, else the sum of its turns). */
  usage?: AgentUsage;
}

export interface AgentRunnerDeps {
  bot: () => BotConfig;
  agent: { config: AgentConfig; provider: AgentProvider };
  stops: StopRegistry;
  log: Logger;
  now: () => number;
  say: () => ChatPhrases;
  /** Longest an answer may take (tuning.ts); the person is then told so. */
  timeoutMs: number;
}

/**
 * Runs the agent for one message: streams its deltas to the reply, registers the run for the Stop
 * button and stop words, and turns every way a run can end into what the chat should see. Runs
 * still going at shutdown are aborted (`abortAll`); their messages stay in the inbox.
 */
export class AgentRunner {
  private readonly runs = new Set<AbortController>();
  private stopping = false;

  constructor(private readonly deps: AgentRunnerDeps) {}

  /** Undefined when aborted by shutdown or a lost chat lease: nothing is sent, the message is answered at the next start or by another process. */
  async run(
    message: InboundMessage,
    turn: PreparedTurn,
    onDelta: (delta: string) => void,
    onProgress: (progress: AgentProgress) => void = () => {},
  ): Promise<AgentReply | undefined> {
    const { agent, log } = this.deps;
    const bot = this.deps.bot();
    const controller = new AbortController();
    this.runs.add(controller);
    const unregister = this.deps.stops.add(message.messageId, message.chatId, message.sender.openId, controller);
    let answer = '';
    let usage: AgentUsage | undefined;
    let partial: string | undefined;
    const timeout = setTimeout(() => controller.abort(new Error('agent timed out')), this.deps.timeoutMs);
    const started = this.deps.now();
    const say = this.deps.say();
    try {
      for await (const delta of agent.provider.stream({
        systemPrompt: agent.config.systemPrompt,
        turns: turn.turns,
        context: {
          platform: bot.platform,
          botId: bot.id,
          chatId: message.chatId,
          chatType: message.chatType,
          senderOpenId: message.sender.openId,
          threadId: message.threadId ?? message.rootId,
        },
        signal: controller.signal,
      })) {
        if (isProgress(delta)) {
          if (delta.kind === 'usage') usage = delta.total ? delta.usage : addUsage(usage, delta.usage);
          else if (delta.kind === 'partial') partial = delta.reason;
          else onProgress(delta);
          continue;
        }
        // A replacement (authoritative final text) is not streamed: the finished reply carries it.
        answer = applyChunk(answer, delta);
        if (typeof delta === 'string') onDelta(delta);
      }
      if (partial !== undefined) answer = `${answer.trimEnd()}\n\n${say('agent.partial', { reason: partial })}`;
      log.log('info', 'agent.answered', {
        messageId: message.messageId,
        agentId: agent.config.id,
        ms: this.deps.now() - started,
        chars: answer.length,
      });
      return { text: answer.trim() ? answer : say('agent.empty'), failed: false, ...(usage ? { usage } : {}) };
    } catch (err) {
      // Shutdown, or the chat's lease lost (another process answers it now): nothing is sent from here.
      if (this.stopping || controller.signal.reason instanceof ChatLeaseLost) return undefined;
      if (controller.signal.reason instanceof StoppedByUser) {
        log.log('info', 'agent.stopped', { messageId: message.messageId, agentId: agent.config.id, chars: answer.length });
        return { text: answer, failed: false, outcome: 'stopped' };
      }
      const timedOut = controller.signal.aborted;
      log.log('error', 'agent.failed', {
        messageId: message.messageId,
        agentId: agent.config.id,
        error: errorMessage(err),
      });
      const notice = err instanceof AgentError ? say(err.notice) : say(timedOut ? 'agent.timeout' : 'agent.failed');
      return { text: `⚠️ ${notice}`, failed: true };
    } finally {
      clearTimeout(timeout);
      this.runs.delete(controller);
      unregister();
    }
  }

  /** Shutdown past its grace period: every run ends now and its message stays in the inbox. */
  abortAll(): void {
    this.stopping = true;
    for (const run of this.runs) run.abort();
  }
}

function addUsage(a: AgentUsage | undefined, b: AgentUsage): AgentUsage {
  const sum = (x?: number, y?: number) => (x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0));
  const out: AgentUsage = {};
  for (const key of ['inputTokens', 'outputTokens', 'totalTokens', 'costUsd'] as const) {
    const v = sum(a?.[key], b[key]);
    if (v !== undefined) out[key] = v;
  }
  return out;
}
