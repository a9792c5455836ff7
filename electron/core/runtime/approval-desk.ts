import type { BotConfig } from '@shared/config-schema';
import type { PendingApproval } from '@shared/contract';
import type { AgentApproval, ApprovalDecision } from '../agents/provider';
import { type ChatPhrases, chatText, type ChatTextKey } from '../i18n/chat-text';
import type { LarkApi } from '../lark/api';
import { toLarkApiError } from '../lark/errors';
import type { InboundMessage } from '../lark/inbound';
import { type ApprovalCardView, type ApprovalEnd, approvalCard, closedApprovalCard, isApprovalValue } from '../lark/outbound/approval-card';
import { approvalUuid } from '../lark/outbound/idempotency';
import type { Sanitize } from '../lark/outbound/sanitize';
import type { Logger } from '../log/logger';

/** An approval card this bot sent whose request may still be open: kept so a restart after a crash closes it. */
export interface KeptApprovalCard {
  requestId: string;
  cardId: string;
  createdAt: number;
  view: ApprovalCardView;
}

export interface ApprovalDeskDeps {
  botId: string;
  api: Pick<LarkApi, 'createCard' | 'replyMessage' | 'sendToUser' | 'updateCard'>;
  log: Logger;
  bot: () => BotConfig;
  say: () => ChatPhrases;
  sanitize: Sanitize;
  now: () => number;
  /** How long the agent's backend waits for a decision before it denies (the Kocoro daemon's 5 minutes). */
  timeoutMs: number;
  /** The list changed (`added`: a new request), for the app. */
  onChange: (added?: PendingApproval) => void;
  /** The cards still open, each time that changes (written to the bot's state). */
  keep: (cards: KeptApprovalCard[]) => void;
}

type Decider = { openId: string } | 'app';
export type DecideResult = 'decided' | 'gone' | 'done' | 'not_allowed' | 'failed';

interface Open {
  view: PendingApproval;
  card: ApprovalCardView;
  approval: AgentApproval;
  messageId: string;
  state: 'waiting' | 'deciding' | 'closed';
  /** The card entity, once created; its operations run in order on `ops`. */
  cardId?: string;
  createdAt: number;
  sequence: number;
  ops: Promise<void>;
  timer?: NodeJS.Timeout;
}

/** Decided or ended requests are remembered a while, so a late click on their card is answered, not ignored. */
const REMEMBER_CLOSED = 200;

/**
 * The tool approvals of one bot's answers (README "Tool approvals"). Each request the agent makes
 * becomes a card (a reply in the asker's thread, or in their direct chat with the bot); the asker
 * or one of the bot's approvers decides with its buttons, or the owner in the app. The decision
 * goes to the agent's backend, and the card says who decided and when, without buttons. A request
 * that ends any other way (the backend's timeout, Stop, the answer ending, the bot stopping) says
 * so on its card too: no card is left with live buttons.
 */
export class ApprovalDesk {
  private readonly open = new Map<string, Open>();
  private readonly closed = new Map<string, 'decided' | 'ended'>();
  /** Cards of a crashed run that could not be closed yet. */
  private leftovers: KeptApprovalCard[] = [];

  constructor(private readonly deps: ApprovalDeskDeps) {}

