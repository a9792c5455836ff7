import type { SecretRedactor } from './redact';

export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

/** The port every service logs through: one event name, structured fields, never a secret. */
export interface Logger {
  log(level: LogLevel, event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  /** The secrets this logger hides, hidden in `text`: for callers that shorten text before logging it. */
  redact?(text: string): string;
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
    redact: (text) => redactor.redact(text),
  };
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return value.message;
  return value;
}

/** For callers that do not care (and tests). */
export const silentLogger: Logger = {
  log() {},
  child() {
    return silentLogger;
  },
};
