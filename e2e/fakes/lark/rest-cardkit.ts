import { findElement, isStreamable, parentArrayOf, parseCardJson } from './card-json.js';
import type { CardNode } from './card-json.js';
import type { CardError, CardMutation, CardOpRequest, CardStore, MutationResult } from './cardkit.js';
import { apiError, isObject, json, ok } from './http-util.js';
import type { HttpReply } from './http-util.js';

const BASE = '/open-apis/cardkit/v1/cards';
const MAX_STREAM_CHARS = 100_000;

// CardKit parameter errors: the doc names no code, so the generic "invalid parameter" 10003 (lark/README.md §7).
const invalid = (detail: string): HttpReply => apiError(10003, `invalid param: ${detail}`);
const toReply = (err: CardError | undefined): HttpReply =>
  err ? json(err.status ?? 400, { code: err.code, msg: err.msg }, err.headers) : ok({});

/** CardKit v1 routes (lark/README.md §5.11): create, stream text, settings, full update, add elements. */
export function handleCardKit(cards: CardStore, appId: string, method: string, path: string, body: unknown): HttpReply | undefined {
  if (!path.startsWith(BASE)) return undefined;
  const rest = path.slice(BASE.length).split('/').map(decodeURIComponent);
  const b = isObject(body) ? body : {};
  const [, cardId, sub, elementId, leaf] = rest;

  if (method === 'POST' && rest.length === 1 && rest[0] === '') return create(cards, appId, b);
  if (!cardId) return undefined;
  const op = (req: Omit<CardOpRequest, 'sequence' | 'uuid' | 'fingerprint'>, mutate: CardMutation): HttpReply => {
    if (b.uuid !== undefined && (typeof b.uuid !== 'string' || b.uuid.length === 0 || b.uuid.length > 64))
      return invalid('uuid (≤ 64 chars)');
    const request: CardOpRequest = {
      ...req,
      sequence: typeof b.sequence === 'number' ? b.sequence : NaN,
      fingerprint: JSON.stringify(b),
      ...(typeof b.uuid === 'string' ? { uuid: b.uuid } : {}),
    };
    return toReply(cards.operate(appId, cardId, request, mutate));
  };

  if (method === 'PUT' && rest.length === 2) return updateCard(b, op);
  if (method === 'PATCH' && sub === 'settings' && rest.length === 3) return settings(b, op);
  if (method === 'POST' && sub === 'elements' && rest.length === 3) return addElements(b, op);
  if (method === 'PUT' && sub === 'elements' && elementId && leaf === 'content' && rest.length === 5)
    return streamContent(b, elementId, op);
  return undefined;
}

type Op = (req: Omit<CardOpRequest, 'sequence' | 'uuid' | 'fingerprint'>, mutate: CardMutation) => HttpReply;

function create(cards: CardStore, appId: string, b: Record<string, unknown>): HttpReply {
  // Template cards (`type:"template"`) need the card builder's templates, which the fake has not got.
  if (b.type !== 'card_json') return invalid('type must be "card_json" (template cards are not supported by fake-lark)');
  const parsed = parseCardJson(b.data);
  if (!parsed.ok) return apiError(parsed.code, parsed.msg);
  return ok({ card_id: cards.create(appId, parsed.card).cardId });
}

/** Typewriter text (lark/README.md §5.11): only markdown / plain_text, only while streaming, 1–100 000 chars. */
function streamContent(b: Record<string, unknown>, elementId: string, op: Op): HttpReply {
  const content = b.content;
  if (typeof content !== 'string' || content.length < 1 || content.length > MAX_STREAM_CHARS)
    return invalid('content must be 1-100000 chars');
  return op({ kind: 'content', content, elementId }, (draft, card): MutationResult => {
    if (!card.streaming) return { code: 300309, msg: 'card streaming mode is closed; enable it with the settings API' };
    const el = findElement(draft, elementId);
    if (!el || !isStreamable(el)) return { code: 300310, msg: `element ${elementId} not found or not a markdown / plain_text element` };
    el.content = content;
    return {};
  });
}

/** `settings` = JSON string with `config` and/or `card_link`; config keys are merged into the card. */
function settings(b: Record<string, unknown>, op: Op): HttpReply {
  const parsed = parseObject(b.settings);
  if (!parsed || (!isObject(parsed.config) && !isObject(parsed.card_link)))
    return invalid('settings must be a JSON string with config and/or card_link');
  const { config, card_link: cardLink } = parsed;
  return op({ kind: 'settings' }, (draft): MutationResult => {
    if (isObject(config)) draft.config = { ...(isObject(draft.config) ? draft.config : {}), ...config };
    if (isObject(cardLink)) draft.card_link = cardLink;
    const mode = isObject(config) ? config.streaming_mode : undefined;
    return typeof mode === 'boolean' ? { streaming: mode } : {};
  });
}

/** Full replacement; a new card that asks for streaming (re)starts the auto-close clock. */
function updateCard(b: Record<string, unknown>, op: Op): HttpReply {
  const card = isObject(b.card) ? b.card : undefined;
  if (card?.type !== 'card_json') return invalid('card.type must be "card_json"');
  const parsed = parseCardJson(card.data);
  if (!parsed.ok) return apiError(parsed.code, parsed.msg);
  return op({ kind: 'update' }, (draft): MutationResult => {
    for (const key of Object.keys(draft)) delete draft[key];
    Object.assign(draft, parsed.card);
    const config = isObject(parsed.card.config) ? parsed.card.config : {};
    return { streaming: config.streaming_mode === true };
  });
}

/** `insert_before` / `insert_after` a target, or `append` to the body (or to a target container). */
function addElements(b: Record<string, unknown>, op: Op): HttpReply {
  const { type, target_element_id: target } = b;
  if (type !== 'insert_before' && type !== 'insert_after' && type !== 'append') return invalid('type');
  if (target !== undefined && typeof target !== 'string') return invalid('target_element_id');
  if (type !== 'append' && !target) return invalid('target_element_id is required for insert_before / insert_after');
  let elements: unknown;
  try {
    elements = JSON.parse(typeof b.elements === 'string' ? b.elements : '');
  } catch {
    return invalid('elements must be a JSON array string');
  }
  if (!Array.isArray(elements) || elements.length === 0 || !elements.every((e) => isObject(e) && typeof e.tag === 'string')) {
    return invalid('elements must be a non-empty array of components');
  }
  const added = elements as CardNode[];
  return op({ kind: 'elements' }, (draft): MutationResult => {
    // "Element not found" has no documented code; 300310 (the element-targeting error of lark/README.md §5.11) is the fake's choice.
    const missing = { code: 300310, msg: `target element ${String(target)} not found` };
    if (type === 'append') {
      const container = target ? findElement(draft, target) : (draft.body as CardNode | undefined);
      if (!container) return missing;
      if (!Array.isArray(container.elements)) container.elements = [];
      (container.elements as unknown[]).push(...added);
      return {};
    }
    const parent = parentArrayOf(draft, target as string);
    if (!parent) return missing;
    const index = parent.findIndex((e) => isObject(e) && e.element_id === target);
    parent.splice(type === 'insert_before' ? index : index + 1, 0, ...added);
    return {};
  });
}

function parseObject(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
