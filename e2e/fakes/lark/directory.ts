import { apiError, ok } from './http-util.js';
import type { HttpReply } from './http-util.js';

/** A person in an app's contact range, as a test sets it up. */
export interface FakeUser {
  openId: string;
  name: string;
  enName?: string;
  avatarUrl?: string;
  /** The department the person sits in (an `open_department_id` set by `setContactDepartments`); default the root `0`. */
  departmentId?: string;
}

/** A department of the app's contact range; `parentId` is `0` for a top-level one. */
export interface FakeDepartment {
  departmentId: string;
  parentId: string;
  name: string;
}

/** A group the app's bot is in. */
export interface FakeChat {
  chatId: string;
  name: string;
  description?: string;
}

/**
 * Per-app people and departments (contact range, lark/README.md §5.10) and groups the bot is in, for
 * `GET contact/v3/users/find_by_department`, `GET contact/v3/departments/:id/children` and
 * `GET im/v1/chats`. Page tokens are offsets.
 */
export class DirectoryStore {
  private readonly users = new Map<string, FakeUser[]>();
  private readonly chats = new Map<string, FakeChat[]>();
  private readonly departments = new Map<string, FakeDepartment[]>();
  private readonly outOfRange = new Set<string>();

  setUsers(appId: string, users: FakeUser[]): void {
    this.users.set(appId, [...users]);
  }

  setDepartments(appId: string, departments: FakeDepartment[]): void {
    this.departments.set(appId, [...departments]);
  }

  setChats(appId: string, chats: FakeChat[]): void {
    this.chats.set(appId, [...chats]);
  }

  /** When set, the contact API answers 41050 "no user authority" (the contact range excludes everyone). */
  setContactRangeEmpty(appId: string, empty: boolean): void {
    if (empty) this.outOfRange.add(appId);
    else this.outOfRange.delete(appId);
  }

  /** The users directly in one department (not its sub-departments); users without a department sit in the root `0`. */
  findByDepartment(appId: string, query: Record<string, string>): HttpReply {
    if (this.outOfRange.has(appId)) return apiError(41050, 'no user authority error');
    if (query.department_id === undefined) return apiError(99992402, 'field validation failed');
    const users = (this.users.get(appId) ?? []).filter((u) => (u.departmentId ?? '0') === query.department_id);
    const idType = query.user_id_type ?? 'open_id';
    return page(users, query, 50, (u) => ({
      ...(idType === 'open_id' ? { open_id: u.openId } : {}),
      union_id: `on_${u.openId.slice(3)}`,
      name: u.name,
      ...(u.enName ? { en_name: u.enName } : {}),
      ...(u.avatarUrl
        ? { avatar: { avatar_72: u.avatarUrl, avatar_240: u.avatarUrl, avatar_640: u.avatarUrl, avatar_origin: u.avatarUrl } }
        : {}),
      department_ids: [u.departmentId ?? '0'],
    }));
  }

  /**
   * The sub-departments of `departmentId` (`0` = root): direct children, or every descendant
   * (breadth first) with `fetch_child=true`. Page size default 10, at most 50. An unknown department has none.
   */
  children(appId: string, departmentId: string, query: Record<string, string>): HttpReply {
    if (this.outOfRange.has(appId)) return apiError(41050, 'no user authority error');
    const all = this.departments.get(appId) ?? [];
    const users = this.users.get(appId) ?? [];
    const found: FakeDepartment[] = [];
    const queue = [departmentId];
    const seen = new Set(queue);
    while (queue.length > 0) {
      const parent = queue.shift();
      for (const d of all.filter((x) => x.parentId === parent && !seen.has(x.departmentId))) {
        seen.add(d.departmentId);
        found.push(d);
        if (query.fetch_child === 'true') queue.push(d.departmentId);
      }
    }
    return page(found, { ...query, page_size: query.page_size ?? '10' }, 50, (d) => ({
      name: d.name,
      parent_department_id: d.parentId,
      department_id: d.departmentId,
      open_department_id: d.departmentId,
      member_count: users.filter((u) => u.departmentId === d.departmentId).length,
      status: { is_deleted: false },
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
