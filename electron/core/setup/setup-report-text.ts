import type { BotReplica } from '@shared/bot-status';
import type { SetupReport } from '@shared/contract';
import type { Logger } from '../log/logger';

const MARK = { ok: '✓', problem: '✗', unknown: '?' } as const;

/** The report as `npm run headless -- --check` prints it: one line per item, the link under a failing one. */
export function setupReportText(report: SetupReport, label: string): string {
  const lines = [`Setup of ${label}:`];
  for (const item of report.items) {
    lines.push(
      `  ${MARK[item.state]} ${item.title}: ${item.message}${item.state === 'problem' && item.blocking ? ' [blocks the bot]' : ''}`,
    );
    if (item.link && item.state !== 'ok') lines.push(`      ${item.link}`);
  }
  lines.push(
    report.problems === 0
      ? '  Nothing to fix.'
      : `  ${report.problems} problem${report.problems === 1 ? '' : 's'}${report.blocking ? ', the bot cannot work until the blocking ones are fixed' : ''}.`,
  );
  return `${lines.join('\n')}\n`;
}

/** The bot's replicas on a shared state store, as `--check` prints them under its report: host, pid and start of each. */
export function replicasText(replicas: readonly BotReplica[]): string {
  const lines = [`  Replicas: ${replicas.length}${replicas.length === 0 ? ' (none running on the shared state store)' : ''}`];
  for (const r of replicas)
    lines.push(`    ${r.host}, pid ${r.pid}, since ${new Date(r.since).toISOString()}${r.self ? ' (this one)' : ''}`);
  return `${lines.join('\n')}\n`;
}

/** One `setup.problem` line (warn) per problem, with the same words and link as the report. */
export function logSetupProblems(report: SetupReport, log: Logger, only?: (key: string) => boolean): Set<string> {
  const keys = new Set<string>();
  for (const item of report.items) {
    if (item.state !== 'problem') continue;
    const key = `${item.id}:${item.message}`;
    keys.add(key);
    if (only && !only(key)) continue;
    log.log('warn', 'setup.problem', {
      bot: report.botId,
      item: item.id,
      blocking: item.blocking,
      problem: item.message,
      ...(item.link ? { link: item.link } : {}),
    });
  }
  return keys;
}
