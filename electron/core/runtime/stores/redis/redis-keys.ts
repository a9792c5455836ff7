/**
 * Where one app's state lives in Redis. Every key starts with `kocoro:{<appId>}:`: the part in
 * braces is the cluster hash tag, so all of an app's keys fall in one slot and the multi-key Lua
 * scripts (redis-scripts.ts) stay legal on Redis Cluster.
 */
const APP_ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** The prefix of every key of one app (`kocoro:{cli_xxx}:`). */
export function keyPrefix(appId: string, namespace = 'kocoro'): string {
  // A brace in the id would move the hash tag and scatter the keys over slots.
  if (!APP_ID.test(appId)) throw new Error(`an app id for the state store must be letters, digits, "_", "." or "-"; got "${appId}"`);
  return `${namespace}:{${appId}}:`;
}

export interface AppKeys {
  readonly prefix: string;
  /** STRING per message id, expiring with the dedupe retention. */
  seen(messageId: string): string;
  /** HASH messageId → inbox entry. */
  readonly inbox: string;
  /** HASH of inbox entries set aside (unreadable, or written by a newer app), kept as they were. */
  readonly inboxAside: string;
  /** LIST of one conversation's turns, oldest first. */
  conversation(key: string): string;
  /** HASH of conversations set aside (written by a newer app). */
  readonly conversationsAside: string;
  /** HASH: `record` (the versioned JSON), `lastMessageAt`, `botTurns:<chatId>`. */
  readonly state: string;
  /** HASH of state records set aside. */
  readonly stateAside: string;
  /** STRING per message id: a stop request, for as long as a run may still start to watch. */
  stop(messageId: string): string;
  /** Pub/sub channel of the app's stop requests (not a key, but named the same way). */
  readonly stopChannel: string;
  /** ZSET messageId → when it was sent: one chat's entries waiting to be answered, in order (held ones are not in it). */
  pending(chatId: string): string;
  /** SET of the chats with entries waiting. */
  readonly chats: string;
  /** STRING: the token of the process answering the chat now, expiring unless renewed (runtime/answer/shared-chats.ts). */
  lease(chatId: string): string;
  /** Counter making every lease token unique. */
  readonly fence: string;
}

export function appKeys(prefix: string): AppKeys {
  return {
    prefix,
    seen: (messageId) => `${prefix}seen:${messageId}`,
    inbox: `${prefix}inbox`,
    inboxAside: `${prefix}aside:inbox`,
    conversation: (key) => `${prefix}conv:${key}`,
    conversationsAside: `${prefix}aside:conv`,
    state: `${prefix}state`,
    stateAside: `${prefix}aside:state`,
    stop: (messageId) => `${prefix}stop:${messageId}`,
    stopChannel: `${prefix}stops`,
    pending: (chatId) => `${prefix}pending:${chatId}`,
    chats: `${prefix}chats`,
    lease: (chatId) => `${prefix}lease:${chatId}`,
    fence: `${prefix}fence`,
  };
}
