import type { AgentProgress, AgentUsage } from '../../agents/provider';
import type { ChatPhrases } from '../../i18n/chat-text';
import type { InboundMessage } from '../../lark/inbound';
import type { CardExtras } from '../../lark/outbound/card-json';
import type { ReplySink } from '../../lark/outbound/reply-sink';
import type { Logger } from '../../log/logger';
import { StepLog } from './agent-steps';
import type { ApprovalDesk } from '../approvals/approval-desk';

export interface AnswerProgressDeps {
  desk: ApprovalDesk;
  sink: ReplySink;
  say: ChatPhrases;
  log: Logger;
  message: InboundMessage;
  /** The asker's message as the agent saw it (for the app's list of approvals). */
  question: string;
  /** Whether this answer is a card (steps show above its text) or a message (a note is posted instead). */
  card: boolean;
  /** Posts a short note in the chat (the reply mode has no card to show "waiting" in). */
  note: (text: string, requestId: string) => Promise<void>;
  now: () => number;
}

/**
 * What the agent reports while it answers one message, besides its text: steps go to the reply
 * (above the streaming card's text), approval requests to the bot's approval desk, and the
 * requests' ends back to it. At the end it gives what goes around the answer (steps folded, usage).
 */
export class AnswerProgress {
  private readonly steps: StepLog;
  private readonly started: number;
  private readonly waitingTools = new Map<string, string>();

  constructor(private readonly deps: AnswerProgressDeps) {
    this.steps = new StepLog(deps.say);
    this.started = deps.now();
  }

  on(progress: AgentProgress): void {
    const { deps } = this;
    // Anything after a request means the agent runs again (the desk is told by `approvalEnded`).
    if (progress.kind !== 'approval' && this.waitingTools.size > 0 && progress.kind !== 'approvalEnded') this.resume();
    switch (progress.kind) {
      case 'step':
      case 'narration':
        if (this.steps.apply(progress)) this.showSteps();
        return;
      case 'approval': {
        const { approval } = progress;
        const where = deps.desk.placeFor(deps.message);
        this.waitingTools.set(approval.requestId, approval.tool);
        if (this.steps.waiting(approval.tool, where)) this.showSteps();
        void deps.desk.ask(approval, deps.message, deps.question);
        if (where === 'dm' && !deps.card) {
          void deps
            .note(deps.say('approval.waitingDm'), approval.requestId)
            .catch((err: unknown) =>
              deps.log.log('warn', 'approval.note_failed', { messageId: deps.message.messageId, error: String(err) }),
            );
        }
        return;
      }
      case 'approvalEnded':
        deps.desk.resumed(progress.requestId);
        this.resume();
        return;
      default:
        return;
    }
  }

  /** The steps folded into one line ("Used 3 tools · 14 s") and, when the bot shows it, the usage footer. */
  extras(usage: AgentUsage | undefined, footer: boolean): CardExtras {
    const { say } = this.deps;
    return {
      ...(this.steps.empty
        ? {}
        : { steps: { summary: this.steps.summary(this.deps.now() - this.started), lines: this.steps.allMarkdown() } }),
      ...(footer && usage ? { footer: usageLine(usage, say) } : {}),
    };
  }

  private resume(): void {
    let changed = false;
    for (const tool of this.waitingTools.values()) changed = this.steps.waiting(tool, undefined) || changed;
    this.waitingTools.clear();
    if (changed) this.showSteps();
  }

  private showSteps(): void {
    this.deps.sink.steps(this.steps.markdown());
  }
}

/** "19,388 tokens · $0.0712". */
export function usageLine(usage: AgentUsage, say: ChatPhrases): string {
  const tokens = usage.totalTokens ?? (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0);
  const parts = [];
  if (tokens > 0) parts.push(say('usage.tokens', { tokens: tokens.toLocaleString('en-US') }));
  if (usage.costUsd !== undefined && usage.costUsd > 0) parts.push(say('usage.cost', { cost: costText(usage.costUsd) }));
  return parts.join(' · ');
}

function costText(usd: number): string {
  return usd >= 1 ? usd.toFixed(2) : usd.toPrecision(2).replace(/0+$/, '').replace(/\.$/, '');
}
