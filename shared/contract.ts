/**
 * The one contract between the UI and the core: request methods (name, zod schema of the input,
 * schema of the result) and push events. The IPC bridge (desktop), the HTTP + WebSocket server
 * (headless UI) and the renderer client are all generic over it: a new method is one entry here
 * plus one handler, and a missing handler is a compile error (see `Handlers`).
 *
 * Pure: no Node, no Electron, no DOM. Secrets travel only UI → core; views carry `hasX` flags.
 */
import { z } from 'zod';
import { liveSettings, liveViewShape, optionalShape, startSettings } from './bot-settings';
import { platformSchema } from './config-schema';
import { isMethodName } from './contract-names';
import { APP_ID_PATTERN, APP_ID_RULE, idSchema } from './ids';
import { kocoroStateDirSchema, providerTypes, providerUnion } from './providers';
import {
  previewClickSchema,
  previewEventSchema,
  previewSendSchema,
  previewSessionSchema,
  previewStartSchema,
  previewToastSchema,
} from './preview';
import { publicUrlSchema } from './webhook';

// ---------- shared pieces ----------

const nonEmpty = (what: string) => z.string().trim().min(1, `${what} must not be empty`);
const httpUrl = z
  .string()
  .trim()
  .refine((u) => /^https?:\/\/[^\s/]+/i.test(u), 'must be an http(s) URL');
const id = idSchema;

export const connectionStateSchema = z.enum(['stopped', 'connecting', 'connected', 'reconnecting', 'failed']);

export const botStatusSchema = z.object({
  botId: z.string(),
  state: connectionStateSchema,
  reason: z.string().optional(),
  since: z.number(),
  botName: z.string().optional(),
  botOpenId: z.string().optional(),
  lastMessageAt: z.number().optional(),
  notice: z.object({ message: z.string(), link: z.string().optional() }).optional(),
  /** Late messages kept by the `hold` backlog policy, waiting for Answer or Skip. */
  held: z.number().optional(),
  setupProblems: z.number().optional(),
  /** The processes running the bot on a shared state store, the reporting one marked `self` (shared/bot-status.ts). */
  replicas: z
    .array(z.object({ id: z.string(), host: z.string(), pid: z.number(), since: z.number(), self: z.boolean().optional() }))
    .optional(),
});

/** One item of a bot's setup check (README "Setup check"): what was checked, and when it fails what to click. */
export const setupItemSchema = z.object({
  /** `requests`: webhook bots only, what the request URL has received from the platform (shared/webhook.ts). */
  id: z.enum(['credentials', 'bot', 'scopes', 'events', 'callback', 'version', 'connections', 'requests', 'exposure']),
  state: z.enum(['ok', 'problem', 'unknown']),
  /** The bot cannot receive or answer messages until this is fixed. */
  blocking: z.boolean(),
  title: z.string(),
  message: z.string(),
  /** The console page where it is fixed (or, for `unknown`, where to grant what would let it be checked). */
  link: z.string().optional(),
  /** Scopes not granted, each with what it breaks. */
  missingScopes: z.array(z.object({ scope: z.string(), breaks: z.string(), required: z.boolean() })).optional(),
});
export const setupReportSchema = z.object({
  botId: z.string(),
  checkedAt: z.number(),
  items: z.array(setupItemSchema),
  problems: z.number(),
  blocking: z.boolean(),
});
export type SetupItem = z.infer<typeof setupItemSchema>;
export type SetupReport = z.infer<typeof setupReportSchema>;

/** Who owns a record: a `--config` file (read-only in the UI) or the app's own store. */
export const managedBySchema = z.enum(['config', 'app']);

// ---------- agents ----------

/** A provider as the UI sees it: never the key itself. */
export const providerViewSchema = providerUnion({
  strict: false,
  url: z.string(),
  model: z.string(),
  temperature: z.number(),
  agent: z.string(),
  stateDir: z.string(),
  program: z.string(),
  cwd: z.string(),
  timeoutSec: z.number(),
  key: { hasApiKey: z.boolean() },
  commandExtra: {},
});

export const providerTypeSchema = z.enum(providerTypes(providerViewSchema));

/**
 * A provider as the UI sends it. `apiKey`: a new key replaces the saved one, `null` clears it,
 * absent keeps it unchanged. `stateDir`: the daemon's state folder when it is not ~/.shannon (a
 * daemon started with `--state-dir`).
 */
