/**
 * `npm run headless`: the same core as the desktop app, without Electron. Logs one JSON object
 * per line on stdout. With `--ui PORT` it also serves the Kocoro UI on 127.0.0.1 and prints a
 * one-time sign-in link on stderr (never in the JSON log stream, which is often collected):
 * `UI: http://127.0.0.1:PORT/#code=…`. `--link` asks the running one for another
 * (server/link-socket.ts). The session token itself is never printed. With `--webhook [HOST:]PORT`
 * the bots set to receive by webhook take the platform's requests there (core/webhook/server.ts),
 * each at `/webhook/<bot id>`, printed on stderr: `Webhook: http://HOST:PORT/webhook/<bot id>`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ConfigFile } from '../shared/config-schema';
import { bootKocoro, type RunningKocoro } from './core/boot/boot';
import { DataDirBusy } from './core/store/data-dir-lock';
import { replicasText, setupReportText } from './core/setup/setup-report-text';
import { SecretRedactor } from './core/log/redact';
import { ConfigError, loadConfigFile } from './core/store/config-file';
import { defaultDataDir } from './core/store/data-dir';
import { FileVault } from './core/store/file-vault';
import { startMetricsServer } from './server/metrics-server';
import { LinkUnavailable, linkSocketPath, requestLink, serveLinkSocket } from './server/link-socket';
import { startUiServer, type UiServer } from './server/ui-server';
import { errorMessage } from './core/log/error-message';
import { chooseState } from './core/boot/state-option';
import { createJsonLineLogger } from './core/log/logger';
import { WebhookServer } from './core/webhook/server';
import { parseListen } from './core/webhook/listen-address';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `Usage: npm run headless -- [--config FILE] [--data-dir DIR] [--ui PORT] [--metrics PORT] [--state URL]
                            [--webhook [HOST:]PORT]
       npm run headless -- --check [--config FILE] [--data-dir DIR]
       npm run headless -- --link [--data-dir DIR]

  --config FILE     bots and agents to run (JSON; see README "Config file"); read-only in the UI
  --data-dir DIR    durable state: inbox, dedupe records, the bots and agents made in the UI and
                    their secrets; default: ${defaultDataDir()}
  --ui PORT         also serve the Kocoro UI on http://127.0.0.1:PORT (0 picks a free port); a
                    sign-in link is printed on stderr (it works once, for 10 minutes)
  --metrics PORT    serve the bots' figures as Prometheus text on http://127.0.0.1:PORT/metrics
                    (0 picks a free port; the address is printed on stderr)
  --state URL       keep the bots' state in Redis (redis://host:port/db, rediss://…, or a unix
                    socket path; also KOCORO_STATE, or "state" in the config file) instead of files
                    in the data dir
  --webhook [HOST:]PORT
                    take the events and card callbacks of the bots whose "receive" is "webhook" on
                    http://HOST:PORT/webhook/<bot id> (HOST default 127.0.0.1, behind an HTTPS
                    reverse proxy; 0 picks a free port; each bot's address is printed on stderr)
  --check           check each bot's setup on the Open Platform (credentials, Bot capability,
                    permissions, events and callback, published version, another program on the
                    app's connection), print the report and exit: 1 when something blocks a bot
  --link            print a new sign-in link to the UI of the Kocoro running on the data dir
                    (started with --ui); only your user account can ask for one

At least one of --config and --ui is needed (--check alone checks the data dir's bots).
`;

const UI_NOT_BUILT = 'The UI is not built yet: run `npm run build` first.';

function fail(message: string, withUsage = false): number {
  process.stderr.write(`${message}\n${withUsage ? `\n${USAGE}` : ''}`);
  return 2;
}

function parsePort(raw: string): number | null {
  if (!/^\d{1,5}$/.test(raw)) return null;
  const port = Number(raw);
  return port <= 65_535 ? port : null;
}

/** Why a server could not listen on `port`, in words; anything but a port problem is rethrown. */
function portProblem(flag: string, port: number, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return `${flag} ${port}: the port is already in use; choose another (0 picks a free one)`;
  if (code === 'EACCES') return `${flag} ${port}: not allowed to listen on this port; choose one above 1023 (0 picks a free one)`;
  throw err;
}

