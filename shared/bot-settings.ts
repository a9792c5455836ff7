/**
 * Every per-bot setting, declared once with its default. The config file's `botSchema`, the app
 * store's `appBotSchema`, the contract's bot inputs and `BotView`, the settings a running bot takes
 * live, the catalog's copy and the Edit dialog are all derived from `liveSettings` and
 * `startSettings` below: a new setting is one entry here, its use, and its control in the UI.
 *
 * A default is never written down: a bot that never chose keeps following the default, so a later
 * change of default reaches it.
 */
import { z } from 'zod';

// ---------- the values settings take ----------

/** `card`: a streaming CardKit card; `message`: one markdown message once the answer is complete. */
export const replyModeSchema = z.enum(['card', 'message']);
export type ReplyMode = z.infer<typeof replyModeSchema>;

/** Who gets an answer (README "Who gets an answer"). */
export const dmAccessSchema = z.enum(['open', 'allowlist']);
export const groupAccessSchema = z.enum(['mention', 'all', 'off']);
export const botsAccessSchema = z.enum(['ignore', 'mention']);
export const accessSchema = z
  .object({
    dm: dmAccessSchema.optional(),
    /** open_ids allowed to DM the bot when `dm` is `allowlist`. */
    dmAllow: z.array(z.string().min(1)).optional(),
    group: groupAccessSchema.optional(),
    /** chat_ids the bot answers in; empty or absent = every group. */
    groupAllow: z.array(z.string().min(1)).optional(),
    bots: botsAccessSchema.optional(),
  })
  .strict();
export type AccessConfig = z.infer<typeof accessSchema>;

/** What the bot says in its chats (notices, /help…): `auto` = 简体中文 for Feishu bots, English for Lark bots. */
export const botLanguageSchema = z.enum(['auto', 'en', 'zh-CN']);
export type BotLanguage = z.infer<typeof botLanguageSchema>;

export const backlogPolicySchema = z.enum(['note', 'hold', 'answer', 'skip']);
export type BacklogPolicy = z.infer<typeof backlogPolicySchema>;

/** Where a tool approval card goes: a reply to the asker's message (`chat`) or the asker's direct chat with the bot (`dm`). */
export const approvalsPlaceSchema = z.enum(['chat', 'dm']);
/** open_ids who may allow the agent's tools to run (the person who asked may only deny, unless `askersMayApprove`). */
export const approversSchema = z
  .array(z.string().regex(/^ou_[A-Za-z0-9_-]+$/, 'must be open_ids (ou_…)'))
  .max(100, 'at most 100 approvers');

/** Chats a bot answers at the same time; one chat's messages are always answered one after another. */
export const maxConcurrentAnswersSchema = z.number().int().min(1, 'must be at least 1').max(1_000, 'must be at most 1000');

// ---------- kinds of setting ----------

type Full<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

/** One value: an edit replaces it. */
interface ValueSetting<S extends z.ZodType> {
  kind: 'value';
  schema: S;
  default: z.output<S>;
}

/** Several fields, each absent one meaning its default: an edit changes only the fields it gives. */
interface FieldsSetting<S extends z.ZodObject> {
  kind: 'fields';
  schema: S;
  default: Full<z.output<S>>;
  /** Tidies what an edit leaves (e.g. lists without duplicates) before it is saved. */
  clean?: (value: z.output<S>) => z.output<S>;
}

type AnySetting = ValueSetting<z.ZodType> | FieldsSetting<z.ZodObject>;

const value = <S extends z.ZodType>(schema: S, fallback: z.output<S>): ValueSetting<S> => ({
  kind: 'value',
  schema,
  default: fallback,
});
const fields = <S extends z.ZodObject>(
  schema: S,
  fallback: Full<z.output<S>>,
  clean?: (value: z.output<S>) => z.output<S>,
): FieldsSetting<S> => ({ kind: 'fields', schema, default: fallback, ...(clean ? { clean } : {}) });

