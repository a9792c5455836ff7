import { APP_ID_PATTERN } from '@shared/config-schema';

/** The same shape the SDK and the core insist on: `cli_` + 16 hex characters. */
export function isValidAppId(appId: string): boolean {
  return APP_ID_PATTERN.test(appId.trim());
}

/** An absolute http(s) URL with a host, as the contract's `httpUrl` accepts. */
export function isHttpUrl(value: string): boolean {
  return /^https?:\/\/[^\s/]+/i.test(value.trim());
}

/** Temperature text → number, `undefined` when empty, `null` when not a number in 0–2. */
export function parseTemperature(text: string): number | undefined | null {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed.replace(',', '.'));
  if (!Number.isFinite(value) || value < 0 || value > 2) return null;
  return value;
}

/** Trimmed text, or `undefined` when blank: optional contract fields are left out, not sent empty. */
export function optionalText(text: string): string | undefined {
  const trimmed = text.trim();
  return trimmed === '' ? undefined : trimmed;
}
