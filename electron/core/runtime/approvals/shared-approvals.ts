import type { PendingApproval } from '@shared/contract';
import type { ApprovalDecision } from '../../agents/provider';
import type { KeptApprovalCard } from './approval-cards';
import type { Decider, Refusal } from './approval-rights';

/** What deciding a request came to: decided, or why not (the clicker's toast says which). */
export type DecideResult = 'decided' | 'gone' | 'done' | 'failed' | Refusal;

/** One request as every replica of the app sees it (the owner keeps it up to date). */
export interface SharedRequest {
  requestId: string;
  /** The replica whose agent waits for the decision: the only one that can pass it on. */
  owner: string;
  /** `closing`: its owner is gone, and `owner` is now the survivor closing its cards. */
  state: 'open' | 'closing';
  messageId: string;
  chatId: string;
  /** What the app lists (the whole call, as tool-call-view.ts shows it). */
  view: PendingApproval;
  /** The whole call fit in a card; otherwise it may be allowed only in the app. */
  shownWhole: boolean;
  /** Its cards sent and not closed yet: what a survivor closes when the owner is gone. */
  cards: KeptApprovalCard[];
}

/** A decision made on one replica (a card's button, the app's list) for a request another one owns. */
export interface RemoteDecision {
  requestId: string;
  decision: ApprovalDecision;
  by: Decider;
}

/** Another replica's request opened, or one closed (decided, ended, taken over); `reload` after missing some (a reconnect). */
export type SharedChange = { opened: SharedRequest } | { closed: string } | 'reload';

export interface SharedApprovalHandlers {
  /** A decision sent to this replica for one of its requests: decided here, as a click here would be. */
  decide(decision: RemoteDecision): Promise<DecideResult>;
  changed(change: SharedChange): void;
}

/**
 * The tool approvals of an app run by several replicas (README "Running several replicas"): the
 * platform hands a card's click to one random replica, often not the one whose agent waits. Each
 * request is recorded here by its owner; a click or the app's decision on another replica is sent
 * to the owner, which decides it (approval-rights.ts is checked there) and answers in time for the
 * clicker's toast. Absent for the files of one process. Implemented over Redis in
 * stores/redis/redis-approvals.ts; used by approval-desk.ts through replica-approvals.ts.
 */
export interface SharedApprovals {
  /** This process among the app's replicas. */
  readonly replicaId: string;
  /** Listens for decisions sent to this replica and for changes of the app's requests; resolves once subscribed. */
  listen(on: SharedApprovalHandlers): Promise<() => Promise<void>>;
  /** Records a new request of this replica, open; the others are told. The command is sent before this returns. */
  open(request: Omit<SharedRequest, 'owner' | 'state'>): Promise<void>;
  /** The request's cards not closed yet (only while it is this replica's and not closed). */
  keepCards(requestId: string, cards: KeptApprovalCard[]): Promise<void>;
  /** Closed (only while it is this replica's): remembered a while as `how`, so a late click is told it is done. */
  close(requestId: string, how: 'decided' | 'ended'): Promise<void>;
  /** The request, how it closed, or undefined when it is unknown (or forgotten). */
  get(requestId: string): Promise<SharedRequest | 'decided' | 'ended' | undefined>;
  /** Every request of the app not closed yet, every replica's. */
  list(): Promise<SharedRequest[]>;
  /**
   * Sends a decision to the owner and waits for its answer: `unheard` when the owner does not
   * listen (gone, or reconnecting), `timeout` when no answer came within `timeoutMs`.
   */
  send(owner: string, decision: RemoteDecision, timeoutMs: number): Promise<DecideResult | 'unheard' | 'timeout'>;
  /**
   * Takes over a request of `from` (gone) to close its cards: atomic, so of the survivors only one
   * gets it; undefined when it is no longer `from`'s (another took it, or it closed).
   */
  claim(requestId: string, from: string): Promise<SharedRequest | undefined>;
  /** Whether a replica is still running (its heartbeat is recent). */
  isAlive(replicaId: string): Promise<boolean>;
}
