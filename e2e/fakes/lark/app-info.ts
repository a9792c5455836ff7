import type { AppRecord } from './apps.js';
import { json } from './http-util.js';
import type { HttpReply } from './http-util.js';
import { derivedHex, hex } from './ids.js';
import type { DeliveryMode, FakeAppInfo } from './types.js';

/** `lang` of `application/v6/applications/:app_id` (lark/README.md §5.15; SDK typings `params.lang`). */
const LANGS = ['zh_cn', 'en_us', 'ja_jp'] as const;
const APP_ID = /^cli_[0-9a-f]{16}$/i;

type Resolved = Required<Omit<FakeAppInfo, 'onlineVersionId' | 'unauditVersionId' | 'eventMode' | 'callbackMode'>> & {
  onlineVersionId: string | null;
  unauditVersionId: string | null;
  eventMode: DeliveryMode | null;
  callbackMode: DeliveryMode | null;
};

function defaults(appId: string): Resolved {
  return {
    status: 1,
    onlineVersionId: `oav_${derivedHex(`version:${appId}`)}`,
    unauditVersionId: null,
    eventMode: 'websocket',
    eventRequestUrl: '',
    subscribedEvents: ['im.message.receive_v1'],
    callbackMode: 'websocket',
    callbackRequestUrl: '',
    subscribedCallbacks: ['card.action.trigger'],
    ownerOpenId: `ou_${derivedHex(`owner:${appId}`)}`,
    description: '',
    avatarUrl: '',
    encryptKey: '',
  };
}

/** Per-app setup facts (lark/README.md §5.15): set whole by `addApp`, patched by `setAppInfo`. */
export class AppInfoStore {
  private readonly infos = new Map<string, FakeAppInfo>();

  set(appId: string, info: FakeAppInfo | undefined): void {
    this.infos.set(appId, { ...(info ?? {}) });
  }

  patch(appId: string, info: FakeAppInfo): void {
    this.infos.set(appId, { ...(this.infos.get(appId) ?? {}), ...info });
  }

  get(appId: string): Resolved {
    const set = this.infos.get(appId) ?? {};
    const out = defaults(appId);
    for (const [key, value] of Object.entries(set) as Array<[keyof FakeAppInfo, unknown]>) {
      if (value !== undefined) (out as Record<string, unknown>)[key] = value;
    }
    return out;
  }
}

/** 99992402 as the platform shapes it: `error.field_violations[]` names the field (lark/README.md §5.15). */
function fieldValidationFailed(field: string, description: string): HttpReply {
  const logId = hex(32).toUpperCase();
  return json(
    400,
    { code: 99992402, msg: 'field validation failed', error: { log_id: logId, field_violations: [{ field, description }] } },
    { 'x-tt-logid': logId },
  );
}

/**
 * `GET /open-apis/application/v6/applications/:app_id?lang=` (lark/README.md §5.15). `me` or the caller's own id;
 * another app's id is 210508 (the fake's apps are each in their own tenant and hold no scope to read others).
 */
export function appInfoReply(
  app: AppRecord,
  info: Resolved,
  requestedScopes: string[],
  pathAppId: string,
  query: Record<string, string>,
): HttpReply {
  const lang = query.lang;
  if (lang === undefined || lang === '') return fieldValidationFailed('lang', 'lang is required');
  if (!(LANGS as readonly string[]).includes(lang)) return fieldValidationFailed('lang', `lang must be one of [${LANGS.join(', ')}]`);
  if (pathAppId !== 'me' && pathAppId !== app.appId) {
    if (!APP_ID.test(pathAppId)) return json(400, { code: 210503, msg: 'invalid app_id' });
    return json(400, { code: 210508, msg: 'insufficient permission level' });
  }
  const event: Record<string, unknown> = { subscribed_events: [...info.subscribedEvents] };
  if (info.eventMode) event.subscription_type = info.eventMode;
  if (info.eventMode === 'webhook' && info.eventRequestUrl) event.request_url = info.eventRequestUrl;
  const callbackInfo: Record<string, unknown> = { subscribed_callbacks: [...info.subscribedCallbacks] };
  if (info.callbackMode) callbackInfo.callback_type = info.callbackMode;
  if (info.callbackMode === 'webhook' && info.callbackRequestUrl) callbackInfo.request_url = info.callbackRequestUrl;
  return json(200, {
    code: 0,
    msg: 'success',
    data: {
      app: {
        app_id: app.appId,
        creator_id: info.ownerOpenId,
        status: info.status,
        scene_type: 0,
        ...(info.onlineVersionId ? { online_version_id: info.onlineVersionId } : {}),
        ...(info.unauditVersionId ? { unaudit_version_id: info.unauditVersionId } : {}),
        app_name: app.botName,
        avatar_url: info.avatarUrl,
        description: info.description,
        scopes: requestedScopes.map((scope) => ({ scope, token_types: ['tenant'] })),
        i18n: [{ i18n_key: lang, name: app.botName, description: info.description }],
        primary_language: 'zh_cn',
        owner: { type: 2, owner_id: info.ownerOpenId },
        mobile_default_ability: 'bot',
        pc_default_ability: 'bot',
        secret: app.appSecret,
        event,
        callback_info: callbackInfo,
        encryption: { encryption_key: info.encryptKey, verification_token: app.verificationToken },
      },
    },
  });
}

/**
 * `GET /open-apis/event/v1/connection` (lark/README.md §5.15): the app's open long connections. `msg` is empty,
 * as larksuite/cli recorded the real answer.
 */
export const connectionCountReply = (count: number): HttpReply => json(200, { code: 0, msg: '', data: { online_instance_cnt: count } });
