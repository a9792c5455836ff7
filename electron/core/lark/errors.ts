import { errorMessage } from '../log/error-message';

/**
 * What went wrong on a Lark Open Platform call, in a form the runtime can act on
 * (lark/README.md §7) and words the person can act on.
 */
export type LarkErrorKind =
  | 'credentials' // wrong App ID / App Secret: stop, ask the user
  | 'token' // tenant token rejected: drop it, fetch a new one, retry once
  | 'rate_limit' // back off and retry
  | 'transient' // 5xx, network: back off and retry
  | 'permission' // missing scope: show a grant link
  | 'permanent'; // anything else: give up with a hint

export class LarkApiError extends Error {
  constructor(
    readonly kind: LarkErrorKind,
    readonly code: number | undefined,
    readonly platformMessage: string,
    readonly hint: string,
    readonly httpStatus?: number,
    readonly retryAfterMs?: number,
    readonly missingScopes: string[] = [],
    /**
     * Set when no HTTP response came back at all (refused, DNS, timeout), in a few words
     * ("connection refused"): the host was not reached, so this is not the platform's answer.
     */
    readonly networkCause?: string,
  ) {
    super(
      code === undefined
        ? `${platformMessage}${hint ? ` — ${hint}` : ''}`
        : `Lark error ${code}: ${platformMessage}${hint ? ` — ${hint}` : ''}`,
    );
    this.name = 'LarkApiError';
  }
}

const CREDENTIAL_CODES = new Set([10003, 10014, 10015, 20002]);
const TOKEN_CODES = new Set([99991663, 99991664, 99991665]);
const RATE_CODES = new Set([99991400, 230020, 11232]);

const HINTS: Record<number, string> = {
  10003: 'the App ID is malformed: copy it again from "Credentials & Basic Info"',
  10014: 'the App ID or App Secret is wrong: copy both again from "Credentials & Basic Info"',
  10015: 'the App Secret is wrong: copy it again from "Credentials & Basic Info" (or reset it there)',
  20002: 'the App ID and App Secret do not belong together',
  99991401: "this machine's IP is not in the app's IP whitelist (console: Security Settings)",
  99991403: "the app's monthly API quota is used up",
  99991672: 'the app lacks a permission scope: add it under "Permissions & Scopes" and publish a new version',
  99991673: 'the app is disabled or not installed in this tenant',
  99991662: 'the app is not in use in this tenant: publish it and have it approved',
  230002: 'the bot is not a member of this group: add the bot to the group',
  230006: 'the bot capability is not enabled: add "Bot" under "Add Features" and publish a new version',
  230011: 'the message was recalled',
  230013: 'the user is outside the app\'s availability scope: widen it under "Version Management & Release"',
  230018: 'the group settings block the bot from posting',
  230025: 'the reply is too long for one message',
  230027: 'the app lacks a necessary permission',
  230035: 'the bot has no permission to send in this chat (muted or blocked)',
  230053: 'the user has stopped receiving messages from this bot',
  230110: 'the message was deleted',
  232009: 'the group was dissolved',
};

export function hintFor(code: number | undefined): string {
  return code === undefined ? '' : (HINTS[code] ?? '');
}

interface AxiosLikeError {
  isAxiosError?: boolean;
  code?: string;
  message?: string;
  response?: { status?: number; data?: unknown; headers?: Record<string, unknown> };
}

/** Turns whatever the SDK threw (AxiosError, Error, a body with code ≠ 0) into a LarkApiError. */
export function toLarkApiError(err: unknown): LarkApiError {
  if (err instanceof LarkApiError) return err;
  const e = (err ?? {}) as AxiosLikeError;
  const response = e.response;
  if (response) {
    const body = (response.data ?? {}) as {
      code?: unknown;
      msg?: unknown;
      error?: { permission_violations?: Array<{ subject?: string }> };
    };
    const code = typeof body.code === 'number' ? body.code : undefined;
    const msg = typeof body.msg === 'string' ? body.msg : `HTTP ${response.status ?? '?'}`;
    const resetHeader = response.headers?.['x-ogw-ratelimit-reset'];
    const retryAfterMs = resetHeader !== undefined && Number.isFinite(Number(resetHeader)) ? Number(resetHeader) * 1000 : undefined;
    const scopes = (body.error?.permission_violations ?? []).map((v) => v.subject).filter((s): s is string => typeof s === 'string');
    return fromCode(code, msg, response.status, retryAfterMs, scopes);
  }
  if (typeof e.code === 'string' || e.isAxiosError) {
    // No response at all: DNS, refused connection, timeout.
    return new LarkApiError(
      'transient',
      undefined,
      describeNetworkError(e.code, e.message),
      'check the network connection',
      undefined,
      undefined,
      [],
      networkCause(e.code, e.message),
    );
  }
  return new LarkApiError('permanent', undefined, errorMessage(err), '');
}

export function fromCode(
  code: number | undefined,
  msg: string,
  httpStatus?: number,
  retryAfterMs?: number,
  missingScopes: string[] = [],
): LarkApiError {
  let kind: LarkErrorKind;
  if (code !== undefined && CREDENTIAL_CODES.has(code)) kind = 'credentials';
  else if (code !== undefined && TOKEN_CODES.has(code)) kind = 'token';
  else if ((code !== undefined && RATE_CODES.has(code)) || httpStatus === 429) kind = 'rate_limit';
  else if (code === 99991672) kind = 'permission';
  else if (httpStatus !== undefined && httpStatus >= 500) kind = 'transient';
  else kind = 'permanent';
  return new LarkApiError(kind, code, msg, hintFor(code), httpStatus, retryAfterMs, missingScopes);
}

function describeNetworkError(code: string | undefined, message: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused by the Open Platform host';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the Open Platform host name could not be resolved';
    case 'ETIMEDOUT':
    case 'ECONNABORTED':
      return 'the Open Platform did not answer in time';
    default:
      return `network error${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
  }
}

function networkCause(code: string | undefined, message: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'ETIMEDOUT':
    case 'ECONNABORTED':
      return 'no answer in time';
    case 'ECONNRESET':
      return 'connection reset';
    case 'CERT_HAS_EXPIRED':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return 'its TLS certificate is not trusted';
    default:
      return code ? `network error ${code}` : (message ?? 'network error');
  }
}

/**
 * Whether trying the same thing again later may succeed: a 5xx or network failure, a rate limit, a
 * rejected tenant token. The one test of every retry loop (electron/core/README.md "Failures and
 * retries"): a call retries these within seconds (a token only after fetching a new one), an
 * answer is redelivered after them within minutes.
 */
export function isRetryable(e: LarkApiError): boolean {
  return e.kind === 'transient' || e.kind === 'rate_limit' || e.kind === 'token';
}
