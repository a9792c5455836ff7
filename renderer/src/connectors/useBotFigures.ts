import { useCallback, useEffect, useRef, useState } from 'react';
import type { MethodOutput } from '@shared/contract';
import { useClient, useEvent } from '../api/ClientContext';

export type BotFigures = MethodOutput<'bots.figures'>[number];

/** Queued counts change without an event to say so: looked at again this often while the page is open. */
const REFRESH_MS = 10_000;

/**
 * Each bot's figures of today (answers, median answer time, queued now), by bot id: fetched when
 * the page opens, shortly after each message's activity, and every few seconds.
 */
export function useBotFigures(): ReadonlyMap<string, BotFigures> {
  const client = useClient();
  const [figures, setFigures] = useState<ReadonlyMap<string, BotFigures>>(new Map());
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const load = useCallback(() => {
    client.call('bots.figures', {}).then(
      (list) => setFigures(new Map(list.map((f) => [f.botId, f]))),
      () => undefined, // the row simply keeps its last figures; the page shows connection problems itself
    );
  }, [client]);

  useEffect(() => {
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      clearInterval(timer);
      clearTimeout(pending.current);
    };
  }, [load]);

  // A burst of messages is one refetch, not one per message.
  useEvent('bot.activity', () => {
    if (pending.current !== undefined) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      load();
    }, 400);
  });

  return figures;
}