/** Allowlists without duplicates or blanks. */
function cleanAccess(access: AccessConfig): AccessConfig {
  const unique = (ids: string[] | undefined) => (ids ? [...new Set(ids.map((x) => x.trim()).filter(Boolean))] : undefined);
  const out: AccessConfig = { ...access };
  if (access.dmAllow) out.dmAllow = unique(access.dmAllow);
  if (access.groupAllow) out.groupAllow = unique(access.groupAllow);
  return out;
}

// ---------- the settings ----------

/** Edited in the app and taken by a running bot for its next message, without reconnecting. */
export const liveSettings = {
  /** Per chat type (`dm`, `group`). */
  replyMode: fields(z.object({ dm: replyModeSchema.optional(), group: replyModeSchema.optional() }), { dm: 'card', group: 'card' }),
  /** Who gets an answer; electron/core/runtime/access-policy.ts applies it. */
  access: fields(accessSchema, { dm: 'open', dmAllow: [], group: 'mention', groupAllow: [], bots: 'ignore' }, cleanAccess),
  language: value(botLanguageSchema, 'auto'),
  /**
   * Messages that reach the bot late (it was asleep, quit or offline): `note` answers them saying
   * when they were sent, `hold` keeps them for the owner to answer or skip in the app, `answer`
   * answers as if new, `skip` answers none and says once per chat to ask again.
   */
  backlog: value(backlogPolicySchema, 'note'),
  /**
   * Chats answered at the same time. One chat's messages are always answered one after another;
   * the platform's rate limits are kept whatever this is. The default is the platform's own: an
   * app may send or reply 50 times a second (lark/README.md §8), so 50 people writing at once all
   * get their answer started within that second; more at once would only wait in the platform's
   * line instead of ours.
   */
  maxConcurrentAnswers: value(maxConcurrentAnswersSchema, 50),
  /** Tool approvals of the agent (Kocoro): cards as replies in the asker's thread (`chat`) or in the asker's direct chat with the bot (`dm`). */
  approvals: value(approvalsPlaceSchema, 'chat'),
  /** Who may allow the agent's tools. With none, requests wait for the owner in the app; the person who asked may always deny their own. */
  approvers: value(approversSchema, []),
  /**
   * Whether the person who asked may also allow their own requests: anyone who may talk to the
   * bot could then run its tools on this computer. Always allow stays the approvers'.
   */
  askersMayApprove: value(z.boolean(), false),
  /** A footer with the agent's token use and cost under each answer, when the agent reports it. */
  usageFooter: value(z.boolean(), false),
};

/** Written in the config file (or the app's store): taken when the bot starts. */
export const startSettings = {
  /**
   * How the platform's events and card callbacks reach the bot: the long connection it opens
   * (`long-connection`, no public URL needed), or HTTP requests to Kocoro's request URL
   * (`webhook`: a server, `npm run headless -- --webhook`; needs the Encrypt Key and the
   * Verification Token).
   */
  receive: value(z.enum(['long-connection', 'webhook']), 'long-connection'),
  /** How old a message must be, in minutes, to count as late (`backlog`). */
  backlogAfterMinutes: value(z.number().int().min(1), 10),
  /** Files people send: kept only for agents that open local files, within a quota and a retention. */
  files: fields(z.object({ quotaMb: z.number().int().min(1).optional(), retentionDays: z.number().int().min(1).optional() }), {
    quotaMb: 500,
    retentionDays: 30,
  }),
};

export const botSettings = { ...liveSettings, ...startSettings };

type Declared = typeof botSettings;
export type BotSettingKey = keyof Declared;
export type LiveKey = keyof typeof liveSettings;
export const LIVE_KEYS = Object.keys(liveSettings) as LiveKey[];
const SETTING_KEYS = Object.keys(botSettings) as BotSettingKey[];

/** The settings as written down: each optional, absent meaning its default. */
export type StoredSettings = { [K in BotSettingKey]?: z.output<Declared[K]['schema']> };
/** A setting with its default filled in. */
export type ResolvedSetting<K extends BotSettingKey> = Declared[K]['default'];
export type LiveView = { [K in LiveKey]: ResolvedSetting<K> };
export type LiveEdit = Pick<StoredSettings, LiveKey>;

