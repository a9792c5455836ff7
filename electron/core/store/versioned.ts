import { z } from 'zod';
import { formatZodError } from '@shared/config-schema';
import { errorMessage } from '../log/error-message';

/**
 * One step of a persisted format: turns what version N held into what version N+1 holds. It gets
 * the content as read (no `version`, never validated against the old shape), so it must cope
 * with anything; what it returns is validated with the newest schema before anyone uses it.
 */
export type Migration = (previous: Record<string, unknown>) => Record<string, unknown>;

/** A file (or a record in one) that carries the version of its format beside its content. */
export interface VersionedFormat<T> {
  /** The version this app writes: 1 + the number of migrations. */
  readonly version: number;
  read(raw: unknown): VersionedRead<T>;
  /** The content with `version` beside it, as it is written. */
  write(data: T): T & { version: number };
}

export type VersionedRead<T> =
  | {
      ok: true;
      data: T;
      /** The version it was written in (1 when it does not say). */
      from: number;
      /** It says it is of the newest version: otherwise it is worth writing back. */
      current: boolean;
    }
  | {
      ok: false;
      /** `newer`: written by a newer app, which knows what it means; never to be overwritten. */
      reason: 'newer' | 'invalid';
      problem: string;
    };

const versionSchema = z.number().int().min(1, 'must be at least 1');

/**
 * `migrations[0]` turns version 1 into version 2, and so on (the model: mattermost/desktop's
 * `upgradePreferences.ts`). Content without `version` is version 1: every file written before
 * formats were versioned. `schema` describes the newest version's content, without `version`.
 */
export function versionedFormat<T extends object>(opts: { schema: z.ZodType<T>; migrations: readonly Migration[] }): VersionedFormat<T> {
  const newest = opts.migrations.length + 1;
  return {
    version: newest,
    read(raw) {
      const { version: stated, content } = split(raw);
      const version = stated === undefined ? { success: true as const, data: 1 } : versionSchema.safeParse(stated);
      if (!version.success) return { ok: false, reason: 'invalid', problem: formatZodError(version.error, 'version') };
      const from = version.data;
      if (from > newest) {
        return {
          ok: false,
          reason: 'newer',
          problem: `version: ${from} was written by a newer version of the app (this one reads up to ${newest})`,
        };
      }
      let migrated: unknown = content;
      for (let v = from; v < newest; v++) {
        try {
          migrated = opts.migrations[v - 1]!(asRecord(migrated));
        } catch (err) {
          const why = errorMessage(err);
          return { ok: false, reason: 'invalid', problem: `version: cannot be brought from ${v} to ${v + 1} (${why})` };
        }
      }
      const parsed = opts.schema.safeParse(migrated);
      if (parsed.success) return { ok: true, data: parsed.data, from, current: stated !== undefined && from === newest };
      const after = from < newest ? ` (after bringing it from version ${from} to ${newest})` : '';
      return { ok: false, reason: 'invalid', problem: formatZodError(parsed.error) + after };
    },
    write(data) {
      return { version: newest, ...data };
    },
  };
}

/** The stated version and the rest; anything but an object is left to the schema to refuse in its words. */
function split(raw: unknown): { version?: unknown; content: unknown } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { content: raw };
  const { version, ...content } = raw as Record<string, unknown>;
  return { version, content };
}

function asRecord(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
  return value as Record<string, unknown>;
}
