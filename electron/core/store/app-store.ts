import { promises as fs } from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import { z } from 'zod';
import {
  accessSchema,
  APP_ID_PATTERN,
  backlogPolicySchema,
  maxConcurrentAnswersSchema,
  approvalsPlaceSchema,
  approversSchema,
  botLanguageSchema,
  formatZodError,
  platformSchema,
  replyModeSchema,
} from '@shared/config-schema';
import { languageSchema } from '@shared/contract';
import type { Logger } from '../log/logger';
import { setAside } from './set-aside';
import { ensurePrivateDir } from './private-files';

const idSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'must be 1-64 characters: lowercase letters, digits, "-" or "_"');

/** Agents created in the app. The API key is not here: it lives in the vault under `agent:<id>:apiKey`. */
export const appAgentSchema = z.object({
  id: idSchema,
  name: z.string().min(1, 'must not be empty'),
  systemPrompt: z.string().optional(),
  provider: z.discriminatedUnion('type', [
    z.object({ type: z.literal('echo') }),
    z.object({
      type: z.literal('openai'),
      baseUrl: z.string().optional(),
      model: z.string().min(1, 'must name a model'),
      temperature: z.number().min(0).max(2).optional(),
    }),
    z.object({
      type: z.literal('kocoro'),
      url: z.string().optional(),
      agent: z.string().min(1, 'must name an agent'),
      stateDir: z.string().optional(),
    }),
    z.object({ type: z.literal('anthropic'), baseUrl: z.string().optional(), model: z.string().min(1, 'must name a model') }),
    z.object({
      type: z.literal('command'),
      command: z.string().min(1, 'must name a program'),
      args: z.array(z.string()).optional(),
      input: z.enum(['stdin', 'arg']).optional(),
      cwd: z.string().optional(),
      timeoutSec: z.number().int().min(1).optional(),
    }),
  ]),
});
export type AppAgent = z.infer<typeof appAgentSchema>;

/** Bots created in the app. Secrets live in the vault under `bot:<id>:appSecret` / `bot:<id>:encryptKey`. */
export const appBotSchema = z.object({
  id: idSchema,
  platform: platformSchema,
  appId: z.string().regex(APP_ID_PATTERN, 'must look like cli_ followed by 16 hex characters'),
  agentId: idSchema,
  displayName: z.string().optional(),
  domain: z.string().optional(),
  enabled: z.boolean().optional(),
  replyMode: z.object({ dm: replyModeSchema.optional(), group: replyModeSchema.optional() }).optional(),
  access: accessSchema.optional(),
  language: botLanguageSchema.optional(),
  backlog: backlogPolicySchema.optional(),
  backlogAfterMinutes: z.number().int().min(1).optional(),
  maxConcurrentAnswers: maxConcurrentAnswersSchema.optional(),
  approvals: approvalsPlaceSchema.optional(),
  approvers: approversSchema.optional(),
  askersMayApprove: z.boolean().optional(),
  usageFooter: z.boolean().optional(),
  files: z.object({ quotaMb: z.number().int().min(1).optional(), retentionDays: z.number().int().min(1).optional() }).optional(),
});
export type AppBot = z.infer<typeof appBotSchema>;

export const appSettingsSchema = z.object({ language: languageSchema.default('system') });
export type AppSettings = z.infer<typeof appSettingsSchema>;

const storeSchema = z
  .object({
    agents: z.array(appAgentSchema).default([]),
    bots: z.array(appBotSchema).default([]),
    settings: appSettingsSchema.default({ language: 'system' }),
  })
  .superRefine((data, ctx) => {
    const duplicate = (items: Array<{ id: string }>, key: 'agents' | 'bots') => {
      const seen = new Set<string>();
      items.forEach((item, i) => {
        if (seen.has(item.id)) ctx.addIssue({ code: 'custom', path: [key, i, 'id'], message: `duplicate id "${item.id}"` });
        seen.add(item.id);
      });
    };
    duplicate(data.agents, 'agents');
    duplicate(data.bots, 'bots');
  });
