import { closeSync, fstatSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface RotatingLog {
  write(line: string): void;
  close(): void;
}

/**
 * The desktop app's log file, for an app that runs for months: once the file would pass
 * `maxBytes` it becomes `<file>.1` (replacing the previous one) and a new file starts, so the log
 * never takes more than about twice `maxBytes`. Lines are written synchronously (a line is on
 * disk before the next event, and survives a crash); files are 0600 in a 0700 folder.
 */
export function openRotatingLog(file: string, maxBytes: number, onError: (err: Error) => void = () => {}): RotatingLog {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let fd: number | undefined;
  let size = 0;
  const open = (): void => {
    try {
      fd = openSync(file, 'a', 0o600);
      size = fstatSync(fd).size;
    } catch (err) {
      fd = undefined;
      onError(err as Error);
    }
  };
  open();
  return {
    write(line) {
      const bytes = Buffer.byteLength(line, 'utf8');
      if (fd !== undefined && size > 0 && size + bytes > maxBytes) {
        closeSync(fd);
        try {
          renameSync(file, `${file}.1`);
        } catch (err) {
          onError(err as Error);
        }
        open();
      }
      if (fd === undefined) return;
      try {
        writeSync(fd, line);
        size += bytes;
      } catch (err) {
        onError(err as Error);
      }
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}
