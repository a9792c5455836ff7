import { useCallback } from 'react';
import type { AgentView } from '@shared/contract';
import { useClient, useEvent } from '../api/ClientContext';
import { useLiveQuery } from '../lib/useLiveQuery';

export interface AgentsState {
  agents: AgentView[] | null;
  error: unknown;
  reload: () => Promise<AgentView[] | null>;
}

/** The agents, refetched on `agents.changed` (and on `bots.changed`: "used by" counts move). */
export function useAgents(): AgentsState {
  const client = useClient();
  const fetch = useCallback(() => client.call('agents.list', {}), [client]);
  const { data: agents, error, reload } = useLiveQuery(fetch);

  const refetch = useCallback(() => void reload(), [reload]);
  useEvent('agents.changed', refetch);
  useEvent('bots.changed', refetch);

  return { agents, error, reload };
}
