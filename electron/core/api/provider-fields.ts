/**
 * A provider's settings without its key and without empty optional fields: what the app store
 * keeps (the key goes to the vault) and what the UI is shown (with `hasApiKey` instead).
 */
export function providerWithoutKey(provider: { type: string; apiKey?: unknown }): Record<string, unknown> & { type: string } {
  const { apiKey: _key, ...rest } = provider;
  const kept = Object.entries(rest).filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0));
  return Object.fromEntries(kept.map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])) as Record<string, unknown> & { type: string };
}

/** Provider types whose key lives in the vault. */
export function takesApiKey(type: string): boolean {
  return type === 'openai' || type === 'anthropic';
}
