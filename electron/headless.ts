import { parseArgs } from 'node:util';
import { createJsonLineLogger } from './core/log/logger';
import { SecretRedactor } from './core/log/redact';
import { BotManager } from './core/runtime/bot-manager';
import { ConfigError, loadConfigFile } from './core/store/config-file';
import { defaultDataDir } from './core/store/data-dir';

const USAGE = `Usage: npm run headless -- --config FILE [--data-dir DIR]

  --config FILE     bots and agents to run (JSON; see README "Config file")
  --data-dir DIR    durable state (inbox, dedupe records); default: ${defaultDataDir()}
`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!args.values.config) {
    process.stderr.write(`Missing --config FILE\n\n${USAGE}`);
    return 2;
  }

  const redactor = new SecretRedactor();
  const logger = createJsonLineLogger((line) => process.stdout.write(line), redactor);
  let config;
  try {
    config = await loadConfigFile(args.values.config, process.env, redactor);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }

  // A library bug must show up in the log, not silently kill every bot.
  process.on('unhandledRejection', (reason) => logger.log('error', 'runtime.unhandled_rejection', { error: reason instanceof Error ? reason.message : String(reason) }));

  const dataDir = args.values['data-dir'] ?? defaultDataDir();
  const manager = new BotManager({ dataDir, logger });
  logger.log('info', 'runtime.starting', { bots: config.bots.length, agents: config.agents.length, dataDir });

  let stopping: Promise<number> | undefined;
  const stop = (signal: string): Promise<number> => {
    stopping ??= (async () => {
      logger.log('info', 'runtime.stopping', { signal });
      const { finished } = await manager.stopAll(10_000);
      logger.log('info', 'runtime.stopped', { finishedInFlight: finished });
      return 0;
    })();
    return stopping;
  };
  const exitCode = new Promise<number>((resolve) => {
    process.once('SIGTERM', () => void stop('SIGTERM').then(resolve));
    process.once('SIGINT', () => void stop('SIGINT').then(resolve));
  });

  await manager.startAll(config);
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kocoro headless: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
