import type { BotConfig } from '@shared/config-schema';
import type { ChatPhrases } from '../i18n/chat-text';
import type { LarkApi } from '../lark/api';
import { outboundSanitizer, type Sanitize } from '../lark/outbound/sanitize';
import { SecretRedactor } from '../log/redact';
import { NO_METER } from '../metrics/bot-metrics';
import { AnswerStage } from './answer';
import { SetupMonitor } from '../setup/setup-monitor';
import { ApprovalDesk } from './approval-desk';
import type { BotIdentitySource } from './bot-identity';
import type { BotRuntimeOptions } from './bot-options';
import type { BotStatusReporter } from './bot-status';
import { type BotStores, openBotStores } from './bot-stores';
import type { Gate } from './gate';
import { type AcceptedMessage, Intake } from './intake';
import { LateMessages } from './late-messages';
import { Redelivery } from './redelivery';
import type { AgentRunner } from './run-agent';
import type { StopControl } from './stop-control';

/** What the stages are built from: the runtime's parts, and the callbacks back into it. */
export interface StageParts {
  opts: BotRuntimeOptions;
  bot: () => BotConfig;
  say: () => ChatPhrases;
  api: LarkApi;
  gate: Gate;
  agents: AgentRunner;
  stopControl: StopControl;
  identity: BotIdentitySource;
  status: BotStatusReporter;
  now: () => number;
  accepting: () => boolean;
  /** Queues an answer in its chat's line, once `persisted` says it is on disk. */
  schedule: (accepted: AcceptedMessage, persisted: Promise<boolean>) => void;
  /** On disk: the status's last message, and `received` for the app. */
  accepted: (accepted: AcceptedMessage) => Promise<void>;
}

export interface BotStages {
  stores: BotStores;
  intake: Intake;
  answers: AnswerStage;
  redelivery: Redelivery;
  late: LateMessages;
  desk: ApprovalDesk;
  setup: SetupMonitor;
}

/**
 * What every text the bot sends goes through: the secrets this app knows and the bot's own
 * hidden, active markup made inert (lark/outbound/sanitize.ts).
 */
export function botSanitizer(opts: Pick<BotRuntimeOptions, 'bot' | 'redactor'>): { redactor: SecretRedactor; sanitize: Sanitize } {
  const redactor = opts.redactor ?? new SecretRedactor();
  return { redactor, sanitize: outboundSanitizer(redactor, [opts.bot.appSecret, opts.bot.encryptKey]) };
}

/** The Kocoro daemon denies a tool call nobody decided on after 5 minutes (its `ApprovalTimeout`). */
const BACKEND_APPROVAL_TIMEOUT_MS = 5 * 60_000;

/** Opens the bot's folder and wires the stages of its message path (electron/core/README.md). */
export async function openStages(dir: string, p: StageParts): Promise<BotStages> {
  const { opts } = p;
  const log = opts.logger;
  const stores = await openBotStores(dir, opts.bot, log, p.now);
  const { inbox, dedupe, files, conversations, state } = stores;
  p.gate.keepBotTurnsIn(state);
  p.status.keepIn(state);
  const meter = opts.meter ?? NO_METER;
  const { redactor, sanitize } = botSanitizer(opts);
  const redelivery = new Redelivery({
    inbox,
    log,
    accepting: p.accepting,
    schedule: (accepted) => p.schedule(accepted, Promise.resolve(true)),
    maxAttempts: opts.maxAttempts,
    delayMs: opts.redeliverDelayMs,
  });
  const late = new LateMessages({
    inbox,
    api: p.api,
    status: p.status,
    log,
    say: p.say,
    sanitize,
    identity: () => p.identity.current,
    schedule: (accepted) => p.schedule(accepted, Promise.resolve(true)),
  });
  const setup = new SetupMonitor({
    bot: p.bot,
    agent: opts.agent.config,
    api: p.api,
    log,
    now: p.now,
    onReport: (report) => {
      p.status.setupProblems(report.problems);
      opts.onSetup?.(report);
    },
  });
  const intake = new Intake({
    inbox,
    dedupe,
    gate: p.gate,
    log,
    now: p.now,
    bot: p.bot,
    identity: () => p.identity.current,
    onStopWord: (message) => p.stopControl.onStopWord(message),
    onSkipped: (message) => late.onSkipped(message),
    onHeld: () => void late.count(),
    onAccepted: (accepted) => {
      setup.messageArrived();
      return p.accepted(accepted);
    },
    onIgnored: (rule) => meter.ignored(rule),
    enqueue: p.schedule,
  });
  const desk = new ApprovalDesk({
    botId: opts.bot.id,
    api: p.api,
    log,
    bot: p.bot,
    say: p.say,
    sanitize,
    redact: (text) => redactor.redact(text),
    now: p.now,
    timeoutMs: opts.approvalTimeoutMs ?? BACKEND_APPROVAL_TIMEOUT_MS,
    onChange: (added) => opts.onApprovals?.(added),
    keep: (cards) => {
      state.update({ approvalCards: cards });
      void state.flush();
    },
  });
  // A crash left these cards with live buttons; their requests died with that run.
  const leftovers = state.current.approvalCards ?? [];
  if (leftovers.length > 0) void desk.closeLeftovers(leftovers);
  const answers = new AnswerStage({
    bot: p.bot,
    api: p.api,
    gate: p.gate,
    agents: p.agents,
    desk,
    inbox,
    conversations,
    redelivery,
    log,
    acceptsImages: opts.agent.provider.acceptsImages ?? false,
    files: opts.agent.provider.readsLocalFiles ? files : undefined,
    identity: () => p.identity.get(),
    say: p.say,
    sanitize,
    activity: (message, stage, text) => {
      if (stage === 'answered') meter.answered(message.messageId);
      else if (stage === 'failed') meter.failed(message.messageId);
      p.status.activity(message, stage, text);
    },
    onStopWord: (message) => p.stopControl.onStopWord(message),
    credentialsRejected: (reason) => p.status.setState('failed', reason),
    missingScope: (scope, message) => p.status.missingScope(scope, message),
    renewStreamingAfterMs: opts.renewStreamingAfterMs,
  });
  await late.count();
  return { stores, intake, answers, redelivery, late, desk, setup };
}
