import { z } from 'zod';

/** The SDK refuses any other shape (lib `WSClient.start`), so we reject it up front with a clear message. */
export const APP_ID_PATTERN = /^cli_[0-9a-fA-F]{16}$/;

/** Ids name directories in the data dir, so keep them filesystem-safe on every OS. */
const idSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1-64 characters: lowercase letters, digits, "-" or "_"');

/**
 * A secret may be written literally or as `env:NAME`, so config files can be committed without the
 * secret itself. Resolution happens in the core (it needs the process environment).
 */
const secretSchema = z.string();

export const platformSchema = z.enum(['feishu', 'lark']);
export type Platform = z.infer<typeof platformSchema>;

const httpUrlSchema = z
  .string()
  .url('must be an http(s) URL')
  .refine((u) => /^https?:\/\//i.test(u), 'must start with http:// or https://');

export const echoProviderSchema = z.object({ type: z.literal('echo') }).strict();

export const openAiProviderSchema = z
  .object({
    type: z.literal('openai'),
    baseUrl: httpUrlSchema.optional(),
    apiKey: secretSchema.optional(),
    model: z.string().min(1, 'must name a model'),
    temperature: z.number().min(0).max(2).optional(),
  })
  .strict();

/**
 * The Kocoro daemon's state folder, where its pid file shows which process is the daemon: the
 * daemon requires an absolute `--state-dir`; `~/` is accepted for the user's home.
 */
export const kocoroStateDirSchema = z
  .string()
  .trim()
  .refine((d) => /^(\/|~[/\\]|[A-Za-z]:[/\\]|\\\\)/.test(d), 'must be an absolute folder (the daemon’s --state-dir) or start with ~/');

/** A local Kocoro daemon (`shan daemon start`); `url` defaults to http://127.0.0.1:7533, `stateDir` to ~/.shannon. */
export const kocoroProviderSchema = z
  .object({
    type: z.literal('kocoro'),
    url: httpUrlSchema.optional(),
    agent: z.string().min(1, "must name one of the daemon's agents"),
    stateDir: kocoroStateDirSchema.optional(),
  })
  .strict();

export const anthropicProviderSchema = z
  .object({
    type: z.literal('anthropic'),
    apiKey: secretSchema.optional(),
    model: z.string().min(1, 'must name a model'),
    baseUrl: httpUrlSchema.optional(),
  })
  .strict();

/** A local program run for each message (never through a shell). */
export const commandProviderSchema = z
  .object({
    type: z.literal('command'),
    command: z.string().min(1, 'must name a program'),
    /** Placeholders: {message}, {chat_id}, {sender}, {thread_id}, {platform}. */
    args: z.array(z.string()).optional(),
    /** How the message reaches the program; default `stdin`. */
    input: z.enum(['stdin', 'arg']).optional(),
    cwd: z.string().min(1).optional(),
    timeoutSec: z
      .number()
      .int()
      .min(1)
      .max(24 * 3600)
      .optional(),
    /**
     * Variables for the program, on top of its minimal environment (PATH, HOME, LANG, TMPDIR):
     * it inherits nothing else from Kocoro's. A value may be `env:NAME`, read from Kocoro's own.
     */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), z.string()).optional(),
  })
  .strict();

export const providerSchema = z.discriminatedUnion('type', [
  echoProviderSchema,
  openAiProviderSchema,
  kocoroProviderSchema,
  anthropicProviderSchema,
  commandProviderSchema,
]);
export type ProviderConfig = z.infer<typeof providerSchema>;

export const agentSchema = z
  .object({
    id: idSchema,
    name: z.string().min(1, 'must not be empty'),
    systemPrompt: z.string().optional(),
    provider: providerSchema,
  })
  .strict();
export type AgentConfig = z.infer<typeof agentSchema>;

/** `card`: a streaming CardKit card; `message`: one markdown message once the answer is complete. */
export const replyModeSchema = z.enum(['card', 'message']);
export type ReplyMode = z.infer<typeof replyModeSchema>;

