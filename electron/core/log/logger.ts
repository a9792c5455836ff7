import type { SecretRedactor } from './redact';

export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

/** The port every service logs through: one event name, structured fields, never a secret. */
export interface Logger {
  log(level: LogLevel, event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

/** One JSON object per line, e.g. for stdout in headless mode. */
export function createJsonLineLogger(
  write: (line: string) => void,
  redactor: SecretRedactor,
  base: LogFields = {},
  now: () => Date = () => new Date(),
): Logger {
  return {
    log(level, event, fields = {}) {
      const record = { time: now().toISOString(), level, event, ...base, ...fields };
      write(redactor.redact(JSON.stringify(record, errorReplacer)) + '\n');
    },
    child(fields) {
      return createJsonLineLogger(write, redactor, { ...base, ...fields }, now);
    },
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return value.message;
  return value;
}

/** For tests and for callers that do not care. */
export const silentLogger: Logger = {
  log() {},
  child() {
    return silentLogger;
  },
};

/** Keeps records in memory; tests assert on them. */
export class MemoryLogger implements Logger {
  readonly records: Array<{ level: LogLevel; event: string } & LogFields> = [];
  constructor(
    private readonly base: LogFields = {},
    private readonly sink?: MemoryLogger,
  ) {}
  log(level: LogLevel, event: string, fields: LogFields = {}): void {
    (this.sink ?? this).records.push({ level, event, ...this.base, ...fields });
  }
  child(fields: LogFields): Logger {
    return new MemoryLogger({ ...this.base, ...fields }, this.sink ?? this);
  }
}
