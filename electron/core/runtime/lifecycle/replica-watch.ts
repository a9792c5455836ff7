import type { BotReplica } from '@shared/bot-status';
import { errorMessage } from '../../log/error-message';
import type { Logger } from '../../log/logger';
import type { StateBackend } from '../stores/state-backend';

/** How often a running bot reads its app's replicas for its status and the metrics. */
export const REPLICA_POLL_MS = 5_000;

/**
 * The live replicas of an app as the UI sees them (oldest first, this process marked `self`);
 * undefined when the state is not shared (the data folder: one process only).
 */
export async function replicaViews(state: StateBackend | undefined, appId: string): Promise<BotReplica[] | undefined> {
  if (!state?.replicasOf) return undefined;
  const self = state.replica?.id;
  return (await state.replicasOf(appId)).map((r) => {
    const since = Date.parse(r.since);
    return {
      id: r.id,
      host: r.host,
      pid: r.pid,
      since: Number.isFinite(since) ? since : (r.seenAt ?? 0),
      ...(r.id === self ? { self: true } : {}),
    };
  });
}

/** Whether two lists name the same replicas, in the same order. */
export function sameReplicas(a: readonly BotReplica[] | undefined, b: readonly BotReplica[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((r, i) => r.id === b[i]!.id && r.self === b[i]!.self);
}

/**
 * Reads a running bot's replicas now and every REPLICA_POLL_MS, telling `onChange` when they
 * change (a replica starts, stops, or is gone). Nothing when the state is not shared. A read that
 * fails (Redis away) changes nothing: the state store's outage is said on the status already.
 */
export function watchReplicas(opts: {
  state: StateBackend | undefined;
  appId: string;
  log: Logger;
  onChange: (replicas: BotReplica[]) => void;
  everyMs?: number;
}): () => void {
  if (!opts.state?.replicasOf) return () => undefined;
  let last: BotReplica[] | undefined;
  let stopped = false;
  let failing = false;
  const read = async () => {
    try {
      const now = await replicaViews(opts.state, opts.appId);
      failing = false;
      if (stopped || now === undefined || sameReplicas(now, last)) return;
      last = now;
      opts.onChange(now);
    } catch (err) {
      if (!failing) opts.log.log('warn', 'state.replicas_unread', { error: errorMessage(err) });
      failing = true;
    }
  };
  void read();
  const timer = setInterval(() => void read(), opts.everyMs ?? REPLICA_POLL_MS);
  timer.unref?.();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
