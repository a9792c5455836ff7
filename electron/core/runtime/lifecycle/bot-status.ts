import type { BotReplica, BotStatus, ConnectionState } from '@shared/bot-status';
import type { BotActivity } from '@shared/contract';
import { permissionsLink } from '@shared/lark-console';
import type { BotConfig } from '@shared/config-schema';
import type { BotInfo } from '../../lark/api';
import type { InboundMessage } from '../../lark/inbound';
import type { Logger } from '../../log/logger';
import type { BotRecord } from '../stores/bot-store';
import { previewText } from './message-preview';
import { errorMessage } from '../../log/error-message';

/** How the status says the state store is away (bot-status `notice`). */
const STATE_NOTICE = 'state store unreachable';

/**
 * What one bot tells the app: its status (connection state with the reason, identity, last
 * message, a notice for the owner) and what happens to each message. Every change is logged and
 * published once; a repeat of the same state is not news.
 */
/** How often a bot on a shared store reads what other processes changed of its status. */
const SHARED_STATUS_MS = 5_000;

export class BotStatusReporter {
  private status: BotStatus;
  private state: BotRecord | undefined;
  /** Scopes already reported missing in this run (the owner is told once). */
  private readonly missingScopes = new Set<string>();

  constructor(
    private readonly opts: {
      bot: Pick<BotConfig, 'id' | 'platform' | 'appId'>;
      log: Logger;
      now: () => number;
      onStatus: (status: BotStatus) => void;
      onActivity?: (activity: BotActivity) => void;
    },
  ) {
    this.status = { botId: opts.bot.id, state: 'stopped', since: opts.now() };
  }

  get current(): BotStatus {
    return { ...this.status };
  }

  setState(state: ConnectionState, reason?: string): void {
    // The SDK repeats itself (e.g. "connecting" from us and then from the connection): nothing new to say.
    if (state === this.status.state && reason === this.status.reason) return;
    // A stopped bot is no longer one of the app's replicas here.
    const { replicas: _gone, ...rest } = this.status;
    this.status = { ...(state === 'stopped' ? rest : this.status), state, reason, since: this.opts.now() };
    const level = state === 'failed' ? 'error' : state === 'reconnecting' ? 'warn' : 'info';
    this.opts.log.log(level, `bot.${state}`, reason ? { reason } : {});
    this.publish();
  }

  /** Known once `bot/v3/info` answered; published with the next status. */
  identity(info: BotInfo): void {
    this.status = { ...this.status, botName: info.name, botOpenId: info.openId };
  }

  /** How many late messages wait for the owner (`hold`). */
  held(count: number): void {
    if ((this.status.held ?? 0) === count) return;
    this.status = { ...this.status, held: count };
    this.publish();
  }

  /** How many problems the last setup check found (setup/setup-check.ts). */
  setupProblems(count: number): void {
    if ((this.status.setupProblems ?? 0) === count) return;
    const { setupProblems: _gone, ...rest } = this.status;
    this.status = count > 0 ? { ...rest, setupProblems: count } : rest;
    this.publish();
  }

  /** The processes running the bot on a shared state store (runtime/lifecycle/replica-watch.ts), this one marked. */
  replicas(replicas: BotReplica[]): void {
    this.status = { ...this.status, replicas };
    this.publish();
  }

  lastMessage(at: number): void {
    this.status = { ...this.status, lastMessageAt: at };
    this.state?.update({ lastMessageAt: at });
    this.publish();
  }

  /**
   * Where several processes share the record, "last message" is the app's: a message that reached
   * another process counts too (read every SHARED_STATUS_MS). Returns the way to stop.
   */
  followShared(state: BotRecord): () => void {
    const read = state.lastMessageShared?.bind(state);
    if (!read) return () => undefined;
    const timer = setInterval(() => {
      read().then(
        (at) => {
          if (at !== undefined && at > (this.status.lastMessageAt ?? 0)) this.lastMessage(at);
        },
        // Unreachable: the status says so already.
        () => undefined,
      );
    }, SHARED_STATUS_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Keeps "last message" in the bot's state file, starting from what an earlier run left. */
  keepIn(state: BotRecord): void {
    this.state = state;
    const at = state.current.lastMessageAt;
    if (at !== undefined && this.status.lastMessageAt === undefined) this.status = { ...this.status, lastMessageAt: at };
  }

  /** Tells the bot owner, once per run, which scope to grant: a log line and a notice on the status, both with the grant link. */
  missingScope(scope: string, message: string): void {
    if (this.missingScopes.has(scope)) return;
    this.missingScopes.add(scope);
    const { platform, appId } = this.opts.bot;
    const link = permissionsLink(platform, appId, [scope]);
    this.opts.log.log('warn', 'bot.missing_scope', { scope, link, hint: 'grant the permission, then publish a new version of the app' });
    this.status = { ...this.status, notice: { message, link } };
    this.publish();
  }

  /**
   * The state store (a shared Redis) could not be reached (`problem`), or can again (undefined):
   * said on the status while it lasts — messages are refused meanwhile and the platform delivers
   * them again — and gone once it is back.
   */
  stateStore(problem: string | undefined): void {
    const ours = this.status.notice?.message.startsWith(STATE_NOTICE) ?? false;
    if (problem === undefined && !ours) return;
    const { notice: _dropped, ...rest } = this.status;
    this.status = problem === undefined ? rest : { ...rest, notice: { message: `${STATE_NOTICE}: ${problem}` } };
    this.publish();
  }

  get wantsActivity(): boolean {
    return this.opts.onActivity !== undefined;
  }

  /** `received`, `answered` or `failed` for one message, with a one-line preview of its text. */
  activity(message: InboundMessage, stage: BotActivity['stage'], text: string, at = this.opts.now()): void {
    try {
      this.opts.onActivity?.({
        botId: this.opts.bot.id,
        messageId: message.messageId,
        chatType: message.chatType,
        senderOpenId: message.sender.openId,
        preview: previewText(text),
        stage,
        at,
      });
    } catch (err) {
      this.opts.log.log('warn', 'activity.listener_failed', { error: errorMessage(err) });
    }
  }

  private publish(): void {
    this.opts.onStatus(this.current);
  }
}
