/** How long ago something happened, in the words of the UI's dictionaries (pure, testable). */
export type RelativeTime =
  | { key: 'time.justNow' }
  | { key: 'time.minutesAgo'; count: number }
  | { key: 'time.hoursAgo'; count: number }
  | { key: 'time.yesterday' }
  | { key: 'time.date'; date: Date };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export function relativeTime(at: number, now: number): RelativeTime {
  const diff = Math.max(0, now - at);
  if (diff < MINUTE) return { key: 'time.justNow' };
  if (diff < HOUR) return { key: 'time.minutesAgo', count: Math.floor(diff / MINUTE) };
  if (diff < 24 * HOUR) return { key: 'time.hoursAgo', count: Math.floor(diff / HOUR) };
  const then = new Date(at);
  const yesterday = new Date(now);
  yesterday.setDate(yesterday.getDate() - 1);
  if (then.toDateString() === yesterday.toDateString()) return { key: 'time.yesterday' };
  return { key: 'time.date', date: then };
}
