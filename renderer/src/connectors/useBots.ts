import { useCallback, useEffect, useRef, useState } from 'react';
import type { BotView, EventPayload } from '@shared/contract';
import { useClient, useEvent } from '../api/ClientContext';
import { useReconnectEpoch } from '../shell/connection';

type BotStatus = EventPayload<'bot.status'>;

export interface BotsState {
  bots: BotView[] | null;
  error: unknown;
  /** Newest activity time per bot id, from `bot.activity` events. */
  lastActivity: ReadonlyMap<string, number>;
  reload: () => void;
}

/**
 * The registered bots, kept fresh: refetched on `bots.changed`, statuses patched live from
 * `bot.status` (a status event newer than the list request wins over the list's copy).
 */
export function useBots(): BotsState {
  const client = useClient();
  const [list, setList] = useState<BotView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [live, setLive] = useState<ReadonlyMap<string, { status: BotStatus; at: number }>>(new Map());
  const [lastActivity, setLastActivity] = useState<ReadonlyMap<string, number>>(new Map());
  const generation = useRef(0);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    const startedAt = performance.now();
    client.call('bots.list', {}).then(
      (bots) => {
        if (mine !== generation.current) return;
        setList(bots);
        setError(null);
        // Status events that arrived before this request started are already in the list.
        setLive((prev) => new Map([...prev].filter(([, v]) => v.at >= startedAt)));
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

  useEvent('bots.changed', reload);
  useEvent('bot.status', (status) => {
    setLive((prev) => new Map(prev).set(status.botId, { status, at: performance.now() }));
  });
  useEvent('bot.activity', (activity) => {
    setLastActivity((prev) => {
      if ((prev.get(activity.botId) ?? 0) >= activity.at) return prev;
      return new Map(prev).set(activity.botId, activity.at);
    });
  });

  const bots =
    list?.map((bot) => {
      const update = live.get(bot.id);
      return update ? { ...bot, status: update.status } : bot;
    }) ?? null;

  return { bots, error, lastActivity, reload };
}
