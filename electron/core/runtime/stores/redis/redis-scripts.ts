import type { Redis } from 'ioredis';

/**
 * The Lua scripts of the Redis store: every step that touches more than one key, or reads before
 * it writes, runs as one script, so it is atomic (Redis runs a script whole, nothing in between)
 * and one round trip. Every key a script touches is passed in KEYS (never built inside), and all of
 * them carry the app's hash tag (redis-keys.ts), as Redis Cluster requires. Scripts see RESP2
 * replies whatever the connection speaks.
 */
export interface StoreScript {
  readonly name: string;
  readonly keys: number;
  readonly lua: string;
}

/** A field of `bad` not used yet, starting from `base`: what is set aside never overwrites what was. */
const FREE_FIELD = String.raw`
local function free_field(bad, base)
  local field, n = base, 1
  while redis.call('HEXISTS', bad, field) == 1 do
    n = n + 1
    field = base .. '#' .. n
  end
  return field
end
`;

/** The version a JSON record states (1 when it states none, as versioned.ts reads it), nil when it is not a record. */
const STATED_VERSION = String.raw`
local function stated_version(raw)
  local ok, d = pcall(cjson.decode, raw)
  if not ok or type(d) ~= 'table' then return nil end
  if d.version == nil then return 1 end
  return tonumber(d.version)
end
`;

/** Moves a whole hash into one field of `bad` (as a JSON object of its fields), the hash then gone. */
const HASH_ASIDE = String.raw`
local function hash_aside(src, bad, base)
  local all = redis.call('HGETALL', src)
  local obj = {}
  for i = 1, #all, 2 do obj[all[i]] = all[i + 1] end
  local field = free_field(bad, base)
  redis.call('HSET', bad, field, cjson.encode(obj))
  redis.call('DEL', src)
  return field
end
`;

/** A conversation holding a turn written by a newer app goes aside whole (a JSON array of its raw turns). */
const CONVERSATION_ASIDE = String.raw`
local function conversation_aside(conv, bad, name, version)
  local items = redis.call('LRANGE', conv, 0, -1)
  for _, raw in ipairs(items) do
    local v = stated_version(raw)
    if v and v > version then
      local field = free_field(bad, name)
      redis.call('HSET', bad, field, cjson.encode(items))
      redis.call('DEL', conv)
      return field
    end
  end
  return false
end
`;

/**
 * KEYS: inbox, aside. ARGV: messageId, the raw entry as read. Moves the entry aside as it is, unless
 * it changed since it was read (a put replaced it: that one is for the next list to judge).
 */
export const INBOX_SET_ASIDE: StoreScript = {
  name: 'kocoroInboxSetAside',
  keys: 2,
  lua: String.raw`${FREE_FIELD}
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw ~= ARGV[2] then return false end
local field = free_field(KEYS[2], ARGV[1])
redis.call('HSET', KEYS[2], field, raw)
redis.call('HDEL', KEYS[1], ARGV[1])
return field`,
};

/** KEYS: state, aside. ARGV: the raw `record` field as read ('' for none). Sets the whole record aside unless it changed since. */
export const STATE_SET_ASIDE: StoreScript = {
  name: 'kocoroStateSetAside',
  keys: 2,
  lua: String.raw`${FREE_FIELD}${HASH_ASIDE}
local rec = redis.call('HGET', KEYS[1], 'record')
if (rec or '') ~= ARGV[1] then return false end
return hash_aside(KEYS[1], KEYS[2], 'state')`,
};

/**
 * KEYS: state, aside. ARGV: our format version, the record JSON, lastMessageAt ('' for unchanged),
 * the number N of fields to set, N field/value pairs, then the fields to delete. One write of what
 * changed: each chat's loop-guard count is its own field and the last message only moves forward,
 * so processes updating different chats never undo each other's counts. A record a newer app
 * wrote meanwhile is set aside first (returned: the field it went to), never overwritten.
 */
