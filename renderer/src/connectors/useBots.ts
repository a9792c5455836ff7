import { useCallback, useState } from 'react';
import type { BotView, EventPayload } from '@shared/contract';
import { useClient, useEvent } from '../api/ClientContext';
import { useLiveQuery } from '../lib/useLiveQuery';

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
  const [live, setLive] = useState<ReadonlyMap<string, { status: BotStatus; at: number }>>(new Map());
  const [lastActivity, setLastActivity] = useState<ReadonlyMap<string, number>>(new Map());
  const fetch = useCallback(() => client.call('bots.list', {}), [client]);
  // Status events that arrived before the list was asked for are already in it.
  const dropOlder = useCallback((_bots: BotView[], startedAt: number) => {
    setLive((prev) => new Map([...prev].filter(([, v]) => v.at >= startedAt)));
  }, []);
  const { data: list, error, reload: load } = useLiveQuery(fetch, dropOlder);
  const reload = useCallback(() => void load(), [load]);

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
