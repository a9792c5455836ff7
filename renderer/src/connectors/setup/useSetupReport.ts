import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { SetupReport } from '@shared/contract';
import { useClient, useEvent } from '../../api/ClientContext';
import { errorText } from '../../lib/errors';
import { useReconnectEpoch } from '../../shell/connection';

/** How often an open setup view asks again; the core answers from its last check when that is fresher (30 s). */
export const SETUP_REFRESH_MS = 30_000;

export interface SetupState {
  /** The newest report seen (from a call or a `bot.setup` event); null until the first arrives. */
  report: SetupReport | null;
  /** A forced check (the Check setup button) is in flight. */
  checking: boolean;
  /** Why the last call failed, in words; cleared by the next answer. */
  error: string | null;
  /** Checks again now (`force`), whatever the age of the last report. */
  check: () => void;
}

/**
 * A bot's setup check while a view of it is open: every `bot.setup` event for the bot, a
 * `bots.setup` call when `active` becomes true, then one every 30 s (and after the connection to
 * the core comes back, as events may have been missed). The newest report wins, whichever way it came.
 */
export function useSetupReport(botId: string, active = true): SetupState {
  const { t } = useTranslation();
  const client = useClient();
  const [report, setReport] = useState<SetupReport | null>(null);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const accept = useCallback(
    (next: SetupReport) => {
      if (next.botId !== botId) return;
      setReport((prev) => (prev === null || next.checkedAt >= prev.checkedAt ? next : prev));
    },
    [botId],
  );

  useEvent('bot.setup', accept);

  const ask = useCallback(
    async (force: boolean) => {
      try {
        const next = await client.call('bots.setup', force ? { id: botId, force: true } : { id: botId });
        if (!mounted.current) return;
        accept(next);
        setError(null);
      } catch (err) {
        if (mounted.current) setError(errorText(t, err));
      }
    },
    [client, botId, accept, t],
  );

  const epoch = useReconnectEpoch();
  useEffect(() => {
    if (!active) return;
    void ask(false);
    const timer = setInterval(() => void ask(false), SETUP_REFRESH_MS);
    return () => clearInterval(timer);
  }, [active, ask, epoch]);

  const check = useCallback(() => {
    setChecking(true);
    setError(null);
    void ask(true).finally(() => {
      if (mounted.current) setChecking(false);
    });
  }, [ask]);

  return { report, checking, error, check };
}
