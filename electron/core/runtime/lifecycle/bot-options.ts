import type { LiveKey } from '@shared/bot-settings';
import type { BotStatus } from '@shared/bot-status';
import type { AgentConfig, BotConfig } from '@shared/config-schema';
import type { BotActivity, PendingApproval, SetupReport } from '@shared/contract';
import type { AgentProvider } from '../../agents/provider';
import type { ConnectionHandlers } from '../../lark/connection';
import type { SdkHttp } from '../../lark/http';
import type { Logger } from '../../log/logger';
import type { SecretRedactor } from '../../log/redact';
import type { BotMeter } from '../../metrics/bot-metrics';
import type { StateBackend } from '../stores/state-backend';
import type { WebhookRegistry } from '../../webhook/server';
import type { BotTuning } from './tuning';

/** What a BotRuntime is given: the bot, its agent, where it keeps its data, and the shared parts. */
export interface BotRuntimeOptions {
  bot: BotConfig;
  agent: { config: AgentConfig; provider: AgentProvider };
  dataDir: string;
  logger: Logger;
  onStatus: (status: BotStatus) => void;
  /** What happens to each message: `received` once accepted, then `answered` or `failed`. */
  onActivity?: (activity: BotActivity) => void;
  /** The timings it runs on (tuning.ts), whole. */
  tuning: BotTuning;
  /** Where it keeps its state (stores/state-backend.ts); the data folder when absent. */
  state?: StateBackend;
  now?: () => number;
  /** The app's secrets, hidden from every reply (the bot's own are added here). */
  redactor?: SecretRedactor;
  /** Counts what the bot does (messages, answer times, rate-limit waits, reconnects). */
  meter?: BotMeter;
  /** A setup check finished (setup/setup-monitor.ts). */
  onSetup?: (report: SetupReport) => void;
  /** An approval was asked for (`added`), decided or ended (the app's list and its notification). */
  onApprovals?: (added?: PendingApproval) => void;
  /** The webhook listener (`--webhook`): a bot whose `receive` is `webhook` registers there instead of connecting. */
  webhook?: WebhookRegistry;
  /**
   * A platform inside this process instead of the Open Platform (the preview chat,
   * preview/preview-platform.ts): the SDK's requests go to its `http`, and the bot registers its
   * handlers there instead of connecting. Nothing reaches the network.
   */
  platform?: InProcessPlatform;
  /** Its request URL as the app shows it, when the public base URL is set (the setup check compares the console's with it). */
  requestUrl?: () => string | undefined;
}

/** The settings a running bot takes without reconnecting (shared/bot-settings.ts `liveSettings`). */
export type LiveSettings = Pick<BotConfig, LiveKey>;

/** A platform the bot talks to inside this process (BotRuntimeOptions `platform`). */
export interface InProcessPlatform {
  http: SdkHttp;
  /** Takes the bot's event handlers; returns the way to stop delivering to them. */
  listen(handlers: ConnectionHandlers): () => void;
}