// ---------- derived schemas ----------

type OptionalShape<T extends Record<string, AnySetting>> = { [K in keyof T]: z.ZodOptional<T[K]['schema']> };

/**
 * Every setting of `settings` as an optional field. `adapt` lets a boundary tighten a setting's
 * schema in a way that leaves its type alone (the config file refuses unknown nested keys).
 */
export function optionalShape<T extends Record<string, AnySetting>>(
  settings: T,
  adapt: (schema: z.ZodType) => z.ZodType = (schema) => schema,
): OptionalShape<T> {
  return Object.fromEntries(Object.entries(settings).map(([key, s]) => [key, adapt(s.schema).optional()])) as OptionalShape<T>;
}

/** The live settings as the UI is shown them: every field present, defaults filled in. */
export const liveViewShape = Object.fromEntries(
  Object.entries(liveSettings as Record<LiveKey, AnySetting>).map(([key, s]) => [
    key,
    s.kind === 'fields' ? s.schema.required() : s.schema,
  ]),
) as { [K in LiveKey]: z.ZodType<ResolvedSetting<K>> };

// ---------- reading and editing ----------

/** The value of setting `key` when `stored` is what is written down. */
export function resolveSetting<K extends BotSettingKey>(key: K, stored: StoredSettings[K] | undefined): ResolvedSetting<K> {
  const setting = botSettings[key] as AnySetting;
  if (setting.kind === 'value') return structuredClone(stored ?? setting.default) as ResolvedSetting<K>;
  const given = (stored ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(setting.default).map(([field, fallback]) => [field, structuredClone(given[field] ?? fallback)]),
  ) as ResolvedSetting<K>;
}

/** The value a bot has for setting `key`. */
export function settingOf<K extends BotSettingKey>(bot: StoredSettings, key: K): ResolvedSetting<K> {
  return resolveSetting(key, bot[key]);
}

/** Every live setting of the bot, defaults filled in. */
export function resolveLiveSettings(bot: StoredSettings): LiveView {
  return Object.fromEntries(LIVE_KEYS.map((key) => [key, resolveSetting(key, bot[key])])) as LiveView;
}

/** The settings written down for a bot, and nothing else of it (never its secrets). */
export function writtenSettings(bot: StoredSettings): StoredSettings {
  return Object.fromEntries(SETTING_KEYS.filter((key) => bot[key] !== undefined).map((key) => [key, bot[key]])) as StoredSettings;
}

/** The live settings of a record, those not written down as `undefined` (a running bot then drops its old value). */
export function liveSettingsOf(bot: StoredSettings): LiveEdit {
  return Object.fromEntries(LIVE_KEYS.map((key) => [key, bot[key]])) as LiveEdit;
}

/**
 * `record` after an edit: a value setting given replaces the saved one (removed when it is the
 * default), a fields setting given changes the fields given; settings not given stay as they are.
 */
export function editSettings<T extends StoredSettings>(record: T, edit: LiveEdit): T {
  const next: StoredSettings = { ...record };
  for (const key of LIVE_KEYS) {
    const given = edit[key];
    if (given === undefined) continue;
    const setting = liveSettings[key] as AnySetting;
    if (setting.kind === 'fields') {
      const merged = { ...(record[key] as object | undefined), ...(given as object) };
      Object.assign(next, { [key]: setting.clean ? setting.clean(merged) : merged });
    } else {
      delete next[key];
      if (!sameResolved(key, given, undefined)) Object.assign(next, { [key]: given });
    }
  }
  return next as T;
}

/** Whether a running bot would behave differently under `after` than under `before`. */
export function liveSettingsChanged(before: StoredSettings, after: StoredSettings): boolean {
  return LIVE_KEYS.some((key) => !sameResolved(key, before[key], after[key]));
}

function sameResolved<K extends BotSettingKey>(key: K, a: StoredSettings[K] | undefined, b: StoredSettings[K] | undefined): boolean {
  return JSON.stringify(resolveSetting(key, a)) === JSON.stringify(resolveSetting(key, b));
}
