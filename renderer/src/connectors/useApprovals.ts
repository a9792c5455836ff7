import { useCallback, useEffect, useRef, useState } from 'react';
import type { PendingApproval } from '@shared/contract';
import { useClient, useEvent } from '../api/ClientContext';
import { useReconnectEpoch } from '../shell/connection';

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
  const [approvals, setApprovals] = useState<PendingApproval[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    client.call('approvals.list', {}).then(
      (list) => {
        if (mine !== generation.current) return;
        setApprovals(list);
        setError(null);
      },
      (err: unknown) => {
        if (mine === generation.current) setError(err);
      },
    );
  }, [client]);

  const epoch = useReconnectEpoch();
  useEffect(() => {
    reload();
    return () => {
      generation.current++;
    };
  }, [reload, epoch]);

  // A new request is shown at once (the list that follows confirms it); anything else is refetched.
  useEvent('approvals.changed', ({ added }) => {
    if (added) setApprovals((prev) => (prev && !prev.some((a) => sameRequest(a, added)) ? [...prev, added] : prev));
    reload();
  });

  const remove = useCallback((approval: Pick<PendingApproval, 'botId' | 'requestId'>) => {
    setApprovals((prev) => prev?.filter((a) => !sameRequest(a, approval)) ?? prev);
  }, []);

  return { approvals, error, reload, remove };
}

export function sameRequest(a: Pick<PendingApproval, 'botId' | 'requestId'>, b: Pick<PendingApproval, 'botId' | 'requestId'>): boolean {
  return a.botId === b.botId && a.requestId === b.requestId;
}