export const STATE_WRITE: StoreScript = {
  name: 'kocoroStateWrite',
  keys: 2,
  lua: String.raw`${FREE_FIELD}${STATED_VERSION}${HASH_ASIDE}
local aside = false
local current = redis.call('HGET', KEYS[1], 'record')
if current then
  local v = stated_version(current)
  if v and v > tonumber(ARGV[1]) then aside = hash_aside(KEYS[1], KEYS[2], 'state') end
end
redis.call('HSET', KEYS[1], 'record', ARGV[2])
if ARGV[3] ~= '' then
  local last = tonumber(redis.call('HGET', KEYS[1], 'lastMessageAt'))
  if not last or last < tonumber(ARGV[3]) then redis.call('HSET', KEYS[1], 'lastMessageAt', ARGV[3]) end
end
local n = tonumber(ARGV[4])
for i = 0, n - 1 do redis.call('HSET', KEYS[1], ARGV[5 + 2 * i], ARGV[6 + 2 * i]) end
for i = 5 + 2 * n, #ARGV do redis.call('HDEL', KEYS[1], ARGV[i]) end
return aside`,
};

/**
 * KEYS: conversation, aside. ARGV: our format version, the conversation's key (for the aside
 * field), the user's message id ('' for none), max turns, max chars, then the turns' JSON. Returns
 * {'recorded' | 'duplicate', the aside field or ''}. In one script: the "already remembered" check
 * (an answer repeated after a crash), the append, and the trim to the budget, so no other call on
 * the conversation sees it half done. Characters are counted as JavaScript counts them (UTF-16
 * units), as conversation-store.ts's budget does.
 */
export const CONVERSATION_RECORD: StoreScript = {
  name: 'kocoroConversationRecord',
  keys: 2,
  lua: String.raw`${FREE_FIELD}${STATED_VERSION}${CONVERSATION_ASIDE}
local function utf16_length(s)
  local _, continuation = string.gsub(s, '[\128-\191]', '')
  local _, astral = string.gsub(s, '[\240-\247]', '')
  return #s - continuation + astral
end
local aside = conversation_aside(KEYS[1], KEYS[2], ARGV[2], tonumber(ARGV[1]))
if ARGV[3] ~= '' then
  for _, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
    local ok, d = pcall(cjson.decode, raw)
    if ok and type(d) == 'table' and d.role == 'user' and d.messageId == ARGV[3] then return {'duplicate', aside or ''} end
  end
end
for i = 6, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
local all = redis.call('LRANGE', KEYS[1], 0, -1)
local max_turns, max_chars = tonumber(ARGV[4]), tonumber(ARGV[5])
local kept, chars = 0, 0
for i = #all, 1, -1 do
  if kept >= max_turns then break end
  local ok, d = pcall(cjson.decode, all[i])
  local text = all[i]
  if ok and type(d) == 'table' and type(d.text) == 'string' then text = d.text end
  chars = chars + utf16_length(text)
  if chars > max_chars then break end
  kept = kept + 1
end
if kept == 0 then redis.call('DEL', KEYS[1]) elseif kept < #all then redis.call('LTRIM', KEYS[1], -kept, -1) end
return {'recorded', aside or ''}`,
};

/** KEYS: conversation, aside. ARGV: our format version, the conversation's key. Sets it aside if a newer app wrote in it. */
export const CONVERSATION_SET_ASIDE: StoreScript = {
  name: 'kocoroConversationSetAside',
  keys: 2,
  lua: String.raw`${FREE_FIELD}${STATED_VERSION}${CONVERSATION_ASIDE}
return conversation_aside(KEYS[1], KEYS[2], ARGV[2], tonumber(ARGV[1]))`,
};

/**
 * The entry, and its place in its chat's line unless it is held (a held one waits for the owner,
 * outside the line). A place once taken is kept: a put that updates an entry (its cards, its
 * attempts) never moves it.
 */
