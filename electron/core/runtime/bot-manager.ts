import type { BotStatus } from '../../../shared/bot-status';
import type { ConfigFile } from '../../../shared/config-schema';
import { createProvider } from '../agents/create-provider';
import type { AgentProvider } from '../agents/provider';
import type { RetryPolicy } from '../lark/retry';
import type { Logger } from '../log/logger';
import { BotRuntime } from './bot-runtime';
import { ChatScheduler } from './chat-scheduler';

export interface BotManagerOptions {
  dataDir: string;
  logger: Logger;
  /** Chats answered at the same time, across all bots. */
  concurrency?: number;
  retry?: RetryPolicy;
  redeliverDelayMs?: number;
  pingTimeoutSec?: number;
  /** Lets tests swap in providers; defaults to building them from config. */
  providerFor?: (agentId: string, fallback: () => AgentProvider) => AgentProvider;
}

/** Starts and stops every configured bot; a failing bot never takes the others down. */
export class BotManager {
  private readonly bots = new Map<string, BotRuntime>();
  private readonly scheduler: ChatScheduler;
  private readonly listeners = new Set<(status: BotStatus) => void>();

  constructor(private readonly opts: BotManagerOptions) {
    this.scheduler = new ChatScheduler(opts.concurrency ?? 4, (err) =>
      opts.logger.log('error', 'runtime.task_failed', { error: err instanceof Error ? err.message : String(err) }),
    );
  }

  onStatus(listener: (status: BotStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  statuses(): BotStatus[] {
    return [...this.bots.values()].map((b) => b.currentStatus);
  }

  async startAll(config: ConfigFile): Promise<void> {
    const agents = new Map(config.agents.map((a) => [a.id, a]));
    await Promise.all(
      config.bots
        .filter((bot) => bot.enabled !== false)
        .map(async (bot) => {
          const agent = agents.get(bot.agentId);
          if (!agent) throw new Error(`bot ${bot.id}: no agent with id "${bot.agentId}"`);
          const build = () => createProvider(agent.provider);
          const provider = this.opts.providerFor ? this.opts.providerFor(agent.id, build) : build();
          const runtime = new BotRuntime({
            bot,
            agent: { config: agent, provider },
            dataDir: this.opts.dataDir,
            logger: this.opts.logger.child({ bot: bot.id }),
            scheduler: this.scheduler,
            retry: this.opts.retry,
            redeliverDelayMs: this.opts.redeliverDelayMs,
            pingTimeoutSec: this.opts.pingTimeoutSec,
            onStatus: (status) => this.listeners.forEach((l) => l(status)),
          });
          this.bots.set(bot.id, runtime);
          try {
            await runtime.start();
          } catch (err) {
            this.opts.logger.log('error', 'bot.start_failed', { bot: bot.id, error: err instanceof Error ? err.message : String(err) });
          }
        }),
    );
  }

  /**
   * Graceful stop: no new messages, running answers get up to `graceMs` to finish; anything left
   * stays in the inbox and is answered at the next start.
   */
  async stopAll(graceMs = 10_000): Promise<{ finished: boolean }> {
    for (const bot of this.bots.values()) bot.stopAccepting();
    const finished = await this.scheduler.drain(graceMs);
    if (!finished) {
      for (const bot of this.bots.values()) bot.abortRuns();
      await this.scheduler.drain(2_000);
    }
    return { finished };
  }
}
