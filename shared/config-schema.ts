import { z } from 'zod';
import { botSettings, optionalShape } from './bot-settings';
import { appIdSchema, idSchema } from './ids';
import { kocoroStateDirSchema, providerUnion } from './providers';

// The settings' value schemas are declared with the settings; re-exported for existing importers.
export {
  accessSchema,
  approversSchema,
  approvalsPlaceSchema,
  backlogPolicySchema,
  botLanguageSchema,
  botsAccessSchema,
  dmAccessSchema,
  groupAccessSchema,
  maxConcurrentAnswersSchema,
  replyModeSchema,
  type AccessConfig,
  type BacklogPolicy,
  type BotLanguage,
  type ReplyMode,
} from './bot-settings';
export { APP_ID_PATTERN } from './ids';

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

export const providerSchema = providerUnion({
  strict: true,
  url: httpUrlSchema,
  model: z.string().min(1, 'must name a model'),
  temperature: z.number().min(0).max(2),
  agent: z.string().min(1, "must name one of the daemon's agents"),
  stateDir: kocoroStateDirSchema,
  program: z.string().min(1, 'must name a program'),
  cwd: z.string().min(1),
  timeoutSec: z
    .number()
    .int()
    .min(1)
    .max(24 * 3600),
  key: { apiKey: secretSchema.optional() },
  commandExtra: {
    /**
     * Variables for the program, on top of its minimal environment (PATH, HOME, LANG, TMPDIR):
     * it inherits nothing else from Kocoro's. A value may be `env:NAME`, read from Kocoro's own.
     */
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'), z.string()).optional(),
  },
});
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

/** A person writes this file: a mistyped key anywhere is refused, not silently ignored. */
function strictly(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodObject ? schema.strict() : schema;
}

export const botSchema = z
  .object({
    id: idSchema,
    platform: platformSchema,
    appId: appIdSchema,
    appSecret: secretSchema.min(1, 'must not be empty'),
    encryptKey: secretSchema.optional(),
    /** Events & Callbacks → Encryption Strategy: checked on every request in webhook mode (`receive`). */
    verificationToken: secretSchema.optional(),
    agentId: idSchema,
    displayName: z.string().optional(),
    domain: httpUrlSchema.optional(),
    enabled: z.boolean().optional(),
    ...optionalShape(botSettings, strictly),
  })
  .strict();
export type BotConfig = z.infer<typeof botSchema>;

export const configFileSchema = z
  .object({
    agents: z.array(agentSchema).default([]),
    bots: z.array(botSchema).default([]),
    /**
     * Where the bots keep their state (headless; README "Several replicas"): `redis://host:port/db`,
     * `rediss://…`, or the path of Redis's unix socket. Absent: files in the data folder. May be
     * `env:NAME` (a URL with a password is a secret).
     */
    state: z.string().min(1, 'must not be empty').optional(),
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
