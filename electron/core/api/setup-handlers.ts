import { type Handlers, RpcError } from '@shared/contract';
import { webhookUrl } from '@shared/webhook';
import { oneTryApi } from './check-credentials';
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
      const { bot, agent } = runnable;
      const api = oneTryApi(bot, { logger: ctx.logger.child({ op: 'bots.setup', bot: id }) });
      // Not running here: the app's replicas elsewhere on the shared state store hold its connections.
      const replicas = await ctx.manager.replicas(bot.appId).then(
        (list) => list?.length,
        () => null,
      );
      const webhook = ctx.webhookEvidence?.(id);
      const evidence = {
        connected: false,
        messageArrived: false,
        cardActionArrived: false,
        ...(replicas !== undefined ? { replicas } : {}),
        ...(webhook ? { webhook } : {}),
      };
      const publicUrl = ctx.store.settings().publicUrl;
      const report = await checkSetup(
        { ...bot, ...(publicUrl ? { requestUrl: webhookUrl(publicUrl, id) } : {}) },
        api,
        evidence,
        Date.now,
        agent,
      );
      logSetupProblems(report, ctx.logger);
      ctx.events.emit('bot.setup', report);
      return report;
    },
  };
}