type StoreData = z.infer<typeof storeSchema>;

export const APP_STORE_NAME = 'kocoro';

/**
 * The agents, bots and settings the person creates in the UI, in `<dataDir>/kocoro.json` (through
 * `conf`: atomic writes). Never holds a secret. Read once at open; every change is written at once.
 */
export class AppStore {
  private data: StoreData;

  private constructor(
    private readonly conf: Conf<Record<string, unknown>>,
    data: StoreData,
  ) {
    this.data = data;
  }

  get file(): string {
    return this.conf.path;
  }

  /**
   * A file that does not validate is kept as `kocoro.json.invalid` (never overwritten) and the
   * app starts empty, with an error log naming the field: the person's data is never lost silently.
   */
  static async open(opts: { dataDir: string; logger: Logger }): Promise<AppStore> {
    await ensurePrivateDir(opts.dataDir);
    const file = path.join(path.resolve(opts.dataDir), `${APP_STORE_NAME}.json`);
    const data = await readValidated(file, opts.logger);
    const conf = new Conf<Record<string, unknown>>({
      cwd: path.resolve(opts.dataDir),
      configName: APP_STORE_NAME,
      configFileMode: 0o600,
      accessPropertiesByDotNotation: false,
      deserialize: parseJson,
    });
    return new AppStore(conf, data);
  }

  agents(): AppAgent[] {
    return structuredClone(this.data.agents);
  }

  bots(): AppBot[] {
    return structuredClone(this.data.bots);
  }

  agent(id: string): AppAgent | undefined {
    return structuredClone(this.data.agents.find((a) => a.id === id));
  }

  bot(id: string): AppBot | undefined {
    return structuredClone(this.data.bots.find((b) => b.id === id));
  }

  settings(): AppSettings {
    return { ...this.data.settings };
  }

  /** Adds the agent, or replaces the one with the same id in place (the list keeps its order). */
  putAgent(agent: AppAgent): void {
    this.write({ ...this.data, agents: upsert(this.data.agents, appAgentSchema.parse(agent)) });
  }

  removeAgent(id: string): void {
    this.write({ ...this.data, agents: this.data.agents.filter((a) => a.id !== id) });
  }

  putBot(bot: AppBot): void {
    this.write({ ...this.data, bots: upsert(this.data.bots, appBotSchema.parse(bot)) });
  }

  removeBot(id: string): void {
    this.write({ ...this.data, bots: this.data.bots.filter((b) => b.id !== id) });
  }

  updateSettings(patch: Partial<AppSettings>): AppSettings {
    this.write({ ...this.data, settings: appSettingsSchema.parse({ ...this.data.settings, ...patch }) });
    return this.settings();
  }

  private write(next: StoreData): void {
    // Written before memory changes: if the disk refuses, the app keeps showing what is really saved.
    this.conf.set({ agents: next.agents, bots: next.bots, settings: next.settings });
    this.data = next;
  }
}

function upsert<T extends { id: string }>(items: T[], item: T): T[] {
  const i = items.findIndex((x) => x.id === item.id);
  return i === -1 ? [...items, item] : items.map((x, j) => (j === i ? item : x));
}

/** A hand-edited file saved with a byte-order mark (as Windows editors save UTF-8) is still the user's file. */
function parseJson(text: string): Record<string, unknown> {
  return JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
}

async function readValidated(file: string, logger: Logger): Promise<StoreData> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return storeSchema.parse({});
    throw err;
  }
  let problem: string;
  try {
    const parsed = storeSchema.safeParse(parseJson(text));
    if (parsed.success) return parsed.data;
    problem = formatZodError(parsed.error);
  } catch (err) {
    problem = `not valid JSON (${err instanceof Error ? err.message : String(err)})`;
  }
  const backup = await setAside(file, 'invalid');
  logger.log('error', 'store.invalid', {
    file,
    backup,
    error: problem,
    hint: 'the app started with no saved bots or agents; fix the backup and copy it back, or set them up again',
  });
  return storeSchema.parse({});
}
