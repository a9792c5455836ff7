import { z } from 'zod';
import { formatZodError } from '@shared/config-schema';
import type { LarkApi } from './api';
import { LarkApiError } from './errors';

/**
 * What an app can read about its own setup (lark/README.md §5.12, and the setup facts section):
 * its scopes and their grant status, its own info (event and callback modes, subscriptions,
 * published version; needs `application:application:self_manage` or `admin:app.info:readonly`),
 * and how many long connections it has now. Each answer is validated here; the app's own info
 * also carries its secret and encrypt key, which are dropped at once and never kept or logged.
 */

const scopesSchema = z.object({
  data: z.object({
    scopes: z.array(z.object({ scope_name: z.string(), grant_status: z.number() }).loose()).default([]),
  }),
});

const appSchema = z.object({
  data: z.object({
    app: z
      .object({
        app_id: z.string(),
        status: z.number().optional(),
        online_version_id: z.string().optional(),
        unaudit_version_id: z.string().optional(),
        event: z
          .object({
            subscription_type: z.string().optional(),
            request_url: z.string().optional(),
            subscribed_events: z.array(z.string()).optional(),
          })
          .loose()
          .optional(),
        callback_info: z
          .object({
            callback_type: z.string().optional(),
            request_url: z.string().optional(),
            subscribed_callbacks: z.array(z.string()).optional(),
          })
          .loose()
          .optional(),
        callback: z
          .object({
            callback_type: z.string().optional(),
            request_url: z.string().optional(),
            subscribed_callbacks: z.array(z.string()).optional(),
          })
          .loose()
          .optional(),
      })
      // Stripped, not kept loose: the answer also carries the app's secret and encrypt key.
      .strip(),
  }),
});

const connectionSchema = z.object({ data: z.object({ online_instance_cnt: z.number().int().min(0).default(0) }) });

export interface AppInfo {
  /** `websocket` for the long connection, `webhook`, or undefined when none is set. */
  eventMode?: string;
  /** Webhook mode: the request URL events are sent to, when the answer says (lark/README.md §5.15). */
  eventRequestUrl?: string;
  events: string[];
  callbackMode?: string;
  /** Webhook mode: the request URL card callbacks are sent to, when the answer says. */
  callbackRequestUrl?: string;
  callbacks: string[];
  /** A version is published and online. */
  published: boolean;
  /** A version waits for review (published once an admin approves it). */
  inReview: boolean;
  /** The app is enabled in the tenant (`status` 1); undefined when not said. */
  enabled?: boolean;
}

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new LarkApiError('permanent', undefined, formatZodError(parsed.error, what), 'the platform answered in an unexpected shape');
  return parsed.data;
}

export class AppFacts {
  constructor(private readonly api: Pick<LarkApi, 'getJson'>) {}

  /** Scope name → granted, for the scopes the app's current version asks for. */
  async scopes(): Promise<Map<string, boolean>> {
    const body = parse(scopesSchema, await this.api.getJson('application.scopes', '/open-apis/application/v6/scopes'), 'scopes');
    return new Map(body.data.scopes.map((s) => [s.scope_name, s.grant_status === 1]));
  }

  /** The app's own info; `lang` is required (99992402 without it). */
  async appInfo(lang: 'en_us' | 'zh_cn' = 'en_us'): Promise<AppInfo> {
    const raw = await this.api.getJson('application.get', '/open-apis/application/v6/applications/me', { lang });
    const { app } = parse(appSchema, raw, 'application').data;
    const callback = app.callback_info ?? app.callback;
    return {
      eventMode: app.event?.subscription_type || undefined,
      ...(app.event?.request_url ? { eventRequestUrl: app.event.request_url } : {}),
      events: app.event?.subscribed_events ?? [],
      callbackMode: callback?.callback_type || undefined,
      ...(callback?.request_url ? { callbackRequestUrl: callback.request_url } : {}),
      callbacks: callback?.subscribed_callbacks ?? [],
      published: Boolean(app.online_version_id),
      inReview: Boolean(app.unaudit_version_id),
      ...(app.status !== undefined ? { enabled: app.status === 1 } : {}),
    };
  }

  /** How many long connections the app has open now, this one included. */
  async connections(): Promise<number> {
    return parse(connectionSchema, await this.api.getJson('event.connection', '/open-apis/event/v1/connection'), 'connection').data
      .online_instance_cnt;
  }
}
