import type { ClientRequest } from 'node:http';
import { hex } from './ids.js';
import type { TimerSet } from './timers.js';
import type { FakeWebhook, PushRecord, UrlVerification, WebhookAttempt } from './types.js';
import { untilAcked, type Waiters } from './waiters.js';
import { buildWebhookRequest, sendWebhookRequest } from './webhook-crypto.js';
import type { WebhookRequest, WebhookResponse } from './webhook-crypto.js';

/**
 * The documented re-push schedule of a failed event ("事件概述"; lark/README.md
 * §2.9): 15 s, 5 min, 1 h, 6 h — at most 4 retries. The fake's default `repushDelaysMs` is a shortened one.
 */
export const DOCUMENTED_REPUSH_DELAYS_MS: readonly number[] = [15_000, 300_000, 3_600_000, 21_600_000];
/** lark/README.md §4.1: the challenge must be answered within 1 s. */
export const URL_VERIFICATION_DEADLINE_MS = 1000;

export interface WebhookDeliveryOptions {
  /** Events and callbacks alike: HTTP 200 within this (lark/README.md §2.9, §3.5: 3 s). */
  ackTimeoutMs: number;
  repushDelaysMs: number[];
  /** lark/README.md §4: webhook TCP connect timeout 2 s. */
  connectTimeoutMs: number;
}

interface WebhookState {
  record: PushRecord;
  envelope: object;
  callback: boolean;
  /** The first attempt's request, re-sent as is unless `resignRepushes`. */
  request?: WebhookRequest;
  retriesUsed: number;
  gaveUp: boolean;
}

/** Card callbacks (lark/README.md §3.5) are answered with a body and never re-pushed; everything else is an event. */
const isCallback = (eventType: string): boolean => eventType === 'card.action.trigger' || eventType === 'card.action.trigger_v1';

/**
 * Webhook-mode delivery (lark/README.md §4, §11, §2.9, §3.5): each push POSTed to the app's
 * request URL, encrypted and signed with its Encrypt Key. Events: HTTP 200 within the deadline = delivered; any
 * other status (4xx included: the docs count every non-200 as a failed push), a refused connection or no answer
 * → re-pushed on the schedule. Card callbacks: one attempt, the response body recorded.
 */
export class WebhookDelivery {
  private readonly configs = new Map<string, FakeWebhook>();
  private readonly states = new Map<string, WebhookState>();
  private readonly inFlight = new Set<ClientRequest>();
  private readonly verifications: UrlVerification[] = [];
  private closed = false;

  constructor(
    private readonly timers: TimerSet,
    private readonly waiters: Waiters,
    private readonly opts: WebhookDeliveryOptions,
  ) {}

