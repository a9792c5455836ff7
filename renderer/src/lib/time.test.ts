import { describe, expect, it } from 'vitest';
import { relativeTime } from './time';

const now = new Date(2026, 3, 22, 15, 0, 0).getTime();

describe('relativeTime', () => {
  it('says "just now" for the last minute, and for clocks slightly ahead', () => {
    expect(relativeTime(now - 30_000, now)).toEqual({ key: 'time.justNow' });
    expect(relativeTime(now + 5_000, now)).toEqual({ key: 'time.justNow' });
  });

  it('counts minutes, then hours', () => {
    expect(relativeTime(now - 2 * 60_000 - 5_000, now)).toEqual({ key: 'time.minutesAgo', count: 2 });
    expect(relativeTime(now - 59 * 60_000, now)).toEqual({ key: 'time.minutesAgo', count: 59 });
    expect(relativeTime(now - 3 * 3_600_000, now)).toEqual({ key: 'time.hoursAgo', count: 3 });
  });

  it('says "yesterday" for the previous calendar day beyond 24 hours, else a date', () => {
    expect(relativeTime(new Date(2026, 3, 21, 9, 0).getTime(), now)).toEqual({ key: 'time.yesterday' });
    const older = new Date(2026, 3, 10, 9, 0);
    expect(relativeTime(older.getTime(), now)).toEqual({ key: 'time.date', date: older });
  });
});
