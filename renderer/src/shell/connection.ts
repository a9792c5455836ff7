import { useEffect, useRef, useState } from 'react';
import { useConnection } from '../api/ClientContext';

/**
 * A number that goes up each time the connection to the core comes back after a drop: data hooks
 * put it in their effect dependencies to refetch what events may have been missed meanwhile.
 */
export function useReconnectEpoch(): number {
  const state = useConnection();
  const previous = useRef(state);
  const [epoch, setEpoch] = useState(0);
  useEffect(() => {
    if (previous.current === 'offline' && state === 'online') setEpoch((n) => n + 1);
    previous.current = state;
  }, [state]);
  return epoch;
}
