import type { PendingApproval } from '@shared/contract';
import type { ApprovalDecision } from '../../agents/provider';
import type { Logger } from '../../log/logger';
import { errorMessage } from '../../log/error-message';
import { type ApprovalCardDeps, closeKeptCard, type KeptApprovalCard } from './approval-cards';
import type { Decider } from './approval-rights';
import type { DecideResult, RemoteDecision, SharedApprovals, SharedChange, SharedRequest } from './shared-approvals';

/** How long a click waits for the owner's answer: the platform wants the clicker's toast within 3 s. */
export const ROUTE_TIMEOUT_MS = 2_500;
/** How often the requests of replicas gone meanwhile are looked for (a replica is gone 10 s after its last heartbeat). */
export const SWEEP_EVERY_MS = 15_000;

export interface ReplicaApprovalsDeps {
  shared: SharedApprovals;
  log: Logger;
  /** For closing the cards of a gone replica's requests. */
  cards: ApprovalCardDeps;
  /** A decision sent here by another replica, for a request of this one: decided as a click here would be. */
  decideHere(decision: RemoteDecision): Promise<DecideResult>;
  /** Whether a request of this replica is still open in this process. */
  openHere(requestId: string): boolean;
  /** Another replica's request appeared (`added`) or went away. */
  onChange(added?: PendingApproval): void;
  routeTimeoutMs?: number;
  sweepEveryMs?: number;
}

/**
 * The approval desk's side of an app run by several replicas (shared-approvals.ts): it records
 * this replica's requests and their cards, sends a decision made here for another replica's
 * request to its owner, keeps the other replicas' requests for the app's list, and closes the
 * cards of requests whose replica is gone (at start, every `sweepEveryMs`, and for one message on
 * request), each taken over by one survivor only.
 */