  /** A new request from the agent answering `message`: listed at once, its card sent. Where the card went. */
  async ask(approval: AgentApproval, message: InboundMessage, question: string): Promise<'chat' | 'dm'> {
    const { deps } = this;
    const where = this.placeFor(message);
    const view: PendingApproval = {
      botId: deps.botId,
      requestId: approval.requestId,
      chatId: message.chatId,
      chatType: message.chatType,
      askerOpenId: message.sender.openId,
      question: question.slice(0, 200),
      tool: approval.tool,
      title: approval.title,
      detail: approval.detail,
      alwaysAllowOffered: approval.alwaysAllowOffered,
      since: deps.now(),
    };
    const card: ApprovalCardView = {
      requestId: approval.requestId,
      tool: approval.tool,
      title: approval.title,
      detail: approval.detail,
      askerOpenId: message.sender.openId,
      fromGroup: where === 'dm',
      alwaysAllowOffered: approval.alwaysAllowOffered,
    };
    const entry: Open = {
      view,
      card,
      approval,
      messageId: message.messageId,
      state: 'waiting',
      createdAt: Date.now(),
      sequence: 0,
      ops: Promise.resolve(),
    };
    this.open.set(approval.requestId, entry);
    // The backend gives up after its timeout; should nothing say so, the card says it anyway.
    entry.timer = setTimeout(() => this.ended(approval.requestId, 'expired'), deps.timeoutMs + 5_000);
    entry.timer.unref?.();
    deps.log.log('info', 'approval.requested', { requestId: approval.requestId, messageId: message.messageId, tool: approval.tool, where });
    deps.onChange(view);
    entry.ops = this.sendCard(entry, message, where);
    await entry.ops;
    return where;
  }

  /** Where the card for a request about `message` goes: the asker's direct chat only for a group message of a bot set to `dm`. */
  placeFor(message: Pick<InboundMessage, 'chatType'>): 'chat' | 'dm' {
    return this.deps.bot().approvals === 'dm' && message.chatType === 'group' ? 'dm' : 'chat';
  }

  /** A button of an approval card (`card.action.trigger`): answered at once with a toast, within the platform's 3 s. */
  async onCardAction(data: unknown): Promise<object | undefined> {
    const event = (data ?? {}) as { action?: { value?: unknown }; operator?: { open_id?: unknown } };
    const value = event.action?.value;
    if (!isApprovalValue(value)) return undefined;
    const openId = typeof event.operator?.open_id === 'string' ? event.operator.open_id : '';
    const result = await this.decide(value.requestId, value.decision, { openId });
    const key: ChatTextKey =
      result === 'decided'
        ? value.decision === 'deny'
          ? 'approval.toastDenied'
          : 'approval.toastAllowed'
        : result === 'not_allowed'
          ? 'approval.toastNotYou'
          : result === 'done'
            ? 'approval.toastDone'
            : result === 'gone'
              ? 'approval.toastGone'
              : 'approval.toastFailed';
    const type = result === 'decided' ? 'success' : result === 'failed' ? 'error' : 'info';
    return { toast: { type, content: this.deps.say()(key), i18n: { en_us: chatText('en', key), zh_cn: chatText('zh-CN', key) } } };
  }

