import { useCallback, useEffect, useRef, useState } from 'react';
import type { AgentView } from '@shared/contract';
import { useClient, useEvent } from '../api/ClientContext';
import { useReconnectEpoch } from '../shell/connection';

export interface AgentsState {
  agents: AgentView[] | null;
  error: unknown;
  reload: () => Promise<AgentView[] | null>;
}

/** The agents, refetched on `agents.changed` (and on `bots.changed`: "used by" counts move). */
export function useAgents(): AgentsState {
  const client = useClient();
  const [agents, setAgents] = useState<AgentView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const list = await client.call('agents.list', {});
      if (mine === generation.current) {
        setAgents(list);
        setError(null);
      }
      return list;
    } catch (err) {
      if (mine === generation.current) setError(err);
      return null;
    }
  }, [client]);

  const epoch = useReconnectEpoch();
  useEffect(() => {
    void reload();
    return () => {
      generation.current++;
    };
  }, [reload, epoch]);

  const refetch = useCallback(() => void reload(), [reload]);
  useEvent('agents.changed', refetch);
  useEvent('bots.changed', refetch);

  return { agents, error, reload };
}