const PUT_ENTRY = String.raw`
local function put_entry(inbox, line, chats, id, raw, held, place, chat)
  redis.call('HSET', inbox, id, raw)
  if held == '1' then
    redis.call('ZREM', line, id)
    if redis.call('ZCARD', line) == 0 then redis.call('SREM', chats, chat) end
  else
    redis.call('ZADD', line, 'NX', place, id)
    redis.call('SADD', chats, chat)
  end
end
`;

/** KEYS: inbox, the chat's line (`pending`), chats. ARGV: messageId, the entry, '1' when held, its place in the line, chatId. */
export const INBOX_PUT: StoreScript = {
  name: 'kocoroInboxPut',
  keys: 3,
  lua: String.raw`${PUT_ENTRY}
put_entry(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
return 1`,
};

/**
 * KEYS: as INBOX_PUT, then the message's seen key. ARGV: as INBOX_PUT, then the seen record and how
 * long it is kept (ms). A message accepted (bot-store.ts `accept`): its entry and its seen record at once.
 */
export const INBOX_ACCEPT: StoreScript = {
  name: 'kocoroInboxAccept',
  keys: 4,
  lua: String.raw`${PUT_ENTRY}
put_entry(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
redis.call('SET', KEYS[4], ARGV[6], 'PX', ARGV[7])
return 1`,
};

/** KEYS: inbox, the chat's line, chats. ARGV: messageId, chatId. The entry and its place, and the chat from the chats with work once its line is empty. */
export const INBOX_REMOVE: StoreScript = {
  name: 'kocoroInboxRemove',
  keys: 3,
  lua: String.raw`redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('SREM', KEYS[3], ARGV[2]) end
return 1`,
};

/** KEYS: the conversation. Forgets it (`/new`). */
export const CONVERSATION_CLEAR: StoreScript = {
  name: 'kocoroConversationClear',
  keys: 1,
  lua: String.raw`return redis.call('DEL', KEYS[1])`,
};

/**
 * The same script, run only while the chat's lease (one more key, last) holds the token (one more
 * argument, last); else it writes nothing and fails with FENCED (redis-errors.ts). The check and
 * the write are one script: nothing can take the lease in between.
 */
export function fenced(script: StoreScript): StoreScript {
  const lease = script.keys + 1;
  return {
    name: `${script.name}Fenced`,
    keys: lease,
    lua: `if redis.call('GET', KEYS[${lease}]) ~= ARGV[#ARGV] then return redis.error_reply("FENCED: the chat is no longer this process's") end
table.remove(ARGV)
${script.lua}`,
  };
}

/**
 * KEYS: the request's key. ARGV: the channel, the request, how long it is kept (ms). Kept and
 * published together: a run that starts watching just after still finds it under its key.
 */
export const STOP_REQUEST: StoreScript = {
  name: 'kocoroStopRequest',
  keys: 1,
  lua: String.raw`redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return redis.call('PUBLISH', ARGV[1], ARGV[2])`,
};

const defined = new WeakMap<Redis, Set<string>>();

type ScriptCall = (...args: Array<string | number>) => Promise<unknown>;

/**
 * Runs a script (EVALSHA, its source sent once per connection). The command is sent before this
 * returns, so calls take effect in the order they are made, like any other command on the connection.
 * Any module may declare its own `StoreScript`: each is defined on a connection the first time it runs there.
 */
export function runScript(client: Redis, script: StoreScript, keys: string[], args: Array<string | number>): Promise<unknown> {
  let names = defined.get(client);
  if (!names) defined.set(client, (names = new Set()));
  if (!names.has(script.name)) {
    // Once per connection, which the caller may share between many bots.
    client.defineCommand(script.name, { numberOfKeys: script.keys, lua: script.lua });
    names.add(script.name);
  }
  if (keys.length !== script.keys) throw new Error(`${script.name} takes ${script.keys} keys, got ${keys.length}`);
  const call = (client as unknown as Record<string, ScriptCall>)[script.name]!;
  return call.call(client, ...keys, ...args);
}
