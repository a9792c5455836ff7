import { promises as fs } from 'node:fs';
import { type ConfigFile, configFileSchema, formatZodError } from '@shared/config-schema';
import type { SecretRedactor } from '../log/redact';
import { errorMessage } from '../log/error-message';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates a config file, then resolves `env:NAME` secrets from the environment.
 * Every problem names the file and the field.
 */
export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv, redactor: SecretRedactor): Promise<ConfigFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`${file}: cannot read the config file (${code === 'ENOENT' ? 'no such file' : (code ?? String(err))})`);
  }
  let raw: unknown;
  try {
    // Editors on Windows (Notepad) save UTF-8 with a byte-order mark, which JSON.parse refuses.
    raw = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON (${errorMessage(err)})`);
  }
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${file}: invalid config\n${formatZodError(parsed.error)}`);
  return resolveSecrets(parsed.data, env, redactor, file);
}

export function resolveSecrets(config: ConfigFile, env: NodeJS.ProcessEnv, redactor: SecretRedactor, file = 'config'): ConfigFile {
  const problems: string[] = [];
  const resolve = (value: string | undefined, field: string): string | undefined => {
    if (value === undefined) return undefined;
    const m = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(value);
    const resolved = m ? env[m[1]!] : value;
    if (m && (resolved === undefined || resolved === '')) problems.push(`${field}: environment variable ${m[1]} is not set`);
    redactor.add(resolved);
    return resolved;
  };
  const agents = config.agents.map((agent, i) => {
    const p = agent.provider;
    if (p.type === 'openai' || p.type === 'anthropic') {
      return { ...agent, provider: { ...p, apiKey: resolve(p.apiKey, `agents[${i}].provider.apiKey`) } };
    }
    if (p.type === 'command' && p.env) {
      // Only `env:NAME` values are secrets (and hidden from logs and chats); literal ones are settings.
      const env = Object.fromEntries(
        Object.entries(p.env).map(([name, value]) => [
          name,
          value.startsWith('env:') ? (resolve(value, `agents[${i}].provider.env.${name}`) ?? '') : value,
        ]),
      );
      return { ...agent, provider: { ...p, env } };
    }
    return agent;
  });
  const bots = config.bots.map((bot, i) => ({
    ...bot,
    appSecret: resolve(bot.appSecret, `bots[${i}].appSecret`) ?? '',
    encryptKey: resolve(bot.encryptKey, `bots[${i}].encryptKey`),
    verificationToken: resolve(bot.verificationToken, `bots[${i}].verificationToken`),
  }));
  // A Redis URL may carry a password: hidden like any secret.
  const state = resolve(config.state, 'state');
  if (problems.length > 0) throw new ConfigError(`${file}: invalid config\n${problems.join('\n')}`);
  return { agents, bots, ...(state ? { state } : {}) };
}
