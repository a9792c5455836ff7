import { randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import type { Platform } from '@shared/config-schema';
import type { RegistrationEvent } from '@shared/contract';
import { CARD_CALLBACK, MESSAGE_EVENT, REQUIRED_SCOPES } from '@shared/lark-console';
import { PLATFORM_LABEL } from '@shared/platform';
import type { Logger } from '../log/logger';
import type { SecretRedactor } from '../log/redact';
import { registerApp } from '../lark/register-app';

/**
 * The accounts hosts the device flow talks to (lark/README.md §5.15), and the Open Platform the apps
 * it creates live on when that is not the public one (a private deployment; the tests' fake).
 */
export interface AccountsHosts {
  feishu: string;
  lark: string;
  openPlatform?: string;
}
export const ACCOUNTS_HOSTS: AccountsHosts = { feishu: 'accounts.feishu.cn', lark: 'accounts.larksuite.com' };
const OPEN_HOSTS: Record<Platform, string> = { feishu: 'https://open.feishu.cn', lark: 'https://open.larksuite.com' };

interface Created {
  appId: string;
  appSecret: string;
  platform: Platform;
  /** Where the app lives when not on its platform's public Open Platform: its secret goes nowhere else. */
  domain?: string;
  ownerOpenId?: string;
}

/** A registration's credentials are kept this long for the dialog to use, then forgotten. */
const KEEP_CREATED_MS = 60 * 60_000;

/**
 * "Create the app by scanning a QR code" (README): the SDK's `registerApp` device flow. The QR code
 * is drawn here (`qrcode`) and sent to the dialog with its expiry; on approval the App ID and the
 * scanner's open_id go to the dialog, while the App Secret stays here, named by the registration
 * id, until the bot is created with it (secrets travel UI → core only).
 */
export class Registrations {
  private readonly running = new Map<string, AbortController>();
  private readonly created = new Map<string, Created & { at: number }>();

  constructor(
    private readonly deps: {
      emit: (event: RegistrationEvent) => void;
      logger: Logger;
      redactor: SecretRedactor;
      hosts?: AccountsHosts;
      now?: () => number;
    },
  ) {}

  start(platform: Platform): string {
    const registrationId = randomUUID();
    const controller = new AbortController();
    this.running.set(registrationId, controller);
    void this.run(registrationId, platform, controller.signal).finally(() => this.running.delete(registrationId));
    return registrationId;
  }

  /**
   * Ends a registration: a running scan is stopped, and an approved one's credentials are forgotten
   * (the bot was created with them, or the dialog closed). Whether there was anything to end.
   */
  cancel(registrationId: string): boolean {
    const controller = this.running.get(registrationId);
    controller?.abort();
    const forgotten = this.created.delete(registrationId);
    return controller !== undefined || forgotten;
  }

  /** The credentials an approved scan created, for checking and creating the bot. */
  credentials(registrationId: string): Created | undefined {
    const now = (this.deps.now ?? Date.now)();
    for (const [id, c] of this.created) if (now - c.at > KEEP_CREATED_MS) this.created.delete(id);
    return this.created.get(registrationId);
  }

  cancelAll(): void {
    for (const controller of this.running.values()) controller.abort();
  }

  private async run(registrationId: string, platform: Platform, signal: AbortSignal): Promise<void> {
    const { emit, logger } = this.deps;
    const hosts = this.deps.hosts ?? ACCOUNTS_HOSTS;
    const log = logger.child({ op: 'registration', registrationId });
    try {
      const result = await registerApp({
        // The flow always begins on Feishu's accounts host; a Lark tenant is switched to once (as Lark's own CLI does).
        domain: hosts.feishu,
        larkDomain: hosts.lark,
        source: 'kocoro-desktop',
        signal,
        appPreset: { name: 'Kocoro bot', desc: 'An AI agent in chats, run by Kocoro Desktop' },
        addons: {
          scopes: { tenant: [...REQUIRED_SCOPES] },
          events: { items: { tenant: [MESSAGE_EVENT] } },
          callbacks: { items: [CARD_CALLBACK] },
        },
        onQRCodeReady: ({ url, expireIn }) => {
          const shown = qrLink(url, platform);
          void QRCode.toString(shown, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }).then((svg) =>
            emit({ registrationId, status: 'qr', qr: { url: shown, svg, expiresAt: (this.deps.now ?? Date.now)() + expireIn * 1000 } }),
          );
          log.log('info', 'registration.qr', { expiresInSec: expireIn });
        },
        onStatusChange: ({ status }) => {
          if (status === 'polling' || status === 'slow_down') emit({ registrationId, status });
          else if (status === 'domain_switched') emit({ registrationId, status: 'switched', platform: 'lark' });
        },
      });
      this.deps.redactor.add(result.client_secret);
      const made: Created = {
        appId: result.client_id,
        appSecret: result.client_secret,
        platform: result.user_info?.tenant_brand === 'lark' ? 'lark' : platform,
        ...(hosts.openPlatform ? { domain: hosts.openPlatform } : {}),
        ...(result.user_info?.open_id ? { ownerOpenId: result.user_info.open_id } : {}),
      };
      this.created.set(registrationId, { ...made, at: (this.deps.now ?? Date.now)() });
      log.log('info', 'registration.done', { appId: made.appId, platform: made.platform });
      emit({
        registrationId,
        status: 'done',
        appId: made.appId,
        platform: made.platform,
        ...(made.ownerOpenId ? { ownerOpenId: made.ownerOpenId } : {}),
      });
    } catch (err) {
      if (signal.aborted) {
        emit({ registrationId, status: 'cancelled' });
        return;
      }
      const failed = failure(err, platform);
      log.log('warn', 'registration.failed', { reason: failed.reason, error: failed.detail });
      emit({ registrationId, status: 'failed', reason: failed.reason, message: failed.message });
    }
  }
}

