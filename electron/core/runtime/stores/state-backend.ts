import type { BotConfig } from '@shared/config-schema';
import type { CallLimiter } from '../../lark/rate-limiter';
import type { Logger } from '../../log/logger';
import { type BotStores, openBotStores } from './bot-stores';

/**
 * Where the bots keep their state (bot-store.ts): files in the data folder (the default: the
 * desktop app, one headless process), or a Redis (`--state`). The files people send stay in the
 * bot's folder either way: an agent opens them by path here.
 */
export interface StateBackend {
  /** Said to people: where the state is (a Redis URL without its password). */
  readonly label: string;
  /** One bot's state; `dir` is its folder in the data dir. May throw `StateUnavailable`. */
  open(bot: BotConfig, dir: string, log: Logger, now: () => number): Promise<BotStores>;
  /** Whether the store can be reached: a problem in words while it cannot, undefined once it can again. */
  onHealth?(listener: (problem: string | undefined) => void): () => void;
  close(): Promise<void>;
  /** The app's rate limiter, shared by every process on this store; absent: each process paces its own calls. */
  limiterFor?(appId: string): CallLimiter;
  /** A clock every process on this store shares (Redis's), for what must never go backwards between them: card sequence numbers. */
  readonly sharedClock?: () => number;
  /** This process among the replicas on this store (absent for files: one process only). */
  readonly replica?: ReplicaInfo;
  /** The replicas of an app alive now on this store, this one included (each renews its heartbeat). */
  replicasOf?(appId: string): Promise<ReplicaInfo[]>;
}

/** One process running bots on a shared state store. */
export interface ReplicaInfo {
  id: string;
  host: string;
  pid: number;
  /** ISO time it started. */
  since: string;
  /** Its last heartbeat (the store's clock, ms). */
  seenAt?: number;
}

/** The state store cannot serve this bot now (unreachable, or the app is another process's): the words say why. */
export class StateUnavailable extends Error {
  constructor(
    message: string,
    /** It may pass by itself (Redis comes back, the other process stops): the bot tries again. */
    readonly passes = false,
  ) {
    super(message);
    this.name = 'StateUnavailable';
  }
}

export const FILE_STATE: StateBackend = {
  label: 'the data folder',
  open: (bot, dir, log, now) => openBotStores(dir, bot, log, now),
  close: async () => undefined,
};
