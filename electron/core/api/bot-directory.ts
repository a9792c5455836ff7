import { RpcError } from '@shared/contract';
import type { ChatSummary, Person } from '@shared/contract';
import { permissionsLink } from '@shared/lark-console';
import { LarkApi } from '../lark/api';
import { toLarkApiError } from '../lark/errors';
import type { Logger } from '../log/logger';
import type { Catalog } from './catalog';
import { openPlatformBase } from './check-credentials';

/** The person is typing: a few pages at most, one try each, and an answer within seconds. */
const MAX_PAGES = 5;
const MAX_RESULTS = 50;
/** People are listed per department (the API is not recursive): the root plus at most this many in all. */
const MAX_DEPARTMENTS = 100;
const TIMEOUT_MS = 10_000;

/** The scopes named when the platform refuses (any one of each suffices). */
export const DIRECTORY_SCOPES = { people: 'contact:contact.base:readonly', chats: 'im:chat:readonly' } as const;

/**
 * Finds people (contact range) and groups (the bot's chats) by name with a bot's own credentials,
 * for the access allowlists. Matching is by case-insensitive substring of the name.
 */
export class BotDirectory {
  constructor(private readonly deps: { catalog: Catalog; logger: Logger }) {}

  /**
   * Walks the root department and its descendants (at most MAX_DEPARTMENTS, MAX_PAGES pages each),
   * stopping once MAX_RESULTS people match; a person in several departments is listed once.
   */
  async searchPeople(id: string, query: string): Promise<Person[]> {
    const api = await this.api(id);
    const needle = query.trim().toLowerCase();
    const found = new Map<string, Person>();
    try {
      for (const department of await this.departments(id, api)) {
        if (found.size >= MAX_RESULTS) break;
        await scan(
          found,
          (p) => p.openId,
          needle,
          (token) => api.listContactUsers(department, token),
        );
      }
    } catch (err) {
      throw this.explain(id, 'people', err);
    }
    return [...found.values()];
  }

  async searchChats(id: string, query: string): Promise<ChatSummary[]> {
    const api = await this.api(id);
    const found = new Map<string, ChatSummary>();
    try {
      await scan(
        found,
        (c) => c.chatId,
        query.trim().toLowerCase(),
        (token) => api.listChats(token),
      );
    } catch (err) {
      throw this.explain(id, 'chats', err);
    }
    return [...found.values()];
  }

  /**
   * The root `0` and every department below it (`fetch_child=true`), bounded. A missing scope, an
   * empty contact range or a transient failure is thrown; any other refusal (e.g. 40004 when the
   * range is a few chosen departments rather than everyone) leaves the search to the root department.
   */
  private async departments(id: string, api: LarkApi): Promise<string[]> {
    const ids = new Set(['0']);
    let token: string | undefined;
    try {
      for (let i = 0; i < MAX_PAGES && ids.size < MAX_DEPARTMENTS + 1; i++) {
        const res = await api.listDepartments('0', token);
        for (const d of res.items) ids.add(d.departmentId);
        token = res.pageToken;
        if (!token) break;
      }
    } catch (err) {
      const e = toLarkApiError(err);
      if (e.kind !== 'permanent' || e.code === 41050) throw err;
      this.deps.logger.log('warn', 'bot.directory_departments_failed', { bot: id, code: e.code, error: e.platformMessage });
    }
    return [...ids].slice(0, MAX_DEPARTMENTS + 1);
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
      return new RpcError(
        'unauthorized',
        `The app lacks the contact permission for these people (scope ${scope}, error 41050): widen the app's contact range (数据权限 / contact range) and publish a new version.`,
      );
    }
    this.deps.logger.log('warn', 'bot.directory_failed', { bot: id, what, code: e.code, error: e.platformMessage });
    return new RpcError(
      'internal',
      `Could not list ${what === 'people' ? 'people' : 'groups'}: ${e.hint || e.platformMessage}${e.code !== undefined ? ` (code ${e.code})` : ''}`,
    );
  }
}

/** Adds the matches of one listing (at most MAX_PAGES pages) not already found, until `found` holds MAX_RESULTS. */
async function scan<T extends { name: string }>(
  found: Map<string, T>,
  key: (item: T) => string,
  needle: string,
  page: (token?: string) => Promise<{ items: T[]; pageToken?: string }>,
): Promise<void> {
  let token: string | undefined;
  for (let i = 0; i < MAX_PAGES && found.size < MAX_RESULTS; i++) {
    const res = await page(token);
    for (const item of res.items) {
      if (found.size >= MAX_RESULTS) return;
      if (needle && !item.name.toLowerCase().includes(needle)) continue;
      if (!found.has(key(item))) found.set(key(item), item);
    }
    token = res.pageToken;
    if (!token) return;
  }
}