/**
 * Who gets an answer (README "Who gets an answer"). Every field is optional; `resolveAccess`
 * (electron/core/runtime/access-policy.ts) fills the defaults: dm open, group mention, bots ignore.
 */
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

export const botSchema = z
  .object({
    id: idSchema,
    platform: platformSchema,
    appId: z.string().regex(APP_ID_PATTERN, 'must look like cli_ followed by 16 hex characters'),
    appSecret: secretSchema.min(1, 'must not be empty'),
    encryptKey: secretSchema.optional(),
    agentId: idSchema,
    displayName: z.string().optional(),
    domain: httpUrlSchema.optional(),
    enabled: z.boolean().optional(),
    /** Per chat type; both default to `card`. */
    replyMode: z.object({ dm: replyModeSchema.optional(), group: replyModeSchema.optional() }).strict().optional(),
    access: accessSchema.optional(),
    language: botLanguageSchema.optional(),
    /**
     * Messages that reach the bot late (it was asleep, quit or offline): `note` answers them saying
     * when they were sent (default), `hold` keeps them for the owner to answer or skip in the app,
     * `answer` answers as if new, `skip` answers none and says once per chat to ask again.
     */
    backlog: backlogPolicySchema.optional(),
    /** How old a message must be to count as late (default 10 minutes). */
    backlogAfterMinutes: z.number().int().min(1).optional(),
    /**
     * Chats answered at the same time (default 32); one chat's messages are always answered one
     * after another. The platform's rate limits are kept whatever this is.
     */
    maxConcurrentAnswers: maxConcurrentAnswersSchema.optional(),
    /**
     * Tool approvals of the agent (Kocoro): cards in the chat, as replies in the asker's thread
     * (`chat`, default) or in the asker's direct chat with the bot (`dm`).
     */
    approvals: approvalsPlaceSchema.optional(),
    /**
     * Who may allow the agent's tools (open_ids; default none). With none, requests wait for the
     * owner in the app; the person who asked may always deny their own.
     */
    approvers: approversSchema.optional(),
    /**
     * Whether the person who asked may also allow their own requests (default off): anyone who may
     * talk to the bot could then run its tools on this computer. Always allow stays the approvers'.
     */
    askersMayApprove: z.boolean().optional(),
    /** A footer with the agent's token use and cost under each answer, when the agent reports it (default off). */
    usageFooter: z.boolean().optional(),
    /** Files people send: kept only for agents that open local files, within a quota and a retention. */
    files: z
      .object({
        quotaMb: z.number().int().min(1).optional(),
        retentionDays: z.number().int().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type BotConfig = z.infer<typeof botSchema>;

export const configFileSchema = z
  .object({
    agents: z.array(agentSchema).default([]),
    bots: z.array(botSchema).default([]),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const agentIds = new Set<string>();
    cfg.agents.forEach((a, i) => {
      if (agentIds.has(a.id)) ctx.addIssue({ code: 'custom', path: ['agents', i, 'id'], message: `duplicate agent id "${a.id}"` });
      agentIds.add(a.id);
    });
    const botIds = new Set<string>();
    const appIds = new Set<string>();
    cfg.bots.forEach((b, i) => {
      if (botIds.has(b.id)) ctx.addIssue({ code: 'custom', path: ['bots', i, 'id'], message: `duplicate bot id "${b.id}"` });
      botIds.add(b.id);
      // Two connections for one app split its events at random between them (cluster mode).
      if (appIds.has(b.appId))
        ctx.addIssue({ code: 'custom', path: ['bots', i, 'appId'], message: `app ${b.appId} is already used by another bot` });
      appIds.add(b.appId);
      if (!agentIds.has(b.agentId))
        ctx.addIssue({ code: 'custom', path: ['bots', i, 'agentId'], message: `no agent with id "${b.agentId}"` });
    });
  });
export type ConfigFile = z.infer<typeof configFileSchema>;

/** "bots[0].appId: must look like …" — names the field so the person can find it. */
export function formatZodError(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
      const where = prefix ? (path ? `${prefix}.${path}` : prefix) : path || '(root)';
      return `${where}: ${issue.message}`;
    })
    .join('\n');
}
