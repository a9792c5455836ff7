import { apiError, ok } from './http-util.js';
import type { HttpReply } from './http-util.js';

/** A person in an app's contact range, as a test sets it up. */
export interface FakeUser {
  openId: string;
  name: string;
  enName?: string;
  avatarUrl?: string;
}

/** A group the app's bot is in. */
export interface FakeChat {
  chatId: string;
  name: string;
  description?: string;
}

/**
 * Per-app people (contact range, §5.10) and groups the bot is in, for
 * `GET contact/v3/users/find_by_department` and `GET im/v1/chats`. Page tokens are offsets.
 */
export class DirectoryStore {
  private readonly users = new Map<string, FakeUser[]>();
  private readonly chats = new Map<string, FakeChat[]>();
  private readonly outOfRange = new Set<string>();

  setUsers(appId: string, users: FakeUser[]): void {
    this.users.set(appId, [...users]);
  }

  setChats(appId: string, chats: FakeChat[]): void {
    this.chats.set(appId, [...chats]);
  }

  /** When set, the contact API answers 41050 "no user authority" (the contact range excludes everyone). */
  setContactRangeEmpty(appId: string, empty: boolean): void {
    if (empty) this.outOfRange.add(appId);
    else this.outOfRange.delete(appId);
  }

  /** Only the root department (`0`) is modelled: every user of the app sits in it. */
  findByDepartment(appId: string, query: Record<string, string>): HttpReply {
    if (this.outOfRange.has(appId)) return apiError(41050, 'no user authority error');
    if (query.department_id === undefined) return apiError(99992402, 'field validation failed');
    const users = query.department_id === '0' ? (this.users.get(appId) ?? []) : [];
    const idType = query.user_id_type ?? 'open_id';
    return page(users, query, 50, (u) => ({
      ...(idType === 'open_id' ? { open_id: u.openId } : {}),
      union_id: `on_${u.openId.slice(3)}`,
      name: u.name,
      ...(u.enName ? { en_name: u.enName } : {}),
      ...(u.avatarUrl ? { avatar: { avatar_72: u.avatarUrl, avatar_240: u.avatarUrl, avatar_640: u.avatarUrl, avatar_origin: u.avatarUrl } } : {}),
      department_ids: ['0'],
    }));
  }

  listChats(appId: string, tenantKey: string, query: Record<string, string>): HttpReply {
    return page(this.chats.get(appId) ?? [], query, 100, (c) => ({
      chat_id: c.chatId,
      name: c.name,
      avatar: '',
      description: c.description ?? '',
      owner_id_type: 'open_id',
      owner_id: '',
      external: false,
      tenant_key: tenantKey,
      chat_status: 'normal',
    }));
  }
}

function page<T>(all: T[], query: Record<string, string>, maxSize: number, shape: (item: T) => object): HttpReply {
  const size = Math.min(Math.max(Number(query.page_size ?? 20) || 20, 1), maxSize);
  const start = query.page_token ? Number(query.page_token) : 0;
  if (!Number.isInteger(start) || start < 0) return apiError(99992402, 'field validation failed: page_token');
  const items = all.slice(start, start + size).map(shape);
  const more = start + size < all.length;
  return ok({ has_more: more, ...(more ? { page_token: String(start + size) } : {}), items });
}
