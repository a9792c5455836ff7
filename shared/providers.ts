import { z } from 'zod';

/**
 * How one boundary checks a provider's fields. Each boundary has its own reason: the config file
 * is written by a person, so it is checked strictly; the app's store holds only what the UI's
 * input already passed, so it stays lenient (reading it more strictly than it was written would set
 * aside a file the app wrote itself); the UI's input words its messages for the form; the view is
 * built by the core and checks nothing.
 */
export interface ProviderRules<Key extends z.ZodRawShape, CommandExtra extends z.ZodRawShape> {
  /** Unknown fields refused (true) or dropped. */
  strict: boolean;
  url: z.ZodType<string, string>;
  model: z.ZodType<string, string>;
  temperature: z.ZodType<number, number>;
  agent: z.ZodType<string, string>;
  stateDir: z.ZodType<string, string>;
  program: z.ZodType<string, string>;
  cwd: z.ZodType<string, string>;
  timeoutSec: z.ZodType<number, number>;
  /** Of a provider with an API key: the key itself, a replacement for the saved one, or whether one is saved. */
  key: Key;
  /** What only some boundaries give a program agent (the config file: its environment). */
  commandExtra: CommandExtra;
}

/**
 * The agents' providers, each with its fields, declared once; `rules` says how this boundary
 * checks them (config-schema.ts, the app store, the contract's input and view).
 */
export function providerUnion<Key extends z.ZodRawShape, CommandExtra extends z.ZodRawShape>(rules: ProviderRules<Key, CommandExtra>) {
  const object = <S extends z.ZodRawShape>(shape: S) =>
    // Strict or not, the parsed value has the same type: only what unknown keys do differs.
    (rules.strict ? z.object(shape).strict() : z.object(shape)) as unknown as z.ZodObject<S, z.core.$strip>;
  return z.discriminatedUnion('type', [
    object({ type: z.literal('echo') }),
    object({
      type: z.literal('openai'),
      baseUrl: rules.url.optional(),
      ...rules.key,
      model: rules.model,
      temperature: rules.temperature.optional(),
    }),
    /** A local Kocoro daemon (`shan daemon start`); `url` defaults to http://127.0.0.1:7533, `stateDir` to ~/.shannon. */
    object({
      type: z.literal('kocoro'),
      url: rules.url.optional(),
      agent: rules.agent,
      stateDir: rules.stateDir.optional(),
    }),
    object({
      type: z.literal('anthropic'),
      ...rules.key,
      model: rules.model,
      baseUrl: rules.url.optional(),
    }),
    /** A local program run for each message (never through a shell). */
    object({
      type: z.literal('command'),
      command: rules.program,
      /** Placeholders: {message}, {chat_id}, {sender}, {thread_id}, {platform}; one argument per entry. */
      args: z.array(z.string()).optional(),
      /** How the message reaches the program; default `stdin`. */
      input: z.enum(['stdin', 'arg']).optional(),
      cwd: rules.cwd.optional(),
      timeoutSec: rules.timeoutSec.optional(),
      ...rules.commandExtra,
    }),
  ]);
}

/** The provider types, read off the union so a new provider is one entry above. */
export function providerTypes<U extends { options: ReadonlyArray<{ shape: { type: z.ZodLiteral<string> } }> }>(
  union: U,
): Array<U['options'][number]['shape']['type']['value']> {
  return union.options.map((o) => o.shape.type.value);
}

/**
 * The Kocoro daemon's state folder, where its pid file shows which process is the daemon: the
 * daemon requires an absolute `--state-dir`; `~/` is accepted for the user's home.
 */
export const kocoroStateDirSchema = z
  .string()
  .trim()
  .refine((d) => /^(\/|~[/\\]|[A-Za-z]:[/\\]|\\\\)/.test(d), 'must be an absolute folder (the daemon’s --state-dir) or start with ~/');
