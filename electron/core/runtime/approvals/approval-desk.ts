import type { BotConfig } from '@shared/config-schema';
import type { PendingApproval } from '@shared/contract';
import type { AgentApproval, ApprovalDecision } from '../../agents/provider';
import type { ChatPhrases, ChatTextKey } from '../../i18n/chat-text';
import { type CardAction, type CardActionAnswer, toast } from '../../lark/card-action';
import type { InboundMessage } from '../../lark/inbound';
import { type ApprovalCardView, type ApprovalEnd, type ApprovalValue, approvalCardFits } from '../../lark/outbound/approval-card';
import type { CardKitApi } from '../../lark/outbound/card-handle';
import type { Sanitize } from '../../lark/outbound/sanitize';
import type { Logger } from '../../log/logger';
import {
  type ApprovalCardDeps,
  closeApprovalCard,
  closeKeptCard,
  type KeptApprovalCard,
  newCard,
  sendApprovalCard,
  type SentCard,
} from './approval-cards';
import { buttonsFor, type Decider, mayDecide } from './approval-rights';
import { ReplicaApprovals } from './replica-approvals';
import type { DecideResult, SharedApprovals } from './shared-approvals';
import { toolCallView } from './tool-call-view';
import { errorMessage } from '../../log/error-message';

export type { KeptApprovalCard } from './approval-cards';
export type { DecideResult } from './shared-approvals';

export interface ApprovalDeskDeps {
  botId: string;
  api: CardKitApi;
  log: Logger;
  bot: () => BotConfig;
  say: () => ChatPhrases;
  sanitize: Sanitize;
  /** Hides the secrets this app knows (exact values), in what the cards and the app show. */
  redact: (text: string) => string;
  now: () => number;
  /** How long the agent's backend waits for a decision before it denies (the Kocoro daemon's 5 minutes). */
  timeoutMs: number;
  /** The list changed (`added`: a new request), for the app. */
  onChange: (added?: PendingApproval) => void;
  /**
   * The cards still open, each time that changes (written to the bot's record). With `shared`,
   * only the record's own leftovers: each request's cards are kept with the request instead.
   */
  keep: (cards: KeptApprovalCard[]) => void;
  /** The app's requests shared by its replicas (a store several processes share); absent: this process only. */
  shared?: SharedApprovals;
  /** With `shared`: how long a click waits for the owning replica, and how often gone replicas' requests are looked for. */
  routeTimeoutMs?: number;
  sweepEveryMs?: number;
}

interface Open {
  view: PendingApproval;
  approval: AgentApproval;
  messageId: string;
  /** The whole call fit in a card; otherwise it may be allowed only in the app. */
  shownWhole: boolean;
  state: 'waiting' | 'deciding' | 'closed';
  cards: SentCard[];
  timer?: NodeJS.Timeout;
}

/** Decided or ended requests are remembered a while, so a late click on their card is answered, not ignored. */
const REMEMBER_CLOSED = 200;

const TOASTS: Record<Exclude<DecideResult, 'decided'>, ChatTextKey> = {
  gone: 'approval.toastGone',
  done: 'approval.toastDone',
  failed: 'approval.toastFailed',
  notInvolved: 'approval.toastNotYou',
  askerMayOnlyDeny: 'approval.toastAskerDeny',
  approversOnly: 'approval.toastApproversOnly',
  inAppOnly: 'approval.toastInApp',
};

/**
 * The tool approvals of one bot's answers (README "Tool approvals"). Each request the agent makes
 * becomes a card where the asker reads it (a reply in their thread, or their direct chat with the
 * bot) and a copy in each approver's direct chat with the bot, so a request asked anywhere reaches
 * the people who may allow it; the app lists it too. Who may decide what is approval-rights.ts.
 * The decision goes to the agent's backend, and every card of the request says who decided and
 * when, without buttons. A request that ends any other way (the backend's timeout, Stop, the
 * answer ending, the bot stopping) says so on its cards too: no card is left with live buttons.
 * With several replicas (`shared`), a click on any of them reaches the one whose agent waits, the
 * app lists every replica's requests, and a gone replica's cards are closed by a survivor
 * (replica-approvals.ts).
 */
