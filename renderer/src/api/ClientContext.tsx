/**
 * React access to the client: `<ClientProvider>` once at the root, then `useClient()` for calls,
 * `useEvent()` for push events and `useConnection()` for the online/offline banner.
 */
import { createContext, useCallback, useContext, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { EventName, EventPayload } from '@shared/contract';
import { createClient, type AppClient, type ConnectionState } from './client';

const ClientContext = createContext<AppClient | null>(null);

/** Provides `client` (tests, stories) or, by default, `createClient()` made once per provider. */
export function ClientProvider({ client, children }: { client?: AppClient; children: ReactNode }) {
  const [value] = useState<AppClient>(() => client ?? createClient());
  return <ClientContext.Provider value={value}>{children}</ClientContext.Provider>;
}

export function useClient(): AppClient {
  const client = useContext(ClientContext);
  if (client === null) throw new Error('useClient() needs a <ClientProvider> above it');
  return client;
}

/**
 * Runs `listener` for every `event` while the component is mounted. The latest `listener` is
 * always the one called, without resubscribing on every render.
 */
export function useEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): void {
  const client = useClient();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => client.on(event, (payload) => latest.current(payload)), [client, event]);
}

/** 'online' while push events flow; on a change back to 'online', refetch what is shown. */
export function useConnection(): ConnectionState {
  const client = useClient();
  const subscribe = useCallback((onChange: () => void) => client.onConnection(onChange), [client]);
  return useSyncExternalStore(subscribe, () => client.connection);
}
