import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../log/logger';
import { fromCode, LarkApiError } from './errors';
import { type LarkCallObserver, PacedCaller } from './paced-call';
import { DEFAULT_RETRY, realSleep, type RetryPolicy } from './retry';
import { sdkLogger } from './sdk-logger';
import { ClearableTokenCache } from './token-cache';
import { withJsonErrorBody, withTimeout } from './http';
import { type CallLimiter, CHAT_WINDOWS } from './rate-limiter';

export interface LarkApiOptions {
  appId: string;
  appSecret: string;
  domain: string;
  logger: Logger;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds per HTTP request before it counts as a network failure (a half-open socket after sleep hangs forever otherwise). */
  timeoutMs?: number;
  /** Told about pacing: each wait for the app's rate limits, each rate-limit answer from the platform. */
  observer?: LarkCallObserver;
  /** The app's rate limiter when several processes run it (the state store's); this process's own when absent. */
  limiter?: CallLimiter;
  /** Instead of the network (with `timeoutMs`): the preview's platform in this process (preview/preview-platform.ts). */
  http?: lark.HttpInstance;
  /** Wall-clock milliseconds every process running the app agrees on (the state store's), for card sequence numbers; `Date.now` when absent. */
  clock?: () => number;
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
  /** The chat the reply lands in: replies are paced per receiving user or group (lark/README.md §8). */
  chatId?: string;
}

/** A CardKit operation's place among the card's operations (lark/README.md §5.11); the uuid is made in outbound/idempotency.ts. */
export interface CardOp {
  sequence: number;
  uuid: string;
}

/** A message resource as downloaded; `tooLarge` when it was over the caller's limit (and not kept). */
export type ResourceDownload = { tooLarge: false; bytes: Buffer; contentType: string } | { tooLarge: true; size?: number };

/** A message as `GET /open-apis/im/v1/messages/:id` returns it. */
export interface ReadMessageItem {
  messageId: string;
  upperMessageId?: string;
  msgType: string;
  /** JSON, shaped per `msgType` (lark/README.md §3.3). */
  content: string;
  /** `senderType` is `user` or `app` (then `id` is the app id). */
  sender: { id: string; idType: string; senderType: string };
  /** Unlike in events, `id` is a plain string (an open_id when `idType` is `open_id`). */
  mentions: Array<{ key: string; id: string; idType: string; name: string }>;
  createTime?: string;
}

/** The Open Platform REST calls a bot makes, with retries, token refresh and readable errors. */
export class LarkApi {
  readonly client: lark.Client;
  private readonly tokenCache = new ClearableTokenCache();
  private readonly http: lark.HttpInstance;
  private readonly caller: PacedCaller;
  /** The clock card sequence numbers are counted on (lark/README.md §5.11), shared by the app's processes when they share one. */
  readonly clock: () => number;