export class ReplicaApprovals {
  /** The other replicas' requests still open, for the app's list. */
  private readonly others = new Map<string, SharedRequest>();
  /** Each request's writes, in the order made. */
  private readonly writes = new Map<string, Promise<void>>();
  /** Requests being taken over here now. */
  private readonly taking = new Set<string>();
  /** Requests heard closed lately: an `opened` read back after its close does not list it again. */
  private readonly closedLately = new Set<string>();
  private leave: (() => Promise<void>) | undefined;
  private listening: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: ReplicaApprovalsDeps) {}

  /** Listens, closes what gone replicas left open, and looks again every `sweepEveryMs`. */
  async start(): Promise<void> {
    await this.listen();
    await this.closeGone();
    if (this.stopped) return;
    const sweep = async (): Promise<void> => {
      await this.listen();
      await this.closeGone();
      await this.reload();
    };
    this.timer = setInterval(() => void sweep(), this.deps.sweepEveryMs ?? SWEEP_EVERY_MS);
    this.timer.unref();
  }

  /** Resolves once this replica hears decisions sent to it (or failed to subscribe: logged, tried again at the next sweep). */
  ready(): Promise<void> {
    return this.listening ?? Promise.resolve();
  }

  /** A new request of this replica; resolves once recorded (or failed to be: the cards still work on this replica). */
  opened(request: Omit<SharedRequest, 'owner' | 'state'>): Promise<void> {
    // Queued at once, so a close or cards written meanwhile come after it.
    return this.write(request.requestId, async () => {
      await this.ready();
      await this.deps.shared.open(request);
    });
  }

  cardsChanged(requestId: string, cards: KeptApprovalCard[]): void {
    void this.write(requestId, () => this.deps.shared.keepCards(requestId, cards));
  }

  closed(requestId: string, how: 'decided' | 'ended'): void {
    void this.write(requestId, () => this.deps.shared.close(requestId, how));
  }

  /** The other replicas' requests, for the app's list. */
  list(): PendingApproval[] {
    return [...this.others.values()].filter((r) => r.state === 'open').map((r) => ({ ...r.view }));
  }

  /** A decision made here for a request this process does not have: sent to its owner, whose answer is this one's. */
  async decide(requestId: string, decision: ApprovalDecision, by: Decider): Promise<DecideResult> {
    const { shared, log } = this.deps;
    let found: Awaited<ReturnType<SharedApprovals['get']>>;
    try {
      found = await shared.get(requestId);
    } catch (err) {
      log.log('warn', 'approval.decision_failed', { requestId, error: errorMessage(err) });
      return 'failed';
    }
    if (found === undefined) return 'gone';
    if (typeof found === 'string') return found === 'decided' ? 'done' : 'gone';
    if (found.state !== 'open' || found.owner === shared.replicaId) return 'gone';
    const owner = found.owner;
    let answer: DecideResult | 'unheard' | 'timeout';
    try {
      answer = await shared.send(owner, { requestId, decision, by }, this.deps.routeTimeoutMs ?? ROUTE_TIMEOUT_MS);
    } catch (err) {
      log.log('warn', 'approval.decision_failed', { requestId, owner, error: errorMessage(err) });
      return 'failed';
    }
    if (answer === 'unheard' || answer === 'timeout') {
      log.log('warn', 'approval.route_failed', { requestId, owner, why: answer });
      // Its replica may be gone: then its cards are closed now, and the next click is told so.
      void this.closeGone((r) => r.requestId === requestId);
      return 'failed';
    }
    log.log('info', 'approval.routed', { requestId, owner, decision, result: answer });
    return answer;
  }

  /**
   * Closes the cards of requests (those `only` picks) whose replica is gone, saying the bot
   * stopped before a decision: each is claimed first, so one survivor only closes it. A card that
   * cannot be updated stays with the request, for the next sweep.
   */
  async closeGone(only: (request: SharedRequest) => boolean = () => true): Promise<void> {
    const { shared, log } = this.deps;
    let all: SharedRequest[];
    try {
      all = (await shared.list()).filter(only);
    } catch (err) {
      log.log('warn', 'approval.sweep_failed', { error: errorMessage(err) });
      return;
    }
    const alive = new Map<string, boolean>();
    for (const request of all) {
      if (this.taking.has(request.requestId) || this.stopped) continue;
      if (request.owner === shared.replicaId) {
        // One of this replica's taken over earlier with cards left to close, or closed here while Redis was away.
        if (request.state === 'closing') await this.takeOver(request, request);
        else if (!this.deps.openHere(request.requestId)) this.closed(request.requestId, 'ended');
        continue;
      }
      if (!alive.has(request.owner)) alive.set(request.owner, await shared.isAlive(request.owner).catch(() => true));
      if (alive.get(request.owner)) continue;
      this.taking.add(request.requestId);
      try {
        const claimed = await shared.claim(request.requestId, request.owner);
        if (claimed) await this.takeOver(claimed, request);
      } catch (err) {
        log.log('warn', 'approval.sweep_failed', { requestId: request.requestId, error: errorMessage(err) });
      } finally {
        this.taking.delete(request.requestId);
      }
    }
  }

  /** Stops listening and sweeping, once this replica's writes are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.writes.values()]);
    await this.listening;
    await this.leave?.().catch(() => undefined);
    this.leave = undefined;
  }

  private async takeOver(claimed: SharedRequest, was: SharedRequest): Promise<void> {
    const { shared, log, cards } = this.deps;
    log.log('info', 'approval.taken_over', { requestId: claimed.requestId, from: was.owner, cards: claimed.cards.length });
    this.others.delete(claimed.requestId);
    const done = await Promise.all(claimed.cards.map((kept) => closeKeptCard(cards, kept)));
    const left = claimed.cards.filter((_, i) => !done[i]);
    if (left.length > 0) await shared.keepCards(claimed.requestId, left);
    else await shared.close(claimed.requestId, 'ended');
  }

  private listen(): Promise<void> {
    if (this.leave || this.stopped) return Promise.resolve();
    this.listening ??= this.deps.shared
      .listen({ decide: (d) => this.deps.decideHere(d), changed: (c) => this.changed(c) })
      .then(
        async (leave) => {
          this.leave = leave;
          await this.reload();
        },
        (err: unknown) =>
          this.deps.log.log('warn', 'approval.shared_unavailable', { error: errorMessage(err), retry: 'at the next sweep' }),
      )
      .finally(() => (this.listening = undefined));
    return this.listening;
  }

  private changed(change: SharedChange): void {
    if (change === 'reload') {
      void this.reload();
    } else if ('opened' in change) {
      const request = change.opened;
      if (request.owner === this.deps.shared.replicaId || request.state !== 'open' || this.closedLately.has(request.requestId)) return;
      this.others.set(request.requestId, request);
      this.deps.onChange({ ...request.view });
    } else {
      this.closedLately.add(change.closed);
      if (this.closedLately.size > 200) this.closedLately.delete(this.closedLately.values().next().value as string);
      if (this.others.delete(change.closed)) this.deps.onChange();
    }
  }

  private async reload(): Promise<void> {
    let all: SharedRequest[];
    try {
      all = await this.deps.shared.list();
    } catch (err) {
      this.deps.log.log('warn', 'approval.shared_unavailable', { error: errorMessage(err) });
      return;
    }
    const before = [...this.others.keys()].join();
    this.others.clear();
    for (const request of all) {
      const theirs = request.owner !== this.deps.shared.replicaId && request.state === 'open';
      if (theirs && !this.closedLately.has(request.requestId)) this.others.set(request.requestId, request);
    }
    if ([...this.others.keys()].join() !== before) this.deps.onChange();
  }

  /** After the request's writes before it; a failure is logged (the request still works on this replica). */
  private write(requestId: string, op: () => Promise<void>): Promise<void> {
    const next = (this.writes.get(requestId) ?? Promise.resolve()).then(op).catch((err: unknown) => {
      this.deps.log.log('warn', 'approval.shared_write_failed', { requestId, error: errorMessage(err) });
    });
    this.writes.set(requestId, next);
    void next.then(() => {
      if (this.writes.get(requestId) === next) this.writes.delete(requestId);
    });
    return next;
  }
}
