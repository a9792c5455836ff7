import { json } from './http-util.js';
import type { HttpReply } from './http-util.js';
import { hex } from './ids.js';

/** The accounts host a request came to: `accounts.feishu.cn` or `accounts.larksuite.com` (lark/README.md §1, §5.15). */
export type AccountsBrand = 'feishu' | 'lark';
export type RegistrationOutcome = 'approve' | 'deny' | 'expire';
export type RegistrationState = 'pending' | 'approved' | 'denied' | 'expired';

export const REGISTRATION_PATH = '/oauth/v1/app/registration';

/** What the next registration (the next `action=begin`) does; every field is optional. */
export interface RegistrationScript {
  /** `authorization_pending` answers before the outcome. Default 0: the first poll settles it. */
  pendingPolls?: number;
  /** Default `approve`. */
  outcome?: RegistrationOutcome;
  /** Poll numbers (1-based, every poll of this registration counted) answered `slow_down`; they do not advance the script. */
  slowDownOnPoll?: number | number[];
  /**
   * `user_info.tenant_brand` of the approving user, default `feishu`. With `lark` the Feishu host answers
   * `client_id` and `tenant_brand` without the secret; the Lark host then hands out the credentials.
   */
  tenantBrand?: AccountsBrand;
  /** The created app's credentials (generated when omitted). An id the fake already has is that app, kept as it is. */
  appId?: string;
  appSecret?: string;
  /** `user_info.open_id` of the approving user, also the new app's owner. */
  openId?: string;
  /** The new app's (bot's) name. */
  appName?: string;
  /** begin's `interval` in seconds. Default 0, so the SDK polls at once (its own fallback is 5). */
  interval?: number;
  /** begin's `expires_in` in seconds (fractions allowed: the SDK multiplies by 1000). Default 600. */
  expiresIn?: number;
  /** `error_description` of a deny or expire answer. */
  errorDescription?: string;
}

export interface RegistrationPoll {
  at: number;
  host: AccountsBrand;
  status: number;
  answer: Record<string, unknown>;
}

/** One device-flow registration; a live object that keeps updating as it is polled. */
export interface FakeRegistration {
  deviceCode: string;
  userCode: string;
  beganAt: number;
  beganOn: AccountsBrand;
  /** The form fields `action=begin` carried (`archetype`, `auth_method`, `request_user_info`, …). */
  beginForm: Record<string, string>;
  /** Undefined when nothing was scripted: nobody scans, every poll is pending until it expires. */
  script: RegistrationScript | undefined;
  polls: RegistrationPoll[];
  state: RegistrationState;
  /** Set once approved; the app then exists in the fake. */
  appId?: string;
  appSecret?: string;
  openId?: string;
  /** The credentials were handed out; a later poll answers `invalid_grant`. */
  claimed: boolean;
}

/** What a test uses: `fake.registration`. */
export interface RegistrationControl {
  /** Queues what the next registration does (one script per `begin`, in order). */
  script(script: RegistrationScript): void;
  list(): FakeRegistration[];
  last(): FakeRegistration | undefined;
}

/** Called when a registration is approved: creates (or finds) the app; answers its credentials. */
export type ApproveHook = (reg: FakeRegistration, script: RegistrationScript) => { appId: string; appSecret: string };

interface Internal extends FakeRegistration {
  expiresAt: number;
  advanced: number;
}

const FORM = 'application/x-www-form-urlencoded';
const OPEN_HOST: Record<AccountsBrand, string> = { feishu: 'https://open.feishu.cn', lark: 'https://open.larksuite.com' };

const userCode = (): string => {
  const letters = 'BCDFGHJKLMNPQRSTVWXZ';
  const pick = () => letters[Math.floor(Math.random() * letters.length)] ?? 'B';
  return `${Array.from({ length: 4 }, pick).join('')}-${Array.from({ length: 4 }, pick).join('')}`;
};

/** RFC 8628 error answers come with HTTP 400 (the SDK's comment at requestRegistration, lark/README.md §5.15). */
const oauthError = (error: string, description?: string): HttpReply =>
  json(400, description === undefined ? { error } : { error, error_description: description });

/**
 * `POST https://<accounts host>/oauth/v1/app/registration` (lark/README.md §5.15): the device flow behind the SDK's
 * `registerApp`, driven by scripts instead of a person scanning a QR code.
 */
