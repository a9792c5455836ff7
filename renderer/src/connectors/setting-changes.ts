import { LIVE_KEYS, type LiveView } from '@shared/bot-settings';

/** The settings in `wanted` that differ from what the bot has: what Save sends, and nothing else. */
export function changedSettings(bot: LiveView, wanted: LiveView): Partial<LiveView> {
  return Object.fromEntries(LIVE_KEYS.filter((key) => !sameValue(wanted[key], bot[key])).map((key) => [key, wanted[key]]));
}

/** Whether two values of a setting mean the same: a list is a set of ids, its order means nothing. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    const key = (ids: unknown[]) => ids.map(String).sort().join('\n');
    return key(a) === key(b);
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    return [...new Set([...Object.keys(x), ...Object.keys(y)])].every((key) => sameValue(x[key], y[key]));
  }
  return a === b;
}
