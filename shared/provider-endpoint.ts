/** Where a provider sends its API key when no base URL is set. */
const DEFAULT_ENDPOINT: Record<string, string> = { openai: 'https://api.openai.com/v1', anthropic: 'https://api.anthropic.com' };

/**
 * Whether an API key saved for `before` may be used by `after`: the same provider type at the same
 * origin. A key is never sent to another host: changing the provider or the endpoint's origin
 * drops the saved key unless a new one is given (core and UI agree through this one rule).
 */
export function sameKeyHolder(before: { type: string; baseUrl?: string }, after: { type: string; baseUrl?: string }): boolean {
  if (before.type !== after.type) return false;
  const origin = (p: { type: string; baseUrl?: string }): string => {
    try {
      return new URL(p.baseUrl || DEFAULT_ENDPOINT[p.type] || '').origin;
    } catch {
      return '';
    }
  };
  return origin(before) === origin(after);
}
