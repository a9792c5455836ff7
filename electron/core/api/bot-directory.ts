import { RpcError } from '../../../shared/contract';
import type { ChatSummary, Person } from '../../../shared/contract';
import { permissionsLink } from '../../../shared/lark-console';
import { LarkApi } from '../lark/api';
import { toLarkApiError } from '../lark/errors';
import type { Logger } from '../log/logger';
import type { Catalog } from './catalog';
import { openPlatformBase } from './check-credentials';

/** The person is typing: a few pages at most, one try each, and an answer within seconds. */
const MAX_PAGES = 5;
const MAX_RESULTS = 50;
const TIMEOUT_MS = 10_000;

/** The scopes named when the platform refuses (any one of each suffices). */
export const DIRECTORY_SCOPES = { people: 'contact:contact.base:readonly', chats: 'im:chat:readonly' } as const;

/**
 * Finds people (contact range) and groups (the bot's chats) by name with a bot's own credentials,
 * for the access allowlists. Matching is by case-insensitive substring of the name.
 */
export class BotDirectory {
  constructor(private readonly deps: { catalog: Catalog; logger: Logger }) {}

  async searchPeople(id: string, query: string): Promise<Person[]> {
    const api = await this.api(id);
    return this.collect(id, 'people', query, (token) => api.listContactUsers(token));
  }

  async searchChats(id: string, query: string): Promise<ChatSummary[]> {
    const api = await this.api(id);
    return this.collect(id, 'chats', query, (token) => api.listChats(token));
  }

  private async api(id: string): Promise<LarkApi> {
    const record = this.deps.catalog.bot(id);
    if (!record) throw new RpcError('not_found', `There is no bot "${id}".`, 'id');
    const { appSecret } = await this.deps.catalog.botSecrets(record);
    if (!appSecret) throw new RpcError('invalid_input', 'This bot has no App Secret: edit the bot and enter it again.', 'id');
    return new LarkApi({
      appId: record.appId,
      appSecret,
      domain: openPlatformBase(record.platform, record.domain),
      logger: this.deps.logger,
      retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
      timeoutMs: TIMEOUT_MS,
    });
  }

  private async collect<T extends { name: string }>(
    id: string,
    what: keyof typeof DIRECTORY_SCOPES,
    query: string,
    page: (token?: string) => Promise<{ items: T[]; pageToken?: string }>,
  ): Promise<T[]> {
    const needle = query.trim().toLowerCase();
    const found: T[] = [];
    let token: string | undefined;
    try {
      for (let i = 0; i < MAX_PAGES && found.length < MAX_RESULTS; i++) {
        const res = await page(token);
        found.push(...res.items.filter((item) => !needle || item.name.toLowerCase().includes(needle)));
        token = res.pageToken;
        if (!token) break;
      }
    } catch (err) {
      throw this.explain(id, what, err);
    }
    return found.slice(0, MAX_RESULTS);
  }

  /** Missing scope (99991672) or contact range (41050): say which permission, with the grant link. */
  private explain(id: string, what: keyof typeof DIRECTORY_SCOPES, err: unknown): RpcError {
    const e = toLarkApiError(err);
    const record = this.deps.catalog.bot(id);
    const scope = DIRECTORY_SCOPES[what];
    const label = what === 'people' ? 'contact' : 'group list';
    if (e.code === 99991672 || e.kind === 'permission') {
      const link = record ? ` Grant it at ${permissionsLink(record.platform, record.appId, [scope])}, then publish a new version.` : '';
      return new RpcError('unauthorized', `The app lacks the ${label} permission (scope ${scope}).${link}`);
    }
    if (e.code === 41050) {
      return new RpcError('unauthorized', `The app lacks the contact permission for these people (scope ${scope}, error 41050): widen the app's contact range (数据权限 / contact range) and publish a new version.`);
    }
    this.deps.logger.log('warn', 'bot.directory_failed', { bot: id, what, code: e.code, error: e.platformMessage });
    return new RpcError('internal', `Could not list ${what === 'people' ? 'people' : 'groups'}: ${e.hint || e.platformMessage}${e.code !== undefined ? ` (code ${e.code})` : ''}`);
  }
}
