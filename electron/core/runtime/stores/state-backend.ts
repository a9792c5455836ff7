import type { BotConfig } from '@shared/config-schema';
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
