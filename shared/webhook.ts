/**
 * Webhook mode as the UI and the setup check see it (README "Webhook mode"): the request URL a
 * webhook bot's console is given, built from the app-wide public base URL, and what the webhook
 * endpoint saw of a bot's requests. Pure: no Node, no DOM.
 */
import { z } from 'zod';

/** Each webhook bot's own path, for events and card callbacks alike. */
export const WEBHOOK_PATH_PREFIX = '/webhook/';

/** An absolute http(s) URL with a host and no query, fragment or credentials. */
function isBaseUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    (url.protocol === 'https:' || url.protocol === 'http:') &&
    url.hostname !== '' &&
    url.search === '' &&
    url.hash === '' &&
    url.username === '' &&
    url.password === '' &&
    !/\s/.test(value)
  );
}

/**
 * The public URL of this server (Settings → "Public URL of this server"): where the platform
 * reaches Kocoro, e.g. `https://bots.example.com` behind an HTTPS reverse proxy. Kept without a
 * trailing slash.
 */
export const publicUrlSchema = z
  .string()
  .trim()
  .max(2_000, 'must be at most 2000 characters')
  .refine(isBaseUrl, 'must be an http(s) URL such as https://bots.example.com, with no ?query or #fragment')
  .transform((url) => url.replace(/\/+$/, ''));

/** The request URL to paste in the console (events and callbacks): `<base>/webhook/<bot id>`. */
export function webhookUrl(publicUrl: string, botId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${WEBHOOK_PATH_PREFIX}${encodeURIComponent(botId)}`;
}

/** Why the endpoint refused a request that claimed to come from the platform. */
export const webhookProblemReasons = ['signature', 'token', 'decrypt', 'timestamp'] as const;
export type WebhookProblemReason = (typeof webhookProblemReasons)[number];

/**
 * What the webhook endpoint saw of one bot's requests, kept by the webhook server and read by the
 * setup check (`Evidence.webhook`): when the last request passed every check, and the last refusal
 * with its reason. Times in ms since the epoch.
 */
export interface WebhookEvidence {
  lastGoodAt?: number;
  lastProblem?: { reason: WebhookProblemReason; at: number };
}