  set(appId: string, config: FakeWebhook | undefined): void {
    if (config === undefined) this.configs.delete(appId);
    else {
      if (!/^https?:\/\//.test(config.url)) throw new Error(`fake-lark: the webhook url must be http(s)://…, got ${config.url}`);
      this.configs.set(appId, { ...config });
    }
  }

  get(appId: string): FakeWebhook | undefined {
    const config = this.configs.get(appId);
    return config ? { ...config } : undefined;
  }

  has(pushId: string): boolean {
    return this.states.has(pushId);
  }

  list(): PushRecord[] {
    return [...this.states.values()].map((s) => s.record);
  }

  push(appId: string, pushId: string, identity: { eventId: string; eventType: string }, envelope: object): PushRecord {
    const state: WebhookState = {
      record: {
        pushId,
        appId,
        eventId: identity.eventId,
        eventType: identity.eventType,
        attempts: 0,
        acked: false,
        deliveredTo: [],
        via: 'webhook',
        webhookAttempts: [],
      },
      envelope,
      callback: isCallback(identity.eventType),
      retriesUsed: 0,
      gaveUp: false,
    };
    this.states.set(pushId, state);
    void this.attempt(state);
    return state.record;
  }

  waitForAck(pushId: string, timeoutMs: number): Promise<PushRecord> {
    const state = this.states.get(pushId);
    if (!state) return Promise.reject(new Error(`fake-lark: unknown push ${pushId}`));
    return untilAcked(this.waiters, state, timeoutMs, {
      gaveUp: () => {
        const last = state.record.webhookAttempts?.at(-1);
        return (
          `fake-lark: webhook push ${pushId} (${state.record.eventType}) was never answered 200 after ${state.record.attempts} attempt(s); ` +
          `last: ${last ? `${last.outcome}${last.status !== undefined ? ` ${last.status}` : ''}${last.error ? ` ${last.error}` : ''}` : 'none'}` +
          (state.record.callbackError !== undefined ? `; callback error ${state.record.callbackError}` : '')
        );
      },
      waiting: `webhook answer to push ${pushId}`,
    });
  }

  /** lark/README.md §4.1: POST the challenge (encrypted when the app has an Encrypt Key, unless `encrypt: false`). */
  async verifyUrl(
    appId: string,
    token: string,
    opts: { url?: string; encrypt?: boolean; challenge?: string; token?: string; sign?: boolean; timeoutMs?: number } = {},
  ): Promise<UrlVerification> {
    const config = this.configs.get(appId);
    const url = opts.url ?? config?.url;
    if (!url) throw new Error(`fake-lark: app ${appId} has no webhook url; setWebhook() first or pass { url }`);
    const encryptKey = config?.encryptKey ?? '';
    const encrypted = opts.encrypt ?? encryptKey !== '';
    const challenge = opts.challenge ?? hex(14);
    // lark/README.md §11: the url_verification request is not signed.
    const request = buildWebhookRequest(
      { challenge, token: opts.token ?? token, type: 'url_verification' },
      { encryptKey, encrypt: encrypted, sign: opts.sign ?? false },
    );
    const at = Date.now();
    const response = await this.send(url, request, opts.timeoutMs ?? URL_VERIFICATION_DEADLINE_MS, config?.ca);
    let answered = false;
    if (response.status === 200) {
      try {
        answered = (JSON.parse(response.body) as { challenge?: unknown }).challenge === challenge;
      } catch {
        answered = false;
      }
    }
    const verification: UrlVerification = {
      appId,
      url,
      challenge,
      encrypted,
      request,
      response,
      answered,
      latencyMs: response.latencyMs,
      at,
    };
    this.verifications.push(verification);
    this.waiters.notify();
    return verification;
  }

  urlVerifications(appId?: string): UrlVerification[] {
    return this.verifications.filter((v) => appId === undefined || v.appId === appId);
  }

  /** Sends a hand-built (possibly tampered) request; tracked so `close()` aborts it. */
  sendRaw(url: string, request: Pick<WebhookRequest, 'headers' | 'body'>, timeoutMs?: number, ca?: string): Promise<WebhookResponse> {
    return this.send(url, request, timeoutMs ?? this.opts.ackTimeoutMs, ca);
  }

  close(): void {
    this.closed = true;
    for (const req of this.inFlight) req.destroy();
    this.inFlight.clear();
  }

  private send(url: string, request: Pick<WebhookRequest, 'headers' | 'body'>, timeoutMs: number, ca?: string): Promise<WebhookResponse> {
    return sendWebhookRequest(url, request, {
      timeoutMs,
      connectTimeoutMs: this.opts.connectTimeoutMs,
      ...(ca ? { ca } : {}),
      track: (req) => {
        this.inFlight.add(req);
        return () => this.inFlight.delete(req);
      },
    });
  }

  private async attempt(state: WebhookState): Promise<void> {
    if (this.closed) return;
    const record = state.record;
    const config = this.configs.get(record.appId);
    const url = config?.url ?? '';
    const fresh = state.request === undefined || config?.resignRepushes === true;
    const request = fresh ? buildWebhookRequest(state.envelope, { encryptKey: config?.encryptKey ?? '' }) : state.request!;
    state.request ??= request;

    record.attempts += 1;
    record.deliveredTo.push(url);
    const sentAt = Date.now();
    this.waiters.notify();
    const response: WebhookResponse = config
      ? await this.send(url, request, this.opts.ackTimeoutMs, config.ca)
      : { outcome: 'connect-failed', body: '', headers: {}, latencyMs: 0, error: 'ENOURL' };
    if (this.closed) return;

    const attempt: WebhookAttempt = {
      attempt: record.attempts,
      url,
      sentAt,
      request,
      outcome: response.outcome,
      ...(response.status !== undefined ? { status: response.status } : {}),
      body: response.body,
      latencyMs: response.latencyMs,
      ...(response.error !== undefined ? { error: response.error } : {}),
    };
    record.webhookAttempts!.push(attempt);
    if (response.status !== undefined) record.ackCode = response.status;
    else delete record.ackCode;
    record.ackLatencyMs = response.latencyMs;
    if (response.body !== '') record.ackData = parseMaybe(response.body);
    else delete record.ackData;
    if (response.outcome === 'refused') record.refused = true;

    if (state.callback) this.settleCallback(state, response);
    else if (response.outcome === 'delivered') this.delivered(state);
    else this.failAttempt(state);
  }

  private delivered(state: WebhookState): void {
    state.record.acked = true;
    state.record.ackedAt = Date.now();
    this.waiters.notify();
  }

  /** lark/README.md §3.5: 200 with a JSON object (`{}` or `{toast, card}`) within 3 s; anything else is an error the user sees. */
  private settleCallback(state: WebhookState, response: WebhookResponse): void {
    const record = state.record;
    if (response.outcome === 'delivered') {
      const body = parseMaybe(response.body);
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
        this.delivered(state);
        return;
      }
      record.callbackError = 200672;
    } else if (response.outcome === 'timeout') record.callbackError = 200341;
    else if (response.outcome === 'connect-failed') record.callbackError = 200342;
    else record.callbackError = 200671;
    // Callbacks are never re-pushed (lark/README.md §11, "回调概述").
    state.gaveUp = true;
    this.waiters.notify();
  }

  private failAttempt(state: WebhookState): void {
    const delay = this.opts.repushDelaysMs[state.retriesUsed];
    if (delay === undefined) {
      state.gaveUp = true;
      this.waiters.notify();
      return;
    }
    state.retriesUsed += 1;
    this.timers.set(() => void this.attempt(state), delay);
    this.waiters.notify();
  }
}

function parseMaybe(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
