import type { ConfigFile } from '@shared/config-schema';
import { ProcessTree } from '../agents/process-tree';
import { createKocoroService, type KocoroService, type ServiceOptions } from '../api/create-service';
import type { HostHooks } from '../api/host-hooks';
import { createJsonLineLogger, type Logger } from '../log/logger';
import { SecretRedactor } from '../log/redact';
import { DataDirLock } from '../store/data-dir-lock';
import { tightenTree } from '../store/private-files';
import type { SecretVault } from '../store/secret-vault';
import { errorMessage } from '../log/error-message';
import type { StateBackend } from '../runtime/stores/state-backend';

/** How long a graceful stop (SIGTERM, Ctrl-C, Quit) lets answers in flight finish. */
export const SHUTDOWN_GRACE_MS = 10_000;

export interface BootOptions {
  mode: 'desktop' | 'headless';
  version: string;
  dataDir: string;
  /** Where the JSON log lines go (stdout headless; the log file, and stdout in development, on the desktop). */
  writeLog: (line: string) => void;
  /** Opens the secret store: a 0600 file headless, the OS keychain (safeStorage) on the desktop. */
  openVault: (logger: Logger) => Promise<SecretVault>;
  /** Given when secrets are known before the service starts (a config file's), so none reaches the log. */
  redactor?: SecretRedactor;
  config?: { file: string; content: ConfigFile };
  host?: HostHooks;
  runtime?: ServiceOptions['runtime'];
  accountsHosts?: ServiceOptions['accountsHosts'];
  /** What the webhook listener (`--webhook`) saw of each bot's requests, for the setup check. */
  webhookEvidence?: ServiceOptions['webhookEvidence'];
  /** Opens where the bots keep their state (`--state`: a Redis); the data folder when absent. Closed after the bots stop. */
  openState?: (logger: Logger) => Promise<StateBackend>;
}

export interface RunningKocoro {
  readonly service: KocoroService;
  readonly logger: Logger;
  readonly redactor: SecretRedactor;
  /** Something to close before the bots stop (the headless UI server): no new requests while they finish. */
  onStop(close: () => Promise<void>): void;
  /**
   * Graceful and final: no new messages, answers in flight get `graceMs`, the rest stays in the
   * inboxes for the next start. Logged as `runtime.stopping` / `runtime.stopped`. A second call
   * returns the first one's promise.
   */
  stop(reason: string, graceMs?: number): Promise<{ finished: boolean }>;
}

/**
 * Start-up and shutdown, the same for the desktop app and `npm run headless`: the logger (with
 * every known secret redacted), logging of unhandled rejections (a library bug must show up in
 * the log, not silently kill every bot), the data folder (locked: one Kocoro at a time; private:
 * 0700 folders, 0600 files), the vault, the service, and the graceful stop. Throws `DataDirBusy`
 * when another Kocoro uses the folder, having changed nothing.
 */
export async function bootKocoro(opts: BootOptions): Promise<RunningKocoro> {
  const lock = await DataDirLock.acquire(opts.dataDir, opts.mode);
  try {
    await tightenTree(opts.dataDir);
    return await startLocked(opts, lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function startLocked(opts: BootOptions, lock: DataDirLock): Promise<RunningKocoro> {
  const redactor = opts.redactor ?? new SecretRedactor();
  const logger = createJsonLineLogger(opts.writeLog, redactor);
  const onRejection = (reason: unknown): void => logger.log('error', 'runtime.unhandled_rejection', { error: errorMessage(reason) });
  process.on('unhandledRejection', onRejection);

  const vault = await opts.openVault(logger);
  const state = opts.openState ? await opts.openState(logger) : undefined;
  const service = await createKocoroService({
    mode: opts.mode,
    version: opts.version,
    dataDir: opts.dataDir,
    logger,
    redactor,
    vault,
    ...(opts.config ? { config: opts.config } : {}),
    ...(opts.host ? { host: opts.host } : {}),
    ...(opts.runtime ? { runtime: opts.runtime } : {}),
    ...(opts.accountsHosts ? { accountsHosts: opts.accountsHosts } : {}),
    ...(opts.webhookEvidence ? { webhookEvidence: opts.webhookEvidence } : {}),
    ...(state ? { state } : {}),
  });

  const closers: Array<() => Promise<void>> = [];
  let stopping: Promise<{ finished: boolean }> | undefined;
  return {
    service,
    logger,
    redactor,
    onStop: (close) => closers.push(close),
    stop(reason, graceMs = SHUTDOWN_GRACE_MS) {
      stopping ??= (async () => {
        logger.log('info', 'runtime.stopping', { signal: reason });
        for (const close of closers) {
          await close().catch((err: unknown) => logger.log('warn', 'runtime.close_failed', { error: String(err) }));
        }
        try {
          const { finished } = await service.stop(graceMs);
          // Program agents (and what they started) never outlive Kocoro: wait until they are gone.
          await ProcessTree.allGone();
          logger.log('info', 'runtime.stopped', { finishedInFlight: finished });
          return { finished };
        } catch (err) {
          logger.log('error', 'runtime.stop_failed', { error: errorMessage(err) });
          return { finished: false };
        } finally {
          await state?.close().catch((err: unknown) => logger.log('warn', 'runtime.close_failed', { error: errorMessage(err) }));
          process.off('unhandledRejection', onRejection);
          await lock.release();
        }
      })();
      return stopping;
    },
  };
}
