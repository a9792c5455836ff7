import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../log/logger';
import { fromCode, LarkApiError } from './errors';
import { DEFAULT_RETRY, realSleep, type RetryPolicy, withLarkRetry } from './retry';
import { sdkLogger } from './sdk-logger';
import { ClearableTokenCache } from './token-cache';

export interface LarkApiOptions {
  appId: string;
  appSecret: string;
  domain: string;
  logger: Logger;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds per HTTP request before it counts as a network failure (a half-open socket after sleep hangs forever otherwise). */
  timeoutMs?: number;
}

export interface BotInfo {
  openId: string;
  name: string;
  activateStatus: number;
}

export interface SentMessageRef {
  messageId: string;
}

export interface ReplyInput {
  msgType: 'text' | 'post' | 'interactive';
  content: string;
  uuid?: string;
  replyInThread?: boolean;
}

/** The Open Platform REST calls a bot makes, with retries, token refresh and readable errors. */
export class LarkApi {
  readonly client: lark.Client;
  private readonly tokenCache = new ClearableTokenCache();
  private readonly retry: RetryPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly http: lark.HttpInstance;

  constructor(private readonly opts: LarkApiOptions) {
    this.retry = opts.retry ?? DEFAULT_RETRY;
    this.sleep = opts.sleep ?? realSleep;
    this.http = withTimeout(opts.timeoutMs ?? 30_000);
    this.client = new lark.Client({
      appId: opts.appId,
      appSecret: opts.appSecret,
      domain: opts.domain,
      appType: lark.AppType.SelfBuild,
      cache: this.tokenCache,
      logger: sdkLogger(opts.logger),
      httpInstance: this.http,
    });
  }

  /** Checks App ID + App Secret by asking for a tenant token (docs/lark-platform.md §5.1). */
  async verifyCredentials(): Promise<void> {
    // Asked directly: the SDK's generated method would first fetch a token itself and hide the platform's answer.
    const res = await this.call('auth.tenant_token', () =>
      this.http.request<{ code?: number; msg?: string; tenant_access_token?: string }>({
        method: 'POST',
        url: `${this.opts.domain}/open-apis/auth/v3/tenant_access_token/internal`,
        data: { app_id: this.opts.appId, app_secret: this.opts.appSecret },
      }),
    );
    if (!res.tenant_access_token) throw fromCode(res.code, res.msg ?? 'no tenant token returned');
  }

  /** The bot's own identity; needs the bot capability and a published version (§5.2). */
  async botInfo(): Promise<BotInfo> {
    const res = (await this.call('bot.info', () => this.client.request({ method: 'GET', url: '/open-apis/bot/v3/info' }))) as {
      bot?: { open_id?: string; app_name?: string; activate_status?: number };
    };
    const bot = res.bot;
    if (!bot?.open_id) {
      throw new LarkApiError('permanent', undefined, 'bot info has no open_id', 'enable the Bot capability under "Add Features" and publish a version');
    }
    return { openId: bot.open_id, name: bot.app_name ?? '', activateStatus: bot.activate_status ?? 0 };
  }

  async replyMessage(messageId: string, input: ReplyInput): Promise<SentMessageRef> {
    const res = await this.call('message.reply', () =>
      this.client.im.v1.message.reply({
        path: { message_id: messageId },
        data: {
          msg_type: input.msgType,
          content: input.content,
          ...(input.uuid ? { uuid: input.uuid } : {}),
          ...(input.replyInThread ? { reply_in_thread: true } : {}),
        },
      }),
    );
    return { messageId: res.data?.message_id ?? '' };
  }

  private async call<T extends { code?: number; msg?: string }>(op: string, fn: () => Promise<T>): Promise<T> {
    return withLarkRetry(
      async () => {
        const res = await fn();
        // Some failures come back as HTTP 200 with a non-zero code.
        if (typeof res?.code === 'number' && res.code !== 0) throw fromCode(res.code, res.msg ?? '');
        return res;
      },
      this.retry,
      {
        sleep: this.sleep,
        onTokenRejected: () => this.tokenCache.clear(),
        onRetry: (err, attempt, delayMs) =>
          this.opts.logger.log('warn', 'lark.retry', { op, attempt, delayMs, code: err.code, error: err.platformMessage }),
      },
    );
  }
}

/** The SDK's own axios instance, with a request timeout (it has none by default). */
export function withTimeout(timeoutMs: number): lark.HttpInstance {
  // Typed as a raw AxiosInstance, but its interceptor already unwraps response.data as HttpInstance promises.
  const base = lark.defaultHttpInstance as unknown as lark.HttpInstance;
  return new Proxy(base, {
    get(target, prop, receiver) {
      if (prop === 'request') {
        return (opts: lark.HttpRequestOptions<unknown>) => target.request({ timeout: timeoutMs, ...opts });
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}
