import { useCallback, useEffect, useRef, useState } from 'react';
import { useReconnectEpoch } from '../shell/connection';

export interface LiveQuery<T> {
  /** `null` until the first answer. */
  data: T | null;
  setData: (update: (prev: T | null) => T | null) => void;
  error: unknown;
  /** Fetches again; of overlapping fetches only the newest is kept. Resolves with it (`null` when it failed or was overtaken). */
  reload: () => Promise<T | null>;
}

/**
 * A list from the core, fetched when shown and again after the connection comes back (events may
 * have been missed meanwhile). `fetch` must be stable (a `useCallback`); `onLoaded` is told when
 * the answer was asked for, so events newer than the request can win over its copy.
 */
export function useLiveQuery<T>(fetch: () => Promise<T>, onLoaded?: (value: T, startedAt: number) => void): LiveQuery<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);
  const loaded = useRef(onLoaded);
  loaded.current = onLoaded;

  const reload = useCallback(async () => {
    const mine = ++generation.current;
    const startedAt = performance.now();
    try {
      const value = await fetch();
      if (mine !== generation.current) return null;
      setData(value);
      setError(null);
      loaded.current?.(value, startedAt);
      return value;
    } catch (err) {
      if (mine === generation.current) setError(err);
      return null;
    }
  }, [fetch]);

  const epoch = useReconnectEpoch();
  useEffect(() => {
    void reload();
    return () => {
      generation.current++;
    };
  }, [reload, epoch]);

  return { data, setData, error, reload };
}