export class ApprovalDesk {
  private readonly open = new Map<string, Open>();
  private readonly closed = new Map<string, 'decided' | 'ended'>();
  /** Cards of a crashed run that could not be closed yet. */
  private leftovers: KeptApprovalCard[] = [];

  private readonly cards: ApprovalCardDeps;
  private readonly replicas: ReplicaApprovals | undefined;

  constructor(private readonly deps: ApprovalDeskDeps) {
    const { api, log, say, sanitize, shared } = deps;
    this.cards = { api, log, say, sanitize, changed: (requestId) => this.cardsChanged(requestId) };
    this.replicas = shared
      ? new ReplicaApprovals({
          shared,
          log,
          cards: { ...this.cards, changed: () => undefined },
          decideHere: ({ requestId, decision, by }) => this.decideHere(requestId, decision, by),
          openHere: (requestId) => this.open.has(requestId),
          onChange: (added) => deps.onChange(added),
          routeTimeoutMs: deps.routeTimeoutMs,
          sweepEveryMs: deps.sweepEveryMs,
        })
      : undefined;
  }

  /**
   * At the bot's start: closes the cards a crashed run left in the bot's record (`leftovers`) and,
   * with replicas, those of replicas that are gone; starts hearing decisions sent from the others.
   */
  async start(leftovers: KeptApprovalCard[]): Promise<void> {
    await Promise.all([leftovers.length > 0 ? this.closeLeftovers(leftovers) : undefined, this.replicas?.start()]);
  }

  /** A new request from the agent answering `message`: listed at once, its cards sent. Where the asker's card went. */
  async ask(approval: AgentApproval, message: InboundMessage, question: string): Promise<'chat' | 'dm'> {
    const { deps } = this;
    const bot = deps.bot();
    const where = this.placeFor(message);
    const asker = message.sender.openId;
    const shown = toolCallView(approval.args, deps.redact);
    const view: PendingApproval = {
      botId: deps.botId,
      requestId: approval.requestId,
      chatId: message.chatId,
      chatType: message.chatType,
      askerOpenId: asker,
      question: question.slice(0, 200),
      tool: approval.tool,
      title: approval.title,
      detail: shown.text,
      hidden: shown.hidden,
      invisible: shown.invisible,
      alwaysAllowOffered: approval.alwaysAllowOffered,
      since: deps.now(),
    };
    const base: ApprovalCardView = {
      requestId: approval.requestId,
      tool: approval.tool,
      title: approval.title,
      detail: shown.text,
      askerOpenId: asker,
      fromGroup: where === 'dm',
      alwaysAllowOffered: approval.alwaysAllowOffered,
      hidden: shown.hidden,
      invisible: shown.invisible,
    };
    const shownWhole = approvalCardFits(
      { ...base, forApprover: { where: message.chatType, question: view.question } },
      deps.say(),
      deps.sanitize,
    );
    if (!shownWhole) Object.assign(base, { detail: '', tooLong: [...shown.text].length });
    const approvers = (bot.approvers ?? []).filter((id) => id !== asker);
    const request = {
      alwaysAllowOffered: approval.alwaysAllowOffered,
      shownWhole,
      askerIsApprover: approvers.length < (bot.approvers ?? []).length,
    };
    const seenBy = where === 'dm' || message.chatType === 'p2p' ? 'asker' : 'chat';
    const askerCard: ApprovalCardView = {
      ...base,
      buttons: buttonsFor(seenBy, request, bot),
      ...(request.askerIsApprover || bot.askersMayApprove ? {} : { waitsFor: approvers.length > 0 ? 'approvers' : 'owner' }),
    };
    const approverCard: ApprovalCardView = {
      ...base,
      fromGroup: false,
      buttons: buttonsFor('approver', request, bot),
      forApprover: { where: message.chatType, question: view.question },
    };
    const entry: Open = {
      view,
      approval,
      messageId: message.messageId,
      shownWhole,
      state: 'waiting',
      cards: [newCard(deps, askerCard), ...approvers.map((id) => newCard(deps, approverCard, id))],
    };
    this.open.set(approval.requestId, entry);
    // The backend gives up after its timeout; should nothing say so, the cards say it anyway.
    entry.timer = setTimeout(() => this.ended(approval.requestId, 'expired'), deps.timeoutMs + 5_000);
    entry.timer.unref?.();
    deps.log.log('info', 'approval.requested', {
      requestId: approval.requestId,
      messageId: message.messageId,
      tool: approval.tool,
      where,
      approvers: approvers.length,
      ...(shownWhole ? {} : { shownWhole }),
    });
    deps.onChange(view);
    // Recorded for the other replicas before any card can be clicked.
    if (this.replicas) {
      const { messageId, chatId } = message;
      await this.replicas.opened({ requestId: approval.requestId, messageId, chatId, view, shownWhole, cards: [] });
      // Ended meanwhile (Stop, the answer's end): no card is sent to be left with live buttons.
      if (entry.state === 'closed') return where;
    }
    for (const card of entry.cards) card.ops = sendApprovalCard(this.cards, approval.requestId, card, message, where);
    await Promise.all(entry.cards.map((c) => c.ops));
    return where;
  }

