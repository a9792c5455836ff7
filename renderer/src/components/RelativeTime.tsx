import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { relativeTime } from '../lib/time';

/** The current time, re-read every `intervalMs` so relative times stay true. */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

export function useRelativeTimeText(): (at: number) => string {
  const { t } = useTranslation();
  const now = useNow();
  return (at) => {
    const rel = relativeTime(at, now);
    switch (rel.key) {
      case 'time.minutesAgo':
      case 'time.hoursAgo':
        return t(rel.key, { count: rel.count });
      case 'time.date':
        return t('time.date', { date: rel.date, formatParams: { date: { dateStyle: 'medium' } } });
      default:
        return t(rel.key);
    }
  };
}

export function RelativeTime({ at }: { at: number }) {
  const text = useRelativeTimeText();
  return (
    <time dateTime={new Date(at).toISOString()} title={new Date(at).toLocaleString()}>
      {text(at)}
    </time>
  );
}