  /**
   * Decides a request: only the asker and the bot's approvers may (the app's owner always may).
   * The first decision wins; the backend hears it before this returns.
   */
  async decide(requestId: string, decision: ApprovalDecision, by: Decider): Promise<DecideResult> {
    const entry = this.open.get(requestId);
    if (!entry) return this.closed.has(requestId) ? 'done' : 'gone';
    if (by !== 'app' && by.openId !== entry.view.askerOpenId && !(this.deps.bot().approvers ?? []).includes(by.openId)) {
      this.deps.log.log('info', 'approval.refused', { requestId, operator: by.openId, reason: 'not the asker or an approver' });
      return 'not_allowed';
    }
    if (entry.state !== 'waiting') return 'done';
    if (decision === 'always_allow' && !entry.view.alwaysAllowOffered) decision = 'allow';
    entry.state = 'deciding';
    try {
      await entry.approval.decide(decision);
    } catch (err) {
      entry.state = 'waiting';
      this.deps.log.log('warn', 'approval.decision_failed', { requestId, error: err instanceof Error ? err.message : String(err) });
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

  /** Waiting requests, oldest first. */
  list(): PendingApproval[] {
    return [...this.open.values()].filter((e) => e.state !== 'closed').map((e) => ({ ...e.view }));
  }

  /** The bot stops: every open card says so; resolves once the cards are updated (or failed to be). */
  async closeAll(): Promise<void> {
    const entries = [...this.open.values()];
    for (const entry of entries) this.ended(entry.view.requestId, 'botStopped');
    await Promise.all(entries.map((e) => e.ops));
  }

  /**
   * Cards a previous run left open (it crashed): their requests died with it, and the cards say so
   * now. One that cannot be updated (offline) stays kept, for the next start.
   */
  async closeLeftovers(cards: KeptApprovalCard[]): Promise<void> {
    const { deps } = this;
    const failed: KeptApprovalCard[] = [];
    await Promise.all(
      cards.map(async (kept) => {
        const sequence = Math.floor((Date.now() - kept.createdAt) / 100) + 1;
        try {
          await deps.api.updateCard(
            kept.cardId,
            closedApprovalCard(kept.view, { ended: 'botStopped' }, deps.say(), deps.sanitize),
            sequence,
          );
        } catch (err) {
          failed.push(kept);
          deps.log.log('warn', 'approval.card_failed', { requestId: kept.requestId, error: toLarkApiError(err).message });
        }
      }),
    );
    this.leftovers = failed;
    deps.keep(this.kept());
  }

  private close(entry: Open, end: ApprovalEnd, how: 'decided' | 'ended'): void {
    entry.state = 'closed';
    clearTimeout(entry.timer);
    this.open.delete(entry.view.requestId);
    this.closed.set(entry.view.requestId, how);
    if (this.closed.size > REMEMBER_CLOSED) this.closed.delete(this.closed.keys().next().value as string);
    this.deps.onChange();
    const { deps } = this;
    entry.ops = entry.ops.then(async () => {
      if (!entry.cardId) return;
      try {
        await this.cardOp(entry, closedApprovalCard(entry.card, end, deps.say(), deps.sanitize));
      } catch (err) {
        deps.log.log('warn', 'approval.card_failed', { requestId: entry.view.requestId, error: toLarkApiError(err).message });
      }
      deps.keep(this.kept());
    });
  }

  private async sendCard(entry: Open, message: InboundMessage, where: 'chat' | 'dm'): Promise<void> {
    const { deps } = this;
    const requestId = entry.view.requestId;
    try {
      const cardId = await deps.api.createCard(approvalCard(entry.card, deps.say(), deps.sanitize));
      entry.cardId = cardId;
      deps.keep(this.kept());
      const content = JSON.stringify({ type: 'card', data: { card_id: cardId } });
      // The uuid names the request: a send repeated by a retry is the same message.
      const uuid = approvalUuid(requestId);
      if (where === 'dm') await deps.api.sendToUser(message.sender.openId, { msgType: 'interactive', content, uuid });
      else {
        await deps.api.replyMessage(message.messageId, {
          msgType: 'interactive',
          content,
          uuid,
          replyInThread: Boolean(message.threadId),
          chatId: message.chatId,
        });
      }
    } catch (err) {
      // Nobody in the chat can decide now; the app's list still can.
      deps.log.log('warn', 'approval.card_failed', { requestId, error: toLarkApiError(err).message, fallback: 'decide in the app' });
    }
  }

  /** A whole-card update with the next sequence number (tenths of a second since creation, strictly increasing). */
  private async cardOp(entry: Open, json: object): Promise<void> {
    entry.sequence = Math.max(entry.sequence + 1, Math.floor((Date.now() - entry.createdAt) / 100) + 1);
    await this.deps.api.updateCard(entry.cardId!, json, entry.sequence);
  }

  private kept(): KeptApprovalCard[] {
    const open = [...this.open.values()]
      .filter((e): e is Open & { cardId: string } => e.cardId !== undefined)
      .map((e) => ({ requestId: e.view.requestId, cardId: e.cardId, createdAt: e.createdAt, view: e.card }));
    return [...this.leftovers, ...open];
  }
}