export const providerInputSchema = providerUnion({
  strict: false,
  url: httpUrl,
  model: nonEmpty('Model'),
  temperature: z.number().min(0).max(2),
  agent: nonEmpty('Agent'),
  stateDir: kocoroStateDirSchema,
  program: nonEmpty('Program'),
  cwd: z.string().trim(),
  timeoutSec: z.number().int('Timeout must be whole seconds').min(1, 'Timeout must be at least 1 second').max(86_400),
  key: { apiKey: z.string().nullable().optional() },
  commandExtra: {},
});

export const agentViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  systemPrompt: z.string().optional(),
  provider: providerViewSchema,
  managedBy: managedBySchema,
  /** Ids of the bots this agent answers for (an agent in use cannot be deleted). */
  usedBy: z.array(z.string()),
});

export const agentInputSchema = z.object({
  name: nonEmpty('Name'),
  systemPrompt: z.string().optional(),
  provider: providerInputSchema,
});

// ---------- bots ----------

/** `long-connection` or `webhook` (shared/bot-settings.ts `receive`). */
export const receiveSchema = startSettings.receive.schema;
export type ReceiveMode = z.output<typeof receiveSchema>;

/** `access` with every default filled in (see shared/bot-settings.ts). */
export const accessViewSchema = liveViewShape.access;

/** A person found by name for the DM allowlist, and a group the bot is in. */
export const personSchema = z.object({ openId: z.string(), name: z.string(), avatarUrl: z.string().optional() });
export const chatSchema = z.object({ chatId: z.string(), name: z.string() });

export const botViewSchema = z.object({
  id: z.string(),
  platform: platformSchema,
  appId: z.string(),
  displayName: z.string().optional(),
  agentId: z.string(),
  /** Open Platform base URL when it is not the platform's default. */
  domain: z.string().optional(),
  enabled: z.boolean(),
  hasAppSecret: z.boolean(),
  hasEncryptKey: z.boolean(),
  hasVerificationToken: z.boolean(),
  managedBy: managedBySchema,
  /** How events and card callbacks reach the bot (a start setting: a change restarts it). */
  receive: receiveSchema,
  /** The settings the app edits, defaults filled in (shared/bot-settings.ts). */
  ...liveViewShape,
  status: botStatusSchema,
});

/**
 * The settings the app edits, each optional: absent is the default on create and unchanged on
 * update; `replyMode` and `access` change only the fields given (shared/bot-settings.ts).
 */
const liveSettingsInput = optionalShape(liveSettings);

const appIdSchema = z.string().trim().regex(APP_ID_PATTERN, `App ID ${APP_ID_RULE}`);

export const credentialsInputSchema = z.object({
  platform: platformSchema,
  appId: appIdSchema,
  /** Typed in; or absent when `registrationId` names the scan that created the app (its secret stays in the core). */
  appSecret: nonEmpty('App Secret').optional(),
  registrationId: z.string().min(1).max(100).optional(),
  domain: httpUrl.optional(),
});

/** What the scan-to-create flow (`registration.start`) reports, step by step (README "Create the app by scanning"). */
export const registrationEventSchema = z.object({
  registrationId: z.string(),
  status: z.enum(['qr', 'polling', 'slow_down', 'switched', 'done', 'failed', 'cancelled']),
  /** `qr`: what to show (the link, the QR code as an SVG image) and until when it is valid. */
  qr: z.object({ url: z.string(), svg: z.string(), expiresAt: z.number() }).optional(),
  /** `done`: the new app; its secret stays in the core (pass `registrationId` with the App ID). */
  appId: z.string().optional(),
  platform: platformSchema.optional(),
  /** `done`: the person who scanned, offered as the bot's owner. */
  ownerOpenId: z.string().optional(),
  /** `failed`: why, and what to say. */
  reason: z.enum(['expired', 'denied', 'unreachable', 'failed']).optional(),
  message: z.string().optional(),
});
export type RegistrationEvent = z.infer<typeof registrationEventSchema>;

/**
 * Why a credentials check failed, so the UI can say the right thing: `unknown_app` no app with
 * this App ID on this platform, `credentials` wrong App Secret (or an App ID/secret pair the
 * platform rejects without saying which), `network` platform unreachable, `platform` anything else.
 */
export const credentialsCheckSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), reason: z.enum(['unknown_app', 'credentials', 'network', 'platform']), message: z.string() }),
]);

/**
 * A webhook bot (`receive: 'webhook'`) needs both the Encrypt Key and the Verification Token
 * (Events & Callbacks → Encryption Strategy); the core refuses one without them.
 */
