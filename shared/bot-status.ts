/** What the rest of the app (logs, UI, tray) can observe about one bot's connection. */
export type ConnectionState = 'stopped' | 'connecting' | 'connected' | 'reconnecting' | 'failed';

export interface BotStatus {
  botId: string;
  state: ConnectionState;
  /** Why the bot failed or is reconnecting, in words a person can act on. */
  reason?: string;
  since: number;
  botName?: string;
  botOpenId?: string;
  lastMessageAt?: number;
  /** Something the bot owner should fix although the bot works, e.g. a missing scope, with a link to fix it. */
  notice?: { message: string; link?: string };
  /** Late messages kept by the `hold` backlog policy, waiting for the owner's Answer or Skip. */
  held?: number;
  /** Problems the last setup check found (scopes missing, events not subscribed, another client…); absent when none. */
  setupProblems?: number;
  /**
   * The processes running this bot on a shared state store (`--state`), oldest first, the one
   * reporting marked `self`; absent when the state is in the data folder (one process only).
   */
  replicas?: BotReplica[];
}

/** One process running a bot on a shared state store (a replica): where it runs and since when. */
export interface BotReplica {
  id: string;
  host: string;
  pid: number;
  /** When it started (ms). */
  since: number;
  /** The process this status comes from. */
  self?: boolean;
}
