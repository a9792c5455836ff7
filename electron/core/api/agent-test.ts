import { randomUUID } from 'node:crypto';
import type { AgentConfig, Platform } from '@shared/config-schema';
import { AgentError, type AgentProvider, applyChunk, isProgress } from '../agents/provider';
import type { Logger } from '../log/logger';
import type { SecretRedactor } from '../log/redact';
import type { EventBus } from './event-bus';
import { errorMessage } from '../log/error-message';

export const AGENT_TEST_TIMEOUT_MS = 2 * 60_000;

export interface AgentTestOptions {
  events: EventBus;
  logger: Logger;
  /** The agent's output is shown with every known secret hidden. */
  redactor: SecretRedactor;
  providerFor: (agent: AgentConfig) => AgentProvider;
  timeoutMs?: number;
}

class TestTimeout extends Error {}
class ShuttingDown extends Error {}

/**
 * Runs the Agents page's test box: the answer streams as `agent.test` events tagged with a run id,
 * ending in `done` or `error`. A test never outlives its time limit or the service.
 */
export class AgentTestRunner {
  private readonly runs = new Set<AbortController>();

  constructor(private readonly opts: AgentTestOptions) {}

  start(agent: AgentConfig, text: string, platform: Platform = 'feishu'): { runId: string } {
    const runId = randomUUID();
    const controller = new AbortController();
    this.runs.add(controller);
    // Begins after the caller has the run id: a transport sends the reply before later events.
    setTimeout(() => void this.run(runId, agent, text, platform, controller), 0);
    return { runId };
  }

  abortAll(): void {
    for (const run of this.runs) run.abort(new ShuttingDown());
  }

  private async run(runId: string, agent: AgentConfig, text: string, platform: Platform, controller: AbortController): Promise<void> {
    const { events } = this.opts;
    const limit = this.opts.timeoutMs ?? AGENT_TEST_TIMEOUT_MS;
    const timer = setTimeout(() => controller.abort(new TestTimeout()), limit);
    const started = Date.now();
    // What the UI shows is redacted as a whole (a secret split over two chunks is caught too), and
    // sent as deltas while it only grows.
    let full = '';
    let shown = '';
    const show = (safe: string): void => {
      if (safe === shown) return;
      if (safe.startsWith(shown)) events.emit('agent.test', { runId, delta: safe.slice(shown.length) });
      else events.emit('agent.test', { runId, replace: safe });
      shown = safe;
    };
    try {
      controller.signal.throwIfAborted();
      const provider = this.opts.providerFor(agent);
      for await (const delta of provider.stream({
        systemPrompt: agent.systemPrompt,
        turns: [{ role: 'user', text }],
        context: { platform, botId: 'agent-test', chatId: 'agent-test', chatType: 'p2p', senderOpenId: 'agent-test' },
        signal: controller.signal,
      })) {
        // A test has nobody in a chat to ask: a tool that needs consent is denied at once, and the test says so.
        if (isProgress(delta) && delta.kind === 'approval') {
          void delta.approval.decide('deny').catch(() => undefined);
          full += `\n\n_(The agent asked to run ${delta.approval.tool}; a test denies tool approvals. In a chat, the asker decides.)_\n\n`;
        }
        full = applyChunk(full, delta);
        show(this.opts.redactor.redactGrowing(full));
      }
      controller.signal.throwIfAborted();
      show(this.opts.redactor.redact(full));
      events.emit('agent.test', { runId, done: true });
      this.opts.logger.log('info', 'agent.test_done', { agentId: agent.id, ms: Date.now() - started });
    } catch (err) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : err;
      const error =
        reason instanceof TestTimeout
          ? `The agent did not finish within ${Math.round(limit / 1000)} seconds.`
          : reason instanceof ShuttingDown
            ? 'The test was stopped because the app is shutting down.'
            : err instanceof AgentError
              ? err.userMessage
              : err instanceof Error
                ? err.message
                : String(err);
      events.emit('agent.test', { runId, error });
      this.opts.logger.log('warn', 'agent.test_failed', { agentId: agent.id, error: errorMessage(err) });
    } finally {
      clearTimeout(timer);
      this.runs.delete(controller);
    }
  }
}
