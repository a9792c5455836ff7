import type { LogFields, Logger, LogLevel } from '@core/log/logger';

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
