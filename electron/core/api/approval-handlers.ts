import { type Handlers, RpcError } from '@shared/contract';
import type { ServiceContext } from './service-context';

type ApprovalHandlers = Pick<Handlers, 'approvals.list' | 'approvals.decide'>;

/** The app's list of tool approvals (README "Tool approvals"): deciding here works exactly like the card's buttons. */
export function approvalHandlers(ctx: ServiceContext): ApprovalHandlers {
  return {
    'approvals.list': async () => ctx.manager.pendingApprovals(),

    'approvals.decide': async ({ botId, requestId, decision }) => {
      const desk = ctx.manager.approvals(botId);
      if (!desk) throw new RpcError('not_found', `Bot "${botId}" is not running, so it has no approvals waiting.`, 'botId');
      const result = await desk.decide(requestId, decision, 'app');
      if (result === 'decided') return { decided: true };
      if (result === 'failed') {
        throw new RpcError('internal', "The agent's backend did not take the decision (is the Kocoro daemon still running?). Try again.");
      }
      throw new RpcError(
        'not_found',
        result === 'done' ? 'This request was already decided or has ended.' : 'This request is no longer waiting.',
        'requestId',
      );
    },
  };
}