export const botCreateInputSchema = credentialsInputSchema.extend({
  encryptKey: z.string().optional(),
  verificationToken: z.string().optional(),
  receive: receiveSchema.optional(),
  agentId: id,
  displayName: z.string().trim().max(64).optional(),
  ...liveSettingsInput,
});

/**
 * Secrets: a new value replaces the saved one, absent keeps it (`encryptKey: ''` and
 * `verificationToken: ''` clear it; not on a webhook bot). `receive` restarts the bot.
 */
export const botUpdateInputSchema = z.object({
  id,
  agentId: id.optional(),
  displayName: z.string().trim().max(64).optional(),
  appSecret: z.string().min(1).optional(),
  encryptKey: z.string().optional(),
  verificationToken: z.string().optional(),
  receive: receiveSchema.optional(),
  ...liveSettingsInput,
});

export const approvalDecisionSchema = z.enum(['allow', 'deny', 'always_allow']);

/** A tool call an agent waits to be allowed to run (README "Tool approvals"). */
export const pendingApprovalSchema = z.object({
  botId: z.string(),
  requestId: z.string(),
  chatId: z.string(),
  chatType: z.enum(['p2p', 'group']),
  /** The person whose message the agent is answering: they may deny it; the bot's approvers (and the app) allow. */
  askerOpenId: z.string(),
  /** Their message, shortened. */
  question: z.string(),
  tool: z.string(),
  title: z.string(),
  /** The call's arguments, whole: only secrets shown as `***` (`hidden` of them), invisible characters as `⟦U+XXXX⟧` (`invisible`). */
  detail: z.string(),
  hidden: z.number().int().min(0),
  invisible: z.number().int().min(0),
  alwaysAllowOffered: z.boolean(),
  /** When the agent asked (ms since the epoch). */
  since: z.number(),
});
export type PendingApproval = z.infer<typeof pendingApprovalSchema>;

/** A late message kept by the `hold` backlog policy (README "backlog"). */
export const heldMessageSchema = z.object({
  messageId: z.string(),
  chatId: z.string(),
  chatType: z.enum(['p2p', 'group']),
  preview: z.string(),
  /** When it was sent (ms since the epoch). */
  sentAt: z.number(),
});
export type HeldMessage = z.infer<typeof heldMessageSchema>;

/** What happened to one incoming message, for the live checklist and "last message". */
export const botActivitySchema = z.object({
  botId: z.string(),
  messageId: z.string(),
  chatType: z.enum(['p2p', 'group']),
  /** Who sent it: offered in Add Bot as "this is me" (the bot's owner and approver). */
  senderOpenId: z.string().optional(),
  /** The message text as the agent saw it, shortened for display. */
  preview: z.string(),
  stage: z.enum(['received', 'answered', 'failed']),
  at: z.number(),
});

// ---------- app ----------

/**
 * How saved secrets are protected on this machine, said plainly in the UI:
 * `keychain` OS keyring via safeStorage; `weak-keyring` Linux basic_text (plaintext with a fixed
 * key); `file` headless: a file only this user can read.
 */
export const secretProtectionSchema = z.object({
  kind: z.enum(['keychain', 'weak-keyring', 'file']),
  detail: z.string(),
});

export const languageSchema = z.enum(['system', 'en', 'zh-CN']);

export const settingsSchema = z.object({
  language: languageSchema,
  /** Desktop only: start the app at login (undefined where the host cannot). */
  startAtLogin: z.boolean().optional(),
  /**
   * The public URL of this server (headless, webhook mode): webhook bots' request URLs are
   * `<publicUrl>/webhook/<bot id>` (shared/webhook.ts). Absent when not set.
   */
  publicUrl: z.string().optional(),
});

/** A change of settings: `publicUrl` validated as an http(s) URL, `''` clears it. */
export const settingsUpdateSchema = settingsSchema
  .extend({
    publicUrl: z
      .string()
      .trim()
      .pipe(z.union([z.literal(''), publicUrlSchema])),
  })
  .partial();

export const appInfoSchema = z.object({
  version: z.string(),
  mode: z.enum(['desktop', 'headless']),
  secretProtection: secretProtectionSchema,
  /** Path of the `--config` file whose bots and agents are read-only, if any. */
  configFile: z.string().optional(),
  dataDir: z.string(),
});

// ---------- the methods ----------

const none = z.object({}).strict();