  constructor(private readonly opts: LarkApiOptions) {
    this.clock = opts.clock ?? Date.now;
    this.caller = new PacedCaller({
      limiter: opts.limiter,
      retry: opts.retry ?? DEFAULT_RETRY,
      sleep: opts.sleep ?? realSleep,
      logger: opts.logger,
      observer: opts.observer,
      onTokenRejected: () => this.tokenCache.clear(),
    });
    this.http = opts.http ?? withTimeout(opts.timeoutMs ?? 30_000);
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

  /** Checks App ID + App Secret by asking for a tenant token (lark/README.md §5.1). */
  async verifyCredentials(): Promise<void> {
    // Asked directly: the SDK's generated method would first fetch a token itself and hide the platform's answer.
    const res = await this.caller.call('auth.tenant_token', () =>
      this.http.request<{ code?: number; msg?: string; tenant_access_token?: string }>({
        method: 'POST',
        url: `${this.opts.domain}/open-apis/auth/v3/tenant_access_token/internal`,
        data: { app_id: this.opts.appId, app_secret: this.opts.appSecret },
      }),
    );
    if (!res.tenant_access_token) throw fromCode(res.code, res.msg ?? 'no tenant token returned');
  }

  /** The bot's own identity; needs the bot capability and a published version (lark/README.md §5.2). */
  async botInfo(): Promise<BotInfo> {
    const res = (await this.caller.call('bot.info', () => this.client.request({ method: 'GET', url: '/open-apis/bot/v3/info' }))) as {
      bot?: { open_id?: string; app_name?: string; activate_status?: number };
    };
    const bot = res.bot;
    if (!bot?.open_id) {
      throw new LarkApiError(
        'permanent',
        undefined,
        'bot info has no open_id',
        'enable the Bot capability under "Add Features" and publish a version',
      );
    }
    return { openId: bot.open_id, name: bot.app_name ?? '', activateStatus: bot.activate_status ?? 0 };
  }

  async replyMessage(messageId: string, input: ReplyInput): Promise<SentMessageRef> {
    const chat = input.chatId ? { key: `chat:${input.chatId}`, windows: CHAT_WINDOWS } : undefined;
    const res = await this.caller.call(
      'message.reply',
      () =>
        this.client.im.v1.message.reply({
          path: { message_id: messageId },
          data: {
            msg_type: input.msgType,
            content: input.content,
            ...(input.uuid ? { uuid: input.uuid } : {}),
            ...(input.replyInThread ? { reply_in_thread: true } : {}),
          },
        }),
      chat,
    );
    return { messageId: res.data?.message_id ?? '' };
  }

  /** A new message to a person, by open_id: their direct chat with the bot (lark/README.md §5.3). */
  async sendToUser(openId: string, input: Omit<ReplyInput, 'replyInThread' | 'chatId'>): Promise<SentMessageRef> {
    const res = await this.caller.call(
      'message.create',
      () =>
        this.client.im.v1.message.create({
          params: { receive_id_type: 'open_id' },
          data: { receive_id: openId, msg_type: input.msgType, content: input.content, ...(input.uuid ? { uuid: input.uuid } : {}) },
        }),
      { key: `user:${openId}`, windows: CHAT_WINDOWS },
    );
    return { messageId: res.data?.message_id ?? '' };
  }

  /** A GET the setup check makes (lark/app-facts.ts), paced and retried like every call; the body as the platform sent it. */
  async getJson(op: string, url: string, params?: Record<string, string>): Promise<unknown> {
    return this.caller.call(op, () => this.client.request({ method: 'GET', url, ...(params ? { params } : {}) }));
  }

  // ---- CardKit (lark/README.md §5.11) and reactions (lark/README.md §5.7): used by the replies ----
  // Path values are encoded as the raw requests these replaced did: the SDK's methods insert them as they are.

  /** Creates a card entity from card JSON 2.0; returns its card_id. */
  async createCard(card: object): Promise<string> {
    const res = await this.caller.call('cardkit.create', () =>
      this.client.cardkit.v1.card.create({ data: { type: 'card_json', data: JSON.stringify(card) } }),
    );
    const cardId = res.data?.card_id;
    if (!cardId) throw new LarkApiError('permanent', undefined, 'card creation returned no card_id', '');
    return cardId;
  }

  /**
   * Replaces the text of a markdown element (the client types out the difference when it extends
   * the old text). Streamed text can wait: when the app's limits have no room now the call is not
   * made, and the answer says when to try again (with whatever text has arrived by then).
   */
  async setCardText(cardId: string, elementId: string, content: string, op: CardOp): Promise<{ retryInMs: number }> {
    return this.caller.callIfRoom('cardkit.content', () =>
      this.client.cardkit.v1.cardElement.content({
        path: { card_id: encodeURIComponent(cardId), element_id: encodeURIComponent(elementId) },
        data: { content, sequence: op.sequence, uuid: op.uuid },
      }),
    );
  }

  /** Card settings, e.g. `{config:{streaming_mode:false, summary:{content}}}`. */
  async setCardSettings(cardId: string, settings: object, op: CardOp): Promise<void> {
    await this.caller.call('cardkit.settings', () =>
      this.client.cardkit.v1.card.settings({
        path: { card_id: encodeURIComponent(cardId) },
        data: { settings: JSON.stringify(settings), sequence: op.sequence, uuid: op.uuid },
      }),
    );
  }

  /** Replaces the whole card. */
  async updateCard(cardId: string, card: object, op: CardOp): Promise<void> {
    await this.caller.call('cardkit.update', () =>
      this.client.cardkit.v1.card.update({
        path: { card_id: encodeURIComponent(cardId) },
        data: { card: { type: 'card_json', data: JSON.stringify(card) }, sequence: op.sequence, uuid: op.uuid },
      }),
    );
  }

  async addReaction(messageId: string, emojiType: string): Promise<string> {
    const res = await this.caller.call('reaction.add', () =>
      this.client.im.v1.messageReaction.create({
        path: { message_id: encodeURIComponent(messageId) },
        data: { reaction_type: { emoji_type: emojiType } },
      }),
    );
    return res.data?.reaction_id ?? '';
  }

  async removeReaction(messageId: string, reactionId: string): Promise<void> {
    await this.caller.call('reaction.remove', () =>
      this.client.im.v1.messageReaction.delete({
        path: { message_id: encodeURIComponent(messageId), reaction_id: encodeURIComponent(reactionId) },
      }),
    );
  }

  /**
   * Downloads a resource (image, file, audio, video) of a received message (lark/README.md
   * lark/README.md §5.8). Nothing larger than `maxBytes` is kept: the answer is then `tooLarge`, with the size when
   * the platform announced it.
   */
  async downloadResource(messageId: string, fileKey: string, type: 'image' | 'file', maxBytes: number): Promise<ResourceDownload> {
    const res = await this.caller.call('message.resource', async () => {
      let got: Awaited<ReturnType<lark.Client['im']['v1']['messageResource']['get']>>;
      try {
        got = await this.client.im.v1.messageResource.get({ params: { type }, path: { message_id: messageId, file_key: fileKey } });
      } catch (err) {
        throw await withJsonErrorBody(err);
      }
      const headers = (got.headers ?? {}) as Record<string, unknown>;
      const stream = got.getReadableStream();
      const announced = Number(headers['content-length']);
      if (Number.isFinite(announced) && announced > maxBytes) {
        stream.destroy();
        return { code: 0, download: { tooLarge: true, size: announced } satisfies ResourceDownload };
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        size += chunk.byteLength;
        if (size > maxBytes) {
          stream.destroy();
          return { code: 0, download: { tooLarge: true } satisfies ResourceDownload };
        }
        chunks.push(chunk);
      }
      const contentType = typeof headers['content-type'] === 'string' ? headers['content-type'] : 'application/octet-stream';
      return { code: 0, download: { tooLarge: false, bytes: Buffer.concat(chunks), contentType } satisfies ResourceDownload };
    });
    return res.download;
  }

  /** Reads one message (e.g. the one a user replied to); for a merged forward, also its children. */
  async readMessage(messageId: string): Promise<ReadMessageItem[]> {
    const res = await this.caller.call('message.get', () => this.client.im.v1.message.get({ path: { message_id: messageId } }));
    return (res.data?.items ?? []).map((item) => ({
      messageId: item.message_id ?? '',
      upperMessageId: item.upper_message_id,
      msgType: item.msg_type ?? 'text',
      content: item.body?.content ?? '',
      sender: { id: item.sender?.id ?? '', idType: item.sender?.id_type ?? '', senderType: item.sender?.sender_type ?? '' },
      mentions: (item.mentions ?? []).map((m) => ({ key: m.key, id: m.id, idType: m.id_type, name: m.name })),
      createTime: item.create_time,
    }));
  }

  /**
   * One page of the people directly in one department of the app's contact range (`0` = root;
   * `contact/v3/users/find_by_department`, not recursive; needs a contact read scope, lark/README.md §5.10).
   */
  async listContactUsers(
    departmentId: string,
    pageToken?: string,
  ): Promise<{ items: Array<{ openId: string; name: string; avatarUrl?: string }>; pageToken?: string }> {
    const res = await this.caller.call('contact.users', () =>
      this.client.contact.v3.user.findByDepartment({
        params: {
          department_id: departmentId,
          department_id_type: 'open_department_id',
          user_id_type: 'open_id',
          page_size: 50,
          ...(pageToken ? { page_token: pageToken } : {}),
        },
      }),
    );
    const items = (res.data?.items ?? [])
      .filter((u) => u.open_id)
      .map((u) => ({
        openId: u.open_id ?? '',
        name: u.name || u.en_name || u.open_id || '',
        ...(u.avatar?.avatar_72 ? { avatarUrl: u.avatar.avatar_72 } : {}),
      }));
    return { items, pageToken: res.data?.has_more ? res.data.page_token : undefined };
  }

  /**
   * One page of every department below `parentId` (`0` = root) in the app's contact range
   * (`contact/v3/departments/:id/children` with `fetch_child=true`; needs a contact read scope).
   */
  async listDepartments(
    parentId: string,
    pageToken?: string,
  ): Promise<{ items: Array<{ departmentId: string; name: string }>; pageToken?: string }> {
    const res = await this.caller.call('contact.departments', () =>
      this.client.contact.v3.department.children({
        path: { department_id: parentId },
        params: {
          department_id_type: 'open_department_id',
          fetch_child: true,
          page_size: 50,
          ...(pageToken ? { page_token: pageToken } : {}),
        },
      }),
    );
    const items = (res.data?.items ?? [])
      .filter((d) => d.open_department_id && !d.status?.is_deleted)
      .map((d) => ({ departmentId: d.open_department_id ?? '', name: d.name }));
    return { items, pageToken: res.data?.has_more ? res.data.page_token : undefined };
  }

  /** One page of the groups the bot is in (`im/v1/chats`, scope `im:chat:readonly` or `im:chat`). */
  async listChats(pageToken?: string): Promise<{ items: Array<{ chatId: string; name: string }>; pageToken?: string }> {
    const res = await this.caller.call('chat.list', () =>
      this.client.im.v1.chat.list({ params: { page_size: 100, ...(pageToken ? { page_token: pageToken } : {}) } }),
    );
    const items = (res.data?.items ?? [])
      .filter((c) => c.chat_id)
      .map((c) => ({ chatId: c.chat_id ?? '', name: c.name || c.chat_id || '' }));
    return { items, pageToken: res.data?.has_more ? res.data.page_token : undefined };
  }
}
