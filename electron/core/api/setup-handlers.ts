import { type Handlers, RpcError } from '@shared/contract';
import { PLATFORM_DOMAIN } from '@shared/platform';
import { LarkApi } from '../lark/api';
import { checkSetup } from '../setup/setup-check';
import { logSetupProblems } from '../setup/setup-report-text';
import type { ServiceContext } from './service-context';

type SetupHandlers = Pick<Handlers, 'bots.setup'>;

/** The setup check of a bot (README "Setup check"): the running bot's own, or a one-off for a bot that is not running. */
export function setupHandlers(ctx: ServiceContext): SetupHandlers {
  return {
    'bots.setup': async ({ id, force }) => {
      const record = ctx.catalog.bot(id);
      if (!record) throw new RpcError('not_found', `There is no bot "${id}".`, 'id');
      const monitor = ctx.manager.setup(id);
      if (monitor) return monitor.check(force ?? false);
      const runnable = await ctx.catalog.runnable(record);
      if (!runnable.ok) throw new RpcError('conflict', `The setup cannot be checked: ${runnable.reason}`, 'id');
      const { bot } = runnable;
      const api = new LarkApi({
        appId: bot.appId,
        appSecret: bot.appSecret,
        domain: bot.domain ?? PLATFORM_DOMAIN[bot.platform],
        logger: ctx.logger.child({ op: 'bots.setup', bot: id }),
        retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
        timeoutMs: 10_000,
      });
      const report = await checkSetup(bot, api, { connected: false, messageArrived: false, cardActionArrived: false });
      logSetupProblems(report, ctx.logger);
      ctx.events.emit('bot.setup', report);
      return report;
    },
  };
}
