import type { WebhookEvidence, WebhookProblemReason } from '@shared/webhook';
import type { RefusalReason } from './verify';

/** Why a request to a bot's path was not handled: a refusal of verify.ts, or what the server itself saw. */
export type WebhookProblem = RefusalReason | 'too-large' | 'timeout' | 'handler-failed';

/** What one bot's endpoint has seen, for its status and its setup check ("no request from the platform yet", "the Encrypt Key … does not match"). */
export interface WebhookHealth {
  /** Requests that reached the bot's path (POST), good or not. */
  requests: number;
  /** The last request that passed every check (challenge, event or card callback). */
  lastGood?: { at: number; kind: 'challenge' | 'event' | 'callback' };
  /** The last one that did not, with what to check. */
  lastProblem?: { at: number; problem: WebhookProblem; status: number; hint: string };
  /** Problems seen, by kind, since the listener started. */
  problems: Partial<Record<WebhookProblem, number>>;
}

const HINTS: Record<WebhookProblem, string> = {
  'signature-mismatch':
    "the Encrypt Key in Kocoro does not match the console's (Events & Callbacks → Encryption Strategy), or a proxy changed the body",
  'decrypt-failed': "the Encrypt Key in Kocoro does not match the console's (Events & Callbacks → Encryption Strategy)",
  'token-mismatch': "the Verification Token in Kocoro does not match the console's (Events & Callbacks → Encryption Strategy)",
  'signature-missing': 'the request was not signed: set an Encrypt Key in the console (Events & Callbacks → Encryption Strategy)',
  'timestamp-stale': "the request's timestamp is more than a day old: a replayed request, or this machine's clock is wrong",
  'timestamp-future': "the request's timestamp is ahead of this machine's clock: check the clock",
  'timestamp-invalid': 'the request carries no valid X-Lark-Request-Timestamp',
  'body-not-json': 'the body is not JSON: is something between the platform and Kocoro changing it?',
  'body-malformed': 'the body is not an event or callback of the Open Platform',
  'too-large': 'the body is larger than the listener accepts',
  timeout: 'the client sent its request too slowly',
  'handler-failed': 'Kocoro could not take the event (see the log); the platform pushes it again later',
};

/** The refusals that say a secret or the clock differs from the console's (the setup check names them; shared/webhook.ts). */
const EVIDENCE: Partial<Record<WebhookProblem, WebhookProblemReason>> = {
  'signature-mismatch': 'signature',
  'signature-missing': 'signature',
  'token-mismatch': 'token',
  'decrypt-failed': 'decrypt',
  'timestamp-stale': 'timestamp',
  'timestamp-future': 'timestamp',
  'timestamp-invalid': 'timestamp',
};

export function hintFor(problem: WebhookProblem): string {
  return HINTS[problem];
}

/** Every webhook bot's health, kept by the listener across the bot's restarts. */
export class WebhookHealthBook {
  private readonly bots = new Map<string, WebhookHealth>();
  private readonly refusals = new Map<string, NonNullable<WebhookEvidence['lastProblem']>>();

  constructor(private readonly now: () => number) {}

  private of(botId: string): WebhookHealth {
    let health = this.bots.get(botId);
    if (!health) this.bots.set(botId, (health = { requests: 0, problems: {} }));
    return health;
  }

  request(botId: string): void {
    this.of(botId).requests += 1;
  }

  good(botId: string, kind: 'challenge' | 'event' | 'callback'): void {
    this.of(botId).lastGood = { at: this.now(), kind };
  }

  problem(botId: string, problem: WebhookProblem, status: number): void {
    const health = this.of(botId);
    health.problems[problem] = (health.problems[problem] ?? 0) + 1;
    health.lastProblem = { at: this.now(), problem, status, hint: hintFor(problem) };
    const reason = EVIDENCE[problem];
    if (reason) this.refusals.set(botId, { reason, at: health.lastProblem.at });
  }

  /** What the setup check reads (shared/webhook.ts): the last good request, the last refusal naming a secret or the clock. */
  evidence(botId: string): WebhookEvidence | undefined {
    const health = this.bots.get(botId);
    if (!health) return undefined;
    const lastProblem = this.refusals.get(botId);
    return { ...(health.lastGood ? { lastGoodAt: health.lastGood.at } : {}), ...(lastProblem ? { lastProblem: { ...lastProblem } } : {}) };
  }

  get(botId: string): WebhookHealth | undefined {
    const health = this.bots.get(botId);
    return health && { ...health, problems: { ...health.problems } };
  }
}
