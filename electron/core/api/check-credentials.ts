import type { Platform } from '@shared/config-schema';
import type { CredentialsCheck } from '@shared/contract';
import { PLATFORM_DOMAIN, PLATFORM_LABEL } from '@shared/platform';
import { LarkApi } from '../lark/api';
import { toLarkApiError } from '../lark/errors';
import type { Logger } from '../log/logger';

export interface CredentialsInput {
  platform: Platform;
  appId: string;
  appSecret: string;
  domain?: string;
}

/** The person is waiting on a dialog: one try, and an answer within seconds whatever the network does. */
export const CHECK_TIMEOUT_MS = 10_000;

/**
 * Asks the platform for a tenant token with these credentials, and says in words what to fix when
 * it refuses: wrong credentials, an unreachable host, or anything else the platform answered.
 */
export async function checkCredentials(input: CredentialsInput, opts: { logger: Logger; timeoutMs?: number }): Promise<CredentialsCheck> {
  const domain = openPlatformBase(input.platform, input.domain);
  const api = oneTryApi(input, opts);
  try {
    await api.verifyCredentials();
    return { ok: true };
  } catch (err) {
    const e = toLarkApiError(err);
    const host = hostOf(domain);
    // The token API says which half is wrong only in its message (lark/README.md §5.1: "app id not exists").
    if (e.kind === 'credentials' && /app ?id not exist/i.test(e.platformMessage)) {
      return {
        ok: false,
        reason: 'unknown_app',
        message: `${PLATFORM_LABEL[input.platform]} has no app with this App ID (code ${e.code}: ${e.platformMessage}). Check the App ID, and that the app was created on ${hostOf(PLATFORM_DOMAIN[input.platform])}.`,
      };
    }
    if (e.kind === 'credentials') {
      return {
        ok: false,
        reason: 'credentials',
        message: `The App ID or App Secret is wrong (code ${e.code}: ${e.platformMessage}). Copy both again from Credentials & Basic Info.`,
      };
    }
    if (e.networkCause) {
      return {
        ok: false,
        reason: 'network',
        message: `Cannot reach ${host}: ${e.networkCause}. Check your network or the Open Platform URL.`,
      };
    }
    if (e.code === undefined) {
      // An answer that is not the platform's JSON: usually a URL that points at some other web server.
      return {
        ok: false,
        reason: 'platform',
        message: `${host} answered ${e.platformMessage}, which is not an Open Platform answer. Check the Open Platform URL.`,
      };
    }
    return {
      ok: false,
      reason: 'platform',
      message: `The Open Platform refused the check (code ${e.code}: ${e.platformMessage})${e.hint ? `: ${e.hint}` : ''}.`,
    };
  }
}

/** The platform asked on behalf of someone waiting (a dialog, a check): one try, an answer within seconds. */
export function oneTryApi(input: CredentialsInput, opts: { logger: Logger; timeoutMs?: number }): LarkApi {
  return new LarkApi({
    appId: input.appId,
    appSecret: input.appSecret,
    domain: openPlatformBase(input.platform, input.domain),
    logger: opts.logger,
    retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
    timeoutMs: opts.timeoutMs ?? CHECK_TIMEOUT_MS,
  });
}

/** The platform's base URL, or the custom one without a trailing slash (paths are appended to it). */
export function openPlatformBase(platform: Platform, domain?: string): string {
  const custom = domain?.trim().replace(/\/+$/, '');
  return custom || PLATFORM_DOMAIN[platform];
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