/**
 * The link in the QR code. For Lark, the link the SDK builds (the server's `verification_uri_complete`,
 * on Feishu's host) shows "link expired" in the Lark client; Lark's own CLI shows
 * `https://open.larksuite.com/page/cli?user_code=…` instead (larksuite/cli `internal/auth/app_registration.go`,
 * lark/README.md §5.15), which is what this does, keeping the SDK's other parameters.
 */
export function qrLink(sdkUrl: string, platform: Platform): string {
  if (platform !== 'lark') return sdkUrl;
  const sdk = new URL(sdkUrl);
  if (!sdk.searchParams.get('user_code')) return sdkUrl;
  const link = new URL('/page/cli', OPEN_HOSTS.lark);
  for (const [k, v] of sdk.searchParams) link.searchParams.set(k, v);
  return link.toString();
}

/** The SDK rejects with `{code, description}` for the flow's own outcomes, and with the HTTP error otherwise. */
function failure(err: unknown, platform: Platform): { reason: NonNullable<RegistrationEvent['reason']>; message: string; detail: string } {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  const detail =
    err instanceof Error
      ? err.message
      : typeof err === 'object' && err !== null && 'description' in err
        ? String((err as { description: unknown }).description)
        : String(err);
  if (code === 'expired_token') {
    return { reason: 'expired', detail, message: 'The QR code expired before it was approved. Try again for a new one.' };
  }
  if (code === 'access_denied') {
    return {
      reason: 'denied',
      detail,
      message: 'The app creation was declined in the app on the phone. Try again, or paste the credentials of an existing app instead.',
    };
  }
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|certificate|network/i.test(`${code} ${detail}`)) {
    return {
      reason: 'unreachable',
      detail,
      message: `${PLATFORM_LABEL[platform]}'s accounts service could not be reached (${detail}). Check the network and try again, or paste the credentials instead.`,
    };
  }
  return { reason: 'failed', detail, message: `Creating the app failed (${detail}). Try again, or paste the credentials instead.` };
}