export const methods = {
  'app.info': { input: none, output: appInfoSchema },
  /**
   * A new sign-in link for another browser or tab (headless UI only: the desktop app answers
   * not_found): `http://127.0.0.1:PORT/#code=C`, whose code works once, until `expiresAt` (ms since
   * the epoch). Made by the UI server itself (electron/server/ui-server.ts).
   */
  'app.signInLink': { input: none, output: z.object({ link: z.string(), expiresAt: z.number() }) },
  'settings.get': { input: none, output: settingsSchema },
  'settings.update': { input: settingsUpdateSchema, output: settingsSchema },

  'bots.list': { input: none, output: z.array(botViewSchema) },
  'bots.checkCredentials': { input: credentialsInputSchema, output: credentialsCheckSchema },
  /** Saves the bot and starts its long connection; fails if the App ID is already registered. */
  'bots.create': { input: botCreateInputSchema, output: botViewSchema },
  'bots.update': { input: botUpdateInputSchema, output: botViewSchema },
  'bots.setEnabled': { input: z.object({ id, enabled: z.boolean() }), output: botViewSchema },
  'bots.remove': { input: z.object({ id }), output: z.object({ removed: z.literal(true) }) },
  /** Recent activity of one bot, newest last (the live checklist starts from it). */
  'bots.activity': { input: z.object({ id }), output: z.array(botActivitySchema) },
  /** People in the app's contact range whose name contains `query` (empty: the first ones), with the bot's credentials. */
  'bots.searchPeople': { input: z.object({ id, query: z.string().max(100) }), output: z.array(personSchema) },
  /** Groups the bot is in whose name contains `query` (empty: all, up to a limit). */
  'bots.searchChats': { input: z.object({ id, query: z.string().max(100) }), output: z.array(chatSchema) },
  /**
   * The bot's setup check: the last report (checked again when older than 30 s), or a new one now
   * with `force` (the Check setup button). Also pushed as `bot.setup` after every check.
   */
  'bots.setup': { input: z.object({ id, force: z.boolean().optional() }), output: setupReportSchema },
  /** Late messages the bot holds (backlog `hold`), oldest first. */
  'bots.held': { input: z.object({ id }), output: z.array(heldMessageSchema) },
  /** Each bot's figures of today: answers, median answer time, queued and running now. */
  'bots.figures': {
    input: none,
    output: z.array(
      z.object({
        botId: z.string(),
        answersToday: z.number(),
        medianAnswerMs: z.number().optional(),
        queued: z.number(),
        running: z.number(),
      }),
    ),
  },
  /** Answers or skips held messages (all of a chat: pass all its ids). */
  'bots.resolveHeld': {
    input: z.object({ id, messageIds: z.array(z.string().min(1)).min(1).max(1000), action: z.enum(['answer', 'skip']) }),
    output: z.object({ resolved: z.number() }),
  },

  /** Tool calls the bots' agents wait to be allowed to run, oldest first. */
  'approvals.list': { input: none, output: z.array(pendingApprovalSchema) },
  /** Decides one, exactly as its card's button would; `not_found` once it no longer waits. */
  'approvals.decide': {
    input: z.object({ botId: id, requestId: z.string().min(1).max(100), decision: approvalDecisionSchema }),
    output: z.object({ decided: z.literal(true) }),
  },

  /** Starts "create the app by scanning a QR code"; what follows arrives as `registration` events. */
  'registration.start': { input: z.object({ platform: platformSchema }), output: z.object({ registrationId: z.string() }) },
  'registration.cancel': { input: z.object({ registrationId: z.string().min(1).max(100) }), output: z.object({ cancelled: z.boolean() }) },

  'agents.list': { input: none, output: z.array(agentViewSchema) },
  'agents.create': { input: agentInputSchema, output: agentViewSchema },
  'agents.update': { input: agentInputSchema.extend({ id }), output: agentViewSchema },
  'agents.remove': { input: z.object({ id }), output: z.object({ removed: z.literal(true) }) },
  /** Starts a test run; deltas and the end arrive as `agent.test` events with the same runId. */
  'agents.test': { input: z.object({ id, text: nonEmpty('Message') }), output: z.object({ runId: z.string() }) },
  /** Whether the agent's backend answers (daemon running, key accepted, program executable…). */
  'agents.health': { input: z.object({ id }), output: z.object({ ok: z.boolean(), message: z.string() }) },
  /** The agents of a local Kocoro daemon (default URL when absent); an RpcError when it is unreachable. */
  'agents.kocoroAgents': {
    input: z.object({ url: httpUrl.optional() }),
    output: z.object({
      agents: z.array(z.object({ name: z.string(), displayName: z.string().optional(), description: z.string().optional() })),
    }),
  },

  /**
   * The preview chat (shared/preview.ts): the real bot runtime over an in-process stand-in for the
   * platform. Messages and card changes arrive as `preview` events with the session's id.
   */
  'preview.start': { input: previewStartSchema, output: previewSessionSchema },
  'preview.send': { input: previewSendSchema, output: z.object({ messageId: z.string() }) },
  'preview.click': { input: previewClickSchema, output: z.object({ toast: previewToastSchema.optional() }) },
  'preview.close': { input: z.object({ sessionId: z.string().min(1).max(100) }), output: z.object({ closed: z.boolean() }) },

  /** Opens an allowlisted console or docs link in the OS browser (desktop); headless returns opened:false. */
  'links.open': { input: z.object({ url: z.string() }), output: z.object({ opened: z.boolean() }) },
} as const;