  /** Where the asker's card for a request about `message` goes: their direct chat only for a group message of a bot set to `dm`. */
  placeFor(message: Pick<InboundMessage, 'chatType'>): 'chat' | 'dm' {
    return this.deps.bot().approvals === 'dm' && message.chatType === 'group' ? 'dm' : 'chat';
  }

  /** A button of an approval card (`card.action.trigger`): answered at once with a toast, within the platform's 3 s. */
  async onCardAction({ value, operatorOpenId }: CardAction<ApprovalValue>): Promise<CardActionAnswer> {
    const result = await this.decide(value.requestId, value.decision, { openId: operatorOpenId });
    let key: ChatTextKey =
      result === 'decided' ? (value.decision === 'deny' ? 'approval.toastDenied' : 'approval.toastAllowed') : TOASTS[result];
    if (key === 'approval.toastAskerDeny' && (this.deps.bot().approvers ?? []).length === 0) key = 'approval.toastAskerDenyOwner';
    return toast(result === 'decided' ? 'success' : result === 'failed' ? 'error' : 'info', key, this.deps.say());
  }

  /** Decides a request, if `by` may (approval-rights.ts). The first decision wins; the backend hears it before this returns. */
  async decide(requestId: string, decision: ApprovalDecision, by: Decider): Promise<DecideResult> {
    // Another replica's (its agent waits there): decided there, who may decide checked there.
    if (this.replicas && !this.open.has(requestId) && !this.closed.has(requestId)) return this.replicas.decide(requestId, decision, by);
    return this.decideHere(requestId, decision, by);
  }

  private async decideHere(requestId: string, decision: ApprovalDecision, by: Decider): Promise<DecideResult> {
    const entry = this.open.get(requestId);
    if (!entry) return this.closed.has(requestId) ? 'done' : 'gone';
    const refusal = mayDecide(decision, by, { askerOpenId: entry.view.askerOpenId, shownWhole: entry.shownWhole }, this.deps.bot());
    if (refusal) {
      this.deps.log.log('info', 'approval.refused', { requestId, decision, operator: by === 'app' ? 'app' : by.openId, reason: refusal });
      return refusal;
    }
    if (entry.state !== 'waiting') return 'done';
    if (decision === 'always_allow' && !entry.view.alwaysAllowOffered) decision = 'allow';
    entry.state = 'deciding';
    try {
      await entry.approval.decide(decision);
    } catch (err) {
      entry.state = 'waiting';
      this.deps.log.log('warn', 'approval.decision_failed', { requestId, error: errorMessage(err) });
      return 'failed';
    }
    this.deps.log.log('info', 'approval.decided', { requestId, decision, by: by === 'app' ? 'app' : by.openId });
    this.close(entry, { decision, by, at: this.deps.now() }, 'decided');
    return 'decided';
  }

