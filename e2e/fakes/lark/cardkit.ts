import { randomInt } from 'node:crypto';
import { checkStructure } from './card-json.js';
import type { CardNode } from './card-json.js';
import { isObject } from './http-util.js';
import type { TimerSet } from './timers.js';
import type { CardOpKind, FakeCard } from './types.js';

export interface CardError {
  code: number;
  msg: string;
  status?: number;
  headers?: Record<string, string>;
}

export interface CardKitOptions {
  streamingTimeoutMs: number;
  cardOpsPerSecond?: number;
}

/** One operation request on a card entity (everything but create). */
export interface CardOpRequest {
  kind: Exclude<CardOpKind, 'create'>;
  sequence: number;
  uuid?: string;
  /** Canonical request body: a reused uuid with a different body is a conflict (200770). */
  fingerprint: string;
  content?: string;
  elementId?: string;
}

/**
 * What an operation does to a draft copy of the card JSON. Returns an error (nothing is committed)
 * or whether it turned streaming on (true), off (false) or left it alone (undefined).
 */
export type MutationResult = CardError | { streaming?: boolean };
export type CardMutation = (draft: CardNode, card: FakeCard) => MutationResult;

interface CardState {
  card: FakeCard;
  lastSequence: number;
  uuids: Map<string, string>;
  streamingSince?: number;
  timer?: NodeJS.Timeout;
}

const MAX_SEQUENCE = 2147483647;

/** lark/README.md §5.11: 19-digit numeric ids like `7355372766134157313`. */
const newCardId = (): string => `7${String(randomInt(1e9)).padStart(9, '0')}${String(randomInt(1e9)).padStart(9, '0')}`;

/**
 * CardKit card entities and the rules every operation obeys (lark/README.md §5.11): owner-only, per-card rate,
 * uuid idempotency, strictly increasing `sequence`, streaming mode that closes on its own.
 */
export class CardStore {
  private readonly states = new Map<string, CardState>();
  /** When an operation was refused for the card's rate (429). */
  readonly limitedAt: number[] = [];

  constructor(
    private readonly timers: TimerSet,
    private readonly opts: CardKitOptions,
  ) {}

  get(cardId: string): FakeCard | undefined {
    return this.states.get(cardId)?.card;
  }

  list(): FakeCard[] {
    return [...this.states.values()].map((s) => s.card);
  }

  create(appId: string, json: CardNode, now = Date.now()): FakeCard {
    const card: FakeCard = { cardId: newCardId(), appId, json, streaming: false, ops: [{ kind: 'create', at: now }], requestedAt: [now] };
    const state: CardState = { card, lastSequence: 0, uuids: new Map() };
    this.states.set(card.cardId, state);
    if (configOf(json).streaming_mode === true) this.setStreaming(state, true, now);
    return card;
  }

  operate(appId: string, cardId: string, req: CardOpRequest, mutate: CardMutation, now = Date.now()): CardError | undefined {
    const state = this.states.get(cardId);
    if (!state) return { code: 200740, msg: `card ${cardId} not found` };
    const { card } = state;
    card.requestedAt.push(now);
    if (card.appId !== appId) return { code: 300311, msg: 'only the app that created the card entity may operate it' };
    const limited = this.rateLimited(card, now);
    if (limited) {
      this.limitedAt.push(now);
      return limited;
    }
    if (req.uuid !== undefined) {
      const seen = state.uuids.get(req.uuid);
      // Same uuid, same body: the first result again, nothing applied twice.
      if (seen === req.fingerprint) return undefined;
      if (seen !== undefined) return { code: 200770, msg: `uuid ${req.uuid} was already used for a different request` };
    }
    if (!Number.isInteger(req.sequence) || req.sequence < 1 || req.sequence > MAX_SEQUENCE) {
      return { code: 10003, msg: 'invalid param: sequence must be an integer in 1..2147483647' };
    }
    if (req.sequence <= state.lastSequence) {
      return { code: 300317, msg: `sequence ${req.sequence} is not greater than the previous ${state.lastSequence}` };
    }
    this.expireIfDue(state, now);

    const draft = structuredClone(card.json);
    const result = mutate(draft, card);
    if ('code' in result) return result;
    const structure = checkStructure(draft);
    if (!structure.ok) return { code: structure.code, msg: structure.msg };

    card.json = draft;
    if (result.streaming !== undefined) this.setStreaming(state, result.streaming, now);
    state.lastSequence = req.sequence;
    if (req.uuid !== undefined) state.uuids.set(req.uuid, req.fingerprint);
    card.ops.push({
      kind: req.kind,
      sequence: req.sequence,
      at: now,
      ...(req.uuid !== undefined ? { uuid: req.uuid } : {}),
      ...(req.content !== undefined ? { content: req.content } : {}),
      ...(req.elementId !== undefined ? { elementId: req.elementId } : {}),
    });
    return undefined;
  }

  /** lark/README.md §5.11: an entity is sent once, by the app that created it. 230099 for a second send is the fake's choice. */
  markSent(appId: string, cardId: string, messageId: string): CardError | undefined {
    const card = this.states.get(cardId)?.card;
    if (!card) return { code: 200740, msg: `card ${cardId} not found` };
    if (card.appId !== appId) return { code: 300311, msg: 'only the app that created the card entity may send it' };
    if (card.sentAs !== undefined) {
      return {
        code: 230099,
        msg: `Failed to create card content, ext=card entity ${cardId} was already sent as ${card.sentAs}; an entity can be sent once`,
      };
    }
    card.sentAs = messageId;
    return undefined;
  }

  /** lark/README.md §8: ≤ N operations per second per card; every request that reached the card counts. */
  private rateLimited(card: FakeCard, now: number): CardError | undefined {
    const limit = this.opts.cardOpsPerSecond;
    if (limit === undefined) return undefined;
    const recent = card.requestedAt.filter((t) => t > now - 1000).length;
    if (recent <= limit) return undefined;
    return {
      code: 99991400,
      msg: 'request trigger frequency limit',
      status: 429,
      headers: { 'x-ogw-ratelimit-limit': String(limit), 'x-ogw-ratelimit-reset': '1' },
    };
  }

  /** The timer keeps live FakeCard objects accurate; this catches a timer that has not fired yet. */
  private expireIfDue(state: CardState, now: number): void {
    if (state.card.streaming && state.streamingSince !== undefined && now - state.streamingSince >= this.opts.streamingTimeoutMs) {
      this.setStreaming(state, false, now);
    }
  }

  /** Enabling (again) restarts the auto-close clock: "10 minutes after it was last enabled" (lark/README.md §5.11). */
  private setStreaming(state: CardState, on: boolean, now: number): void {
    this.timers.clear(state.timer);
    delete state.timer;
    state.card.streaming = on;
    configOf(state.card.json, true).streaming_mode = on;
    if (!on) {
      delete state.streamingSince;
      return;
    }
    state.streamingSince = now;
    state.timer = this.timers.set(() => this.setStreaming(state, false, Date.now()), this.opts.streamingTimeoutMs);
  }
}

function configOf(card: CardNode, create = false): Record<string, unknown> {
  if (isObject(card.config)) return card.config;
  const config: Record<string, unknown> = {};
  if (create) card.config = config;
  return config;
}