export const events = {
  'bot.status': botStatusSchema,
  'bot.activity': botActivitySchema,
  'bot.setup': setupReportSchema,
  registration: registrationEventSchema,
  /** The bot list changed (created, edited, removed): refetch `bots.list`. */
  'bots.changed': none,
  'agents.changed': none,
  /** An approval was asked for (`added`), decided or ended: refetch `approvals.list`. */
  'approvals.changed': z.object({ added: pendingApprovalSchema.optional() }),
  'agent.test': z.object({
    runId: z.string(),
    delta: z.string().optional(),
    /** The whole answer so far, replacing the streamed deltas (the backend's final text is authoritative). */
    replace: z.string().optional(),
    done: z.boolean().optional(),
    error: z.string().optional(),
  }),
  'settings.changed': settingsSchema,
  preview: previewEventSchema,
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type ParsedInput<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<E extends EventName> = z.output<Events[E]>;

/** What the core implements: one handler per method, given already-validated input. */
export type Handlers = { [M in MethodName]: (input: ParsedInput<M>) => Promise<MethodOutput<M>> };

/** What the renderer talks to, whatever the transport. */
export interface KocoroClient {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export const METHOD_NAMES = Object.keys(methods) as MethodName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];
export { isEventName, isMethodName } from './contract-names';

export type BotView = z.output<typeof botViewSchema>;
export type AgentView = z.output<typeof agentViewSchema>;
export type BotActivity = z.output<typeof botActivitySchema>;
export type AccessView = z.output<typeof accessViewSchema>;
export type Person = z.output<typeof personSchema>;
export type ChatSummary = z.output<typeof chatSchema>;
export type AppInfo = z.output<typeof appInfoSchema>;
export type Settings = z.output<typeof settingsSchema>;
export type CredentialsCheck = z.output<typeof credentialsCheckSchema>;
export type SecretProtection = z.output<typeof secretProtectionSchema>;
export type ProviderInput = z.output<typeof providerInputSchema>;

/**
 * Errors crossing the transport. `code` lets the UI pick its words; `field` names the input field
 * at fault (e.g. "appId") so the form can point at it.
 */
export const rpcErrorSchema = z.object({
  code: z.enum(['invalid_input', 'not_found', 'conflict', 'read_only', 'in_use', 'unauthorized', 'internal']),
  message: z.string(),
  field: z.string().optional(),
});
export type RpcErrorBody = z.output<typeof rpcErrorSchema>;

export class RpcError extends Error {
  constructor(
    readonly code: RpcErrorBody['code'],
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  toBody(): RpcErrorBody {
    return { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) };
  }
}

/** The reply envelope both transports use. */
export type RpcReply<T> = { ok: true; result: T } | { ok: false; error: RpcErrorBody };

/**
 * Validates a raw call at a transport boundary and runs the handler: the single place where
 * untrusted input meets the core. Errors come back as an envelope, never as a thrown exception.
 */
export async function dispatch(handlers: Handlers, method: unknown, rawInput: unknown): Promise<RpcReply<unknown>> {
  if (!isMethodName(method)) return { ok: false, error: { code: 'not_found', message: `unknown method ${String(method)}` } };
  const parsed = methods[method].input.safeParse(rawInput ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.map(String).join('.') || undefined;
    return {
      ok: false,
      error: {
        code: 'invalid_input',
        message: `${field ? `${field}: ` : ''}${issue?.message ?? 'invalid input'}`,
        ...(field ? { field } : {}),
      },
    };
  }
  try {
    const handler = handlers[method] as (input: unknown) => Promise<unknown>;
    return { ok: true, result: await handler(parsed.data) };
  } catch (err) {
    if (err instanceof RpcError) return { ok: false, error: err.toBody() };
    return { ok: false, error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } };
  }
}
