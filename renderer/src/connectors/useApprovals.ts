import { useCallback } from 'react';
import type { PendingApproval } from '@shared/contract';
import { useClient, useEvent } from '../api/ClientContext';
import { useLiveQuery } from '../lib/useLiveQuery';

export interface ApprovalsState {
  /** Tool calls waiting for consent, oldest first; `null` until the first list arrives. */
  approvals: PendingApproval[] | null;
  error: unknown;
  reload: () => void;
  /** Takes a request off the list at once (decided here; the refetch that follows confirms it). */
  remove: (approval: Pick<PendingApproval, 'botId' | 'requestId'>) => void;
}

/** Tool approvals the bots' agents wait for: listed when shown, again on `approvals.changed` and after a reconnect. */
export function useApprovals(): ApprovalsState {
  const client = useClient();
  const fetch = useCallback(() => client.call('approvals.list', {}), [client]);
  const { data: approvals, setData: setApprovals, error, reload } = useLiveQuery(fetch);
  const refetch = useCallback(() => void reload(), [reload]);

  // A new request is shown at once (the list that follows confirms it); anything else is refetched.
  useEvent('approvals.changed', ({ added }) => {
    if (added) setApprovals((prev) => (prev && !prev.some((a) => sameRequest(a, added)) ? [...prev, added] : prev));
    refetch();
  });

  const remove = useCallback(
    (approval: Pick<PendingApproval, 'botId' | 'requestId'>) => {
      setApprovals((prev) => prev?.filter((a) => !sameRequest(a, approval)) ?? prev);
    },
    [setApprovals],
  );

  return { approvals, error, reload: refetch, remove };
}

export function sameRequest(a: Pick<PendingApproval, 'botId' | 'requestId'>, b: Pick<PendingApproval, 'botId' | 'requestId'>): boolean {
  return a.botId === b.botId && a.requestId === b.requestId;
}