/** Why `--webhook` could not listen, in words; anything but an address problem is rethrown. */
function listenProblem(flag: string, at: { host: string; port: number }, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `${flag} ${at.host}:${at.port}: ${at.host} is not an address of this machine`;
  return portProblem(flag, at.port, err);
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        ui: { type: 'string' },
        metrics: { type: 'string' },
        state: { type: 'string' },
        webhook: { type: 'string' },
        check: { type: 'boolean' },
        link: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (err) {
    return fail(errorMessage(err), true);
  }
  if (args.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const configPath = args.values.config;
  if (args.values.link) {
    if (
      configPath !== undefined ||
      args.values.ui !== undefined ||
      args.values.metrics !== undefined ||
      args.values.webhook !== undefined ||
      args.values.check
    )
      return fail('--link takes only --data-dir', true);
    return printNewLink(path.resolve(args.values['data-dir'] ?? defaultDataDir()));
  }
  if (configPath === undefined && args.values.ui === undefined && !args.values.check)
    return fail('Missing --config FILE or --ui PORT', true);

  let uiPort: number | null = null;
  // KOCORO_UI_DIR: serve another build (tests point it at an empty directory).
  const staticDir = path.resolve(process.env.KOCORO_UI_DIR || path.join(REPO_ROOT, 'dist'));
  if (args.values.ui !== undefined) {
    uiPort = parsePort(args.values.ui);
    if (uiPort === null) return fail(`--ui: "${args.values.ui}" is not a port (0-65535; 0 picks a free one)`, true);
    if (!existsSync(path.join(staticDir, 'index.html'))) return fail(`${UI_NOT_BUILT}\n(no index.html in ${staticDir})`);
  }

  let metricsPort: number | null = null;
  if (args.values.metrics !== undefined) {
    metricsPort = parsePort(args.values.metrics);
    if (metricsPort === null) return fail(`--metrics: "${args.values.metrics}" is not a port (0-65535; 0 picks a free one)`, true);
  }

  let webhookAt: { host: string; port: number } | null = null;
  if (args.values.webhook !== undefined) {
    webhookAt = parseListen(args.values.webhook);
    if (webhookAt === null)
      return fail(`--webhook: "${args.values.webhook}" is not [HOST:]PORT (e.g. 8080, 0.0.0.0:8080, [::1]:8080)`, true);
    if (args.values.check) return fail('--check takes no --webhook', true);
  }

  const redactor = new SecretRedactor();
  let config: ConfigFile | undefined;
  if (configPath !== undefined) {
    try {
      config = await loadConfigFile(configPath, process.env, redactor);
    } catch (err) {
      if (err instanceof ConfigError) return fail(err.message);
      throw err;
    }
  }

  const state = chooseState({ flag: args.values.state, env: process.env.KOCORO_STATE, config: config?.state });
  if ('problem' in state) return fail(state.problem, true);

  // Bound before the bots start, so they can register; logged like the rest (one JSON object per line).
  let webhook: WebhookServer | undefined;
  if (webhookAt !== null) {
    try {
      webhook = await WebhookServer.start({
        ...webhookAt,
        logger: createJsonLineLogger((line) => process.stdout.write(line), redactor),
        onRegister: (_botId, url) => process.stderr.write(`Webhook: ${url}\n`),
      });
    } catch (err) {
      return fail(listenProblem('--webhook', webhookAt, err));
    }
  }

  const dataDir = path.resolve(args.values['data-dir'] ?? defaultDataDir());
  let kocoro: RunningKocoro;
  try {
    kocoro = await bootKocoro({
      mode: 'headless',
      version: readVersion(),
      dataDir,
      redactor,
      // With --check the report is the output: the log goes to stderr.
      writeLog: (line) => (args.values.check ? process.stderr : process.stdout).write(line),
      openVault: (logger) => FileVault.open(path.join(dataDir, 'secrets.json'), { logger }),
      ...(config && configPath !== undefined ? { config: { file: path.resolve(configPath), content: config } } : {}),
      ...accountsHostsFromEnv(),
      ...(webhook ? { runtime: { webhook }, webhookEvidence: (botId: string) => webhook?.evidence(botId) } : {}),
      ...(state.kind === 'redis'
        ? {
            // Loaded only when asked for: a process that keeps its state in files never loads the Redis client.
            openState: async (logger) =>
              (await import('./core/runtime/stores/redis/redis-state-backend')).openRedisState(state.url, logger, (warnings) => {
                for (const warning of warnings) process.stderr.write(`State store: ${warning}\n`);
              }),
          }
        : {}),
    });
  } catch (err) {
    // Another Kocoro (the desktop app, another headless run) uses this folder: nothing was changed.
    await webhook?.close(0);
    if (err instanceof DataDirBusy) {
      process.stderr.write(`${err.message}\n`);
      return 3;
    }
    throw err;
  }
  const { service, logger } = kocoro;
  if (webhook) {
    const listener = webhook;
    // Closed first: no new requests while the bots finish.
    kocoro.onStop(() => listener.close());
    logger.log('info', 'webhook.listening', { url: listener.origin, port: listener.port });
  }
  if (args.values.check) return checkAll(kocoro);

  let ui: UiServer | null = null;
  if (uiPort !== null) {
    try {
      ui = await startUiServer({ port: uiPort, handlers: service.handlers, events: service.events, staticDir, logger });
    } catch (err) {
      return fail(portProblem('--ui', uiPort, err));
    }
    redactor.add(ui.token); // the token never reaches the JSON log, whatever logs it
    const server = ui;
    kocoro.onStop(() => server.close());
    const linkSocket = await serveLinkSocket({ socketPath: linkSocketPath(dataDir), newLink: () => server.newLink('socket'), logger });
    kocoro.onStop(() => linkSocket.close());
  }

  if (metricsPort !== null) {
    try {
      const metrics = await startMetricsServer({ port: metricsPort, metrics: service.metrics.withProcessMetrics(), logger });
      kocoro.onStop(() => metrics.close());
      process.stderr.write(`Metrics: ${metrics.url}\n`);
      logger.log('info', 'metrics.listening', { url: metrics.url, port: metrics.port });
    } catch (err) {
      return fail(portProblem('--metrics', metricsPort, err));
    }
  }

  logger.log('info', 'runtime.starting', { bots: config?.bots.length ?? 0, agents: config?.agents.length ?? 0, dataDir });

  const exitCode = new Promise<number>((resolve) => {
    process.once('SIGTERM', () => void kocoro.stop('SIGTERM').then(() => resolve(0)));
    process.once('SIGINT', () => void kocoro.stop('SIGINT').then(() => resolve(0)));
  });

  await service.start();
  if (ui !== null) {
    // On stderr, written whole: the JSON log (stdout) never carries a link. Made only now, so its
    // ten minutes start when the person can see it.
    process.stderr.write(`UI: ${ui.newLink('start').link}\n`);
    logger.log('info', 'ui.listening', { url: `${ui.origin}/`, port: ui.port });
  }
  return exitCode;
}

/** `--link`: the running Kocoro's new sign-in link on stdout, or why there is none (exit 1). */
async function printNewLink(dataDir: string): Promise<number> {
  try {
    const { link } = await requestLink(dataDir);
    process.stdout.write(`UI: ${link}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof LinkUnavailable)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
}

/**
 * KOCORO_ACCOUNTS_HOSTS=feishuHost,larkHost[,openPlatformUrl]: where scan-to-create's device flow
 * goes instead of accounts.feishu.cn / accounts.larksuite.com, and the Open Platform the apps it
 * creates live on (a private deployment; the tests' fake platform). Only the operator sets this: a
 * scanned app's secret is never sent to a URL given in the UI.
 */
function accountsHostsFromEnv(): { accountsHosts?: { feishu: string; lark: string; openPlatform?: string } } {
  const [feishu, lark, openPlatform] = (process.env.KOCORO_ACCOUNTS_HOSTS ?? '').split(',').map((h) => h.trim());
  return feishu && lark ? { accountsHosts: { feishu, lark, ...(openPlatform ? { openPlatform } : {}) } } : {};
}

/** `--check`: every bot's setup checked once, without connecting; exit 1 when something blocks one. */
async function checkAll(kocoro: RunningKocoro): Promise<number> {
  const { handlers } = kocoro.service;
  const bots = await handlers['bots.list']({});
  if (bots.length === 0) process.stdout.write('No bots to check: give --config FILE, or add a bot in the app first.\n');
  let blocked = false;
  for (const bot of bots) {
    const label = `bot ${bot.id} (${bot.appId})`;
    try {
      const report = await handlers['bots.setup']({ id: bot.id, force: true });
      process.stdout.write(setupReportText(report, label));
      blocked ||= report.blocking;
      // On a shared state store: the processes running the bot now (--check itself is not one of them).
      const replicas = await kocoro.service.replicasOf(bot.appId).catch((err: unknown) => `cannot be read: ${errorMessage(err)}`);
      if (typeof replicas === 'string') process.stdout.write(`  Replicas: ${replicas}\n`);
      else if (replicas) process.stdout.write(replicasText(replicas));
    } catch (err) {
      process.stdout.write(`Setup of ${label}: cannot be checked: ${errorMessage(err)}\n`);
      blocked = true;
    }
  }
  await kocoro.stop('check', 0);
  return blocked ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kocoro headless: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
