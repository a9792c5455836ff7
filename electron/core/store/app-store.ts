import { promises as fs } from 'node:fs';
import path from 'node:path';
import Conf from 'conf';
import { z } from 'zod';
import { botSettings, optionalShape } from '@shared/bot-settings';
import { platformSchema } from '@shared/config-schema';
import { languageSchema } from '@shared/contract';
import { appIdSchema, idSchema } from '@shared/ids';
import { providerUnion } from '@shared/providers';
import type { Logger } from '../log/logger';
import { setAside } from './set-aside';
import { ensurePrivateDir } from './private-files';
import { type VersionedFormat, versionedFormat } from './versioned';
import { errorMessage } from '../log/error-message';

/**
 * Agents created in the app. The API key is not here: it lives in the vault under `agent:<id>:apiKey`.
 * The fields are read as leniently as the UI's input let them be written (providers.ts says why).
 */
export const appAgentSchema = z.object({
  id: idSchema,
  name: z.string().min(1, 'must not be empty'),
  systemPrompt: z.string().optional(),
  provider: providerUnion({
    strict: false,
    url: z.string(),
    model: z.string().min(1, 'must name a model'),
    temperature: z.number().min(0).max(2),
    agent: z.string().min(1, 'must name an agent'),
    stateDir: z.string(),
    program: z.string().min(1, 'must name a program'),
    cwd: z.string(),
    timeoutSec: z.number().int().min(1),
    key: {},
    commandExtra: {},
  }),
});
export type AppAgent = z.infer<typeof appAgentSchema>;

/**
 * Bots created in the app. Secrets live in the vault under `bot:<id>:appSecret`, `bot:<id>:encryptKey`
 * and `bot:<id>:verificationToken`.
 */
export const appBotSchema = z.object({
  id: idSchema,
  platform: platformSchema,
  appId: appIdSchema,
  agentId: idSchema,
  displayName: z.string().optional(),
  domain: z.string().optional(),
  enabled: z.boolean().optional(),
  ...optionalShape(botSettings),
});
export type AppBot = z.infer<typeof appBotSchema>;

export const appSettingsSchema = z.object({
  language: languageSchema.default('system'),
  /** The public URL of this server (webhook mode: shared/webhook.ts); read leniently, validated when set. */
  publicUrl: z.string().min(1).optional(),
});
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
 * The file's format. A change of format appends a migration (never edits one), so a file of any
 * earlier version is brought forward step by step; a file of a later version is left alone.
 */
export const APP_STORE_FORMAT: VersionedFormat<StoreData> = versionedFormat({ schema: storeSchema, migrations: [] });

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
   * A file that does not validate, or that a newer version of the app wrote, is kept as
   * `kocoro.json.invalid` (never overwritten) and the app starts empty, with an error log naming
   * the field: the person's data is never lost silently. A file of an earlier format is written
   * back in the newest one at once, so it is never half one format and half another.
   */
  static async open(opts: { dataDir: string; logger: Logger }): Promise<AppStore> {
    await ensurePrivateDir(opts.dataDir);
    const file = path.join(path.resolve(opts.dataDir), `${APP_STORE_NAME}.json`);
    const { data, writeBack } = await readValidated(file, opts.logger);
    const conf = new Conf<Record<string, unknown>>({
      cwd: path.resolve(opts.dataDir),
      configName: APP_STORE_NAME,
      configFileMode: 0o600,
      accessPropertiesByDotNotation: false,
      deserialize: parseJson,
    });
    const store = new AppStore(conf, data);
    if (writeBack) {
      try {
        store.write(data);
      } catch (err) {
        // What was read is right in memory; the next change writes it, in the newest format.
        opts.logger.log('warn', 'store.upgrade_unsaved', { file, error: errorMessage(err) });
      }
    }
    return store;
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

  /** Changes the settings given; a `publicUrl` of `undefined` (given as a key) removes it. */
  updateSettings(patch: Partial<AppSettings>): AppSettings {
    const next: Record<string, unknown> = { ...this.data.settings, ...patch };
    for (const key of Object.keys(next)) if (next[key] === undefined) delete next[key];
    this.write({ ...this.data, settings: appSettingsSchema.parse(next) });
    return this.settings();
  }

  private write(next: StoreData): void {
    // Written before memory changes: if the disk refuses, the app keeps showing what is really saved.
    // The whole file is replaced, so nothing of an earlier format lingers beside the newest one.
    this.conf.store = APP_STORE_FORMAT.write({ agents: next.agents, bots: next.bots, settings: next.settings });
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

async function readValidated(file: string, logger: Logger): Promise<{ data: StoreData; writeBack: boolean }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { data: storeSchema.parse({}), writeBack: false };
    throw err;
  }
  let raw: unknown;
  try {
    raw = parseJson(text);
  } catch (err) {
    return setAsideInvalid(file, logger, { problem: `not valid JSON (${errorMessage(err)})` });
  }
  const read = APP_STORE_FORMAT.read(raw);
  if (read.ok) return { data: read.data, writeBack: !read.current };
  return setAsideInvalid(file, logger, { problem: read.problem, newer: read.reason === 'newer' });
}

async function setAsideInvalid(
  file: string,
  logger: Logger,
  { problem, newer = false }: { problem: string; newer?: boolean },
): Promise<{ data: StoreData; writeBack: false }> {
  // One suffix for every file a newer app wrote (`.newer`, as the bots' own files), another for a damaged one.
  const backup = await setAside(file, newer ? 'newer' : 'invalid');
  logger.log('error', 'store.invalid', {
    file,
    backup,
    error: problem,
    hint: newer
      ? 'the app started with no saved bots or agents; the newer version of the app that wrote the backup reads it: use that version, or set them up again'
      : 'the app started with no saved bots or agents; fix the backup and copy it back, or set them up again',
  });
  return { data: storeSchema.parse({}), writeBack: false };
}
