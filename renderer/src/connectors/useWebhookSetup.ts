import { createContext, useContext, useEffect, useState } from 'react';
import { useClient, useEvent } from '../api/ClientContext';
import { useReconnectEpoch } from '../shell/connection';

/** What the UI needs to offer webhook mode and show request URLs. */
export interface WebhookSetup {
  /** Kocoro runs as a server (headless): only there can the platform reach a request URL. Null until known. */
  headless: boolean | null;
  /** Settings → "Public URL of this server"; undefined when not set (or not known yet). */
  publicUrl: string | undefined;
}

/**
 * Whether this Kocoro is a server (`app.info` mode) and its public URL (`settings.get`, kept
 * current by `settings.changed`). A failed call leaves the value unknown: webhook mode is then
 * not offered, and a webhook bot's row says the URL is not set.
 */
export function useWebhookSetup(): WebhookSetup {
  const client = useClient();
  const epoch = useReconnectEpoch();
  const [headless, setHeadless] = useState<boolean | null>(null);
  const [publicUrl, setPublicUrl] = useState<string | undefined>(undefined);

  useEffect(() => {
    let cancelled = false;
    client.call('app.info', {}).then(
      (info) => {
        if (!cancelled) setHeadless(info.mode === 'headless');
      },
      () => undefined,
    );
    client.call('settings.get', {}).then(
      (settings) => {
        if (!cancelled) setPublicUrl(settings.publicUrl);
      },
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [client, epoch]);

  useEvent('settings.changed', (settings) => setPublicUrl(settings.publicUrl));
  return { headless, publicUrl };
}

/** The Connectors page's `useWebhookSetup()`, shared with its bots' rows and dialogs. */
export const WebhookSetupContext = createContext<WebhookSetup>({ headless: null, publicUrl: undefined });

export function useWebhookContext(): WebhookSetup {
  return useContext(WebhookSetupContext);
}