  /** The request no longer waits, and not by a decision made here. */
  ended(requestId: string, why: 'expired' | 'stopped' | 'finished' | 'elsewhere' | 'botStopped'): void {
    const entry = this.open.get(requestId);
    // One being decided here is about to say so itself.
    if (!entry || entry.state === 'deciding') return;
    this.deps.log.log('info', 'approval.ended', { requestId, why });
    this.close(entry, { ended: why }, 'ended');
  }

  /** The backend went on without a decision made here: it timed out, or someone decided in Kocoro itself. */
  resumed(requestId: string): void {
    const entry = this.open.get(requestId);
    if (!entry) return;
    this.ended(requestId, this.deps.now() - entry.view.since >= this.deps.timeoutMs - 1_000 ? 'expired' : 'elsewhere');
  }

  /** The answer to `messageId` is over (answered, stopped, failed): its requests still open end with it. */
  endFor(messageId: string, why: 'stopped' | 'finished' | 'botStopped'): void {
    for (const entry of [...this.open.values()]) if (entry.messageId === messageId) this.ended(entry.view.requestId, why);
  }

  /** Waiting requests, oldest first: with replicas, every replica's. */
  list(): PendingApproval[] {
    const here = [...this.open.values()].filter((e) => e.state !== 'closed').map((e) => ({ ...e.view }));
    if (!this.replicas) return here;
    return [...here, ...this.replicas.list()].sort((a, b) => a.since - b.since);
  }

  /** The bot stops: every open card says so; resolves once the cards are updated (or failed to be). */
  async closeAll(): Promise<void> {
    const entries = [...this.open.values()];
    for (const entry of entries) this.ended(entry.view.requestId, 'botStopped');
    await Promise.all(entries.flatMap((e) => e.cards.map((c) => c.ops)));
    await this.replicas?.stop();
  }

  /**
   * This replica takes over `messageId`'s answer from another one (its run there ended with its
   * replica): that message's requests still open there are closed, their cards saying the bot
   * stopped before a decision, unless their replica is still running. Nothing without replicas.
   */
  async closeLeftoversOf(messageId: string): Promise<void> {
    await this.replicas?.closeGone((request) => request.messageId === messageId);
  }

  /**
   * Cards a previous run left open (it crashed): their requests died with it, and the cards say so
   * now. One that cannot be updated (offline) stays kept, for the next start.
   */
  async closeLeftovers(cards: KeptApprovalCard[]): Promise<void> {
    const closed = await Promise.all(cards.map((kept) => closeKeptCard(this.cards, kept)));
    this.leftovers = cards.filter((_, i) => !closed[i]);
    this.deps.keep(this.kept());
  }

  private close(entry: Open, end: ApprovalEnd, how: 'decided' | 'ended'): void {
    entry.state = 'closed';
    clearTimeout(entry.timer);
    this.open.delete(entry.view.requestId);
    this.closed.set(entry.view.requestId, how);
    this.replicas?.closed(entry.view.requestId, how);
    if (this.closed.size > REMEMBER_CLOSED) this.closed.delete(this.closed.keys().next().value as string);
    this.deps.onChange();
    for (const card of entry.cards) closeApprovalCard(this.cards, entry.view.requestId, card, end);
  }

  /** A card of `requestId` was made or closed: kept with the request (replicas), or in the bot's record. */
  private cardsChanged(requestId: string): void {
    if (!this.replicas) return this.deps.keep(this.kept());
    const entry = this.open.get(requestId);
    if (entry) this.replicas.cardsChanged(requestId, keptOf(entry));
  }

  private kept(): KeptApprovalCard[] {
    // With replicas the record keeps only its own leftovers: each request's cards are kept with it.
    if (this.replicas) return [...this.leftovers];
    return [...this.leftovers, ...[...this.open.values()].flatMap(keptOf)];
  }
}

function keptOf(entry: Open): KeptApprovalCard[] {
  return entry.cards.flatMap((c) => {
    const entity = c.handle.entity;
    return entity ? [{ requestId: entry.view.requestId, ...entity, view: c.view }] : [];
  });
}
