import type { Logger } from '../log/logger';
import type { BotManager } from '../runtime/lifecycle/bot-manager';
import type { Catalog } from './catalog';
import { errorMessage } from '../log/error-message';

/**
 * Turns "this bot should run" into a running bot: resolves its secrets and agent, refuses what
 * cannot work (with a status saying why), and hands the rest to the BotManager.
 */
export class BotLauncher {
  constructor(private readonly deps: { catalog: Catalog; manager: BotManager; logger: Logger }) {}

  /**
   * (Re)starts the bot if it is enabled, or stops it if not. Resolves as soon as the bot's status
   * says `connecting` (or why it cannot); `started` settles when the connection attempt is over.
   */
  async launch(botId: string): Promise<{ started: Promise<void> }> {
    const { catalog, manager } = this.deps;
    const record = catalog.bot(botId);
    if (!record || record.enabled === false) {
      await manager.stopBot(botId);
      return { started: Promise.resolve() };
    }
    const runnable = await catalog.runnable(record);
    if (!runnable.ok) {
      await manager.stopBot(botId);
      manager.fail(botId, runnable.reason);
      this.deps.logger.log('error', 'bot.cannot_start', { bot: botId, reason: runnable.reason });
      return { started: Promise.resolve() };
    }
    const started = manager.startBot(runnable.bot, runnable.agent).catch((err: unknown) => {
      this.deps.logger.log('error', 'bot.start_failed', { bot: botId, error: errorMessage(err) });
    });
    return { started };
  }

  /** Every listed bot; one already running (created before the service was started) keeps its connection. */
  async launchAll(): Promise<void> {
    const idle = this.deps.catalog.bots().filter((b) => !this.deps.manager.isRunning(b.id));
    const launched = await Promise.all(idle.map((b) => this.launch(b.id)));
    await Promise.all(launched.map((l) => l.started));
  }

  stop(botId: string): Promise<{ finished: boolean }> {
    return this.deps.manager.stopBot(botId);
  }
}
