import type { VersionedFormat, VersionedRead } from './versioned';

/**
 * Append-only logs of JSON lines (the dedupe log, conversation files) carry their format's version
 * in a first line of their own, `{"version":N}`, written whenever the log is written whole; a log
 * without it is version 1 (every log written before formats were versioned). Each line after it
 * is read as a record of that version, so an older log's lines are brought up to date one by one.
 */
export function logHeader(format: VersionedFormat<object>): string {
  return `${JSON.stringify({ version: format.version })}\n`;
}

/** The log's lines (blank ones dropped) and a reader of each as a record of the log's version. */
export function readLog<T extends object>(
  format: VersionedFormat<T>,
  text: string,
): { version: number; headed: boolean; lines: string[]; read: (line: string) => VersionedRead<T> | undefined } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  let version = 1;
  const header = lines[0] !== undefined ? headerVersion(lines[0]) : undefined;
  if (header !== undefined) {
    version = header;
    lines.shift();
  }
  return {
    version,
    headed: header !== undefined,
    lines,
    read: (line) => {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        // A torn last line after a crash is expected: the caller skips it.
        return undefined;
      }
      if (record === null || typeof record !== 'object' || Array.isArray(record)) return undefined;
      return format.read({ ...(record as object), version });
    },
  };
}

function headerVersion(line: string): number | undefined {
  try {
    const parsed = JSON.parse(line) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const keys = Object.keys(parsed);
    const version = (parsed as { version?: unknown }).version;
    return keys.length === 1 && typeof version === 'number' && Number.isInteger(version) && version >= 1 ? version : undefined;
  } catch {
    return undefined;
  }
}