export class RegistrationFlow implements RegistrationControl {
  private readonly queued: RegistrationScript[] = [];
  private readonly regs: Internal[] = [];

  constructor(private readonly onApprove: ApproveHook) {}

  script(script: RegistrationScript): void {
    this.queued.push({ ...script });
  }

  list(): FakeRegistration[] {
    return [...this.regs];
  }

  last(): FakeRegistration | undefined {
    return this.regs[this.regs.length - 1];
  }

  handle(host: AccountsBrand, method: string, contentType: string | undefined, body: unknown): HttpReply {
    if (method !== 'POST') return json(405, { error: 'invalid_request', error_description: 'method not allowed' });
    if (!(contentType ?? '').toLowerCase().startsWith(FORM) || typeof body !== 'string') {
      return oauthError('invalid_request', `the body must be ${FORM}`);
    }
    const form = Object.fromEntries(new URLSearchParams(body));
    if (form.action === 'begin') return this.begin(host, form);
    if (form.action === 'poll') return this.poll(host, form.device_code);
    return oauthError('invalid_request', `unsupported action: ${form.action ?? ''}`);
  }

  private begin(host: AccountsBrand, form: Record<string, string>): HttpReply {
    const script = this.queued.shift();
    const now = Date.now();
    const expiresIn = script?.expiresIn ?? 600;
    const interval = script?.interval ?? 0;
    const reg: Internal = {
      deviceCode: hex(40),
      userCode: userCode(),
      beganAt: now,
      beganOn: host,
      beginForm: form,
      script,
      polls: [],
      state: 'pending',
      claimed: false,
      expiresAt: now + expiresIn * 1000,
      advanced: 0,
    };
    this.regs.push(reg);
    const verify = `${OPEN_HOST[host]}/page/cli`;
    return json(200, {
      device_code: reg.deviceCode,
      user_code: reg.userCode,
      verification_uri: verify,
      verification_uri_complete: `${verify}?user_code=${reg.userCode}`,
      expires_in: expiresIn,
      interval,
    });
  }

  private poll(host: AccountsBrand, deviceCode: string | undefined): HttpReply {
    const reg = this.regs.find((r) => r.deviceCode === deviceCode);
    if (!reg) return oauthError('invalid_grant', 'device_code not found');
    const reply = this.answer(reg, host);
    reg.polls.push({ at: Date.now(), host, status: reply.status, answer: reply.body as Record<string, unknown> });
    return reply;
  }

  private answer(reg: Internal, host: AccountsBrand): HttpReply {
    const script = reg.script;
    const n = reg.polls.length + 1;
    if (reg.claimed) return oauthError('invalid_grant', 'device_code already used');
    if (reg.state === 'denied') return oauthError('access_denied', script?.errorDescription ?? 'the user denied the authorization');
    if (reg.state === 'expired' || Date.now() >= reg.expiresAt) {
      reg.state = 'expired';
      return oauthError('expired_token', script?.errorDescription ?? 'the device code expired');
    }
    const slow = script?.slowDownOnPoll;
    if ((Array.isArray(slow) ? slow : slow === undefined ? [] : [slow]).includes(n)) return oauthError('slow_down');
    if (reg.state === 'pending') {
      if (!script || reg.advanced < (script.pendingPolls ?? 0)) {
        reg.advanced += 1;
        return oauthError('authorization_pending');
      }
      const outcome = script.outcome ?? 'approve';
      if (outcome !== 'approve') {
        reg.state = outcome === 'deny' ? 'denied' : 'expired';
        return this.answer(reg, host);
      }
      reg.openId = script.openId ?? `ou_${hex(32)}`;
      Object.assign(reg, this.onApprove(reg, script));
      reg.state = 'approved';
    }
    const brand = script?.tenantBrand ?? 'feishu';
    if (brand === 'lark' && host === 'feishu') {
      return json(200, { client_id: reg.appId, user_info: { tenant_brand: 'lark' } });
    }
    reg.claimed = true;
    return json(200, {
      client_id: reg.appId,
      client_secret: reg.appSecret,
      user_info: { open_id: reg.openId, tenant_brand: brand },
    });
  }
}
