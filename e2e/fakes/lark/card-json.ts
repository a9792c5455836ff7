import { isObject } from './http-util.js';

/** Limits of lark/README.md §5.11. */
export const MAX_CARD_BYTES = 30 * 1024;
export const MAX_ELEMENTS = 200;

export type CardNode = Record<string, unknown>;
export type CardCheck = { ok: true; card: CardNode } | { ok: false; code: number; msg: string };

const bad = (code: number, msg: string): CardCheck => ({ ok: false, code, msg });

/**
 * Every component of a card body: any object with a string `tag` below `body`, nested ones
 * (column_set, form, collapsible_panel) included. Text objects inside components count too, which
 * only matters for the 200-element limit and errs on the strict side.
 */
export function components(card: CardNode): CardNode[] {
  const out: CardNode[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) for (const v of value) walk(v);
    else if (isObject(value)) {
      if (typeof value.tag === 'string') out.push(value);
      for (const v of Object.values(value)) walk(v);
    }
  };
  walk(card.body);
  return out;
}

export const findElement = (card: CardNode, elementId: string): CardNode | undefined =>
  components(card).find((c) => c.element_id === elementId);

/** The array holding the component, for insert_before / insert_after. */
export function parentArrayOf(card: CardNode, elementId: string): unknown[] | undefined {
  let found: unknown[] | undefined;
  const walk = (value: unknown): void => {
    if (found) return;
    if (Array.isArray(value)) {
      if (value.some((v) => isObject(v) && v.element_id === elementId)) found = value;
      else for (const v of value) walk(v);
    } else if (isObject(value)) for (const v of Object.values(value)) walk(v);
  };
  walk(card.body);
  return found;
}

/** Structural rules every state of a card must satisfy (lark/README.md §5.11): element count, unique ids, update_multi. */
export function checkStructure(card: CardNode): CardCheck {
  const config = isObject(card.config) ? card.config : {};
  if (config.update_multi === false) return bad(300302, 'card config update_multi must not be false for a card entity');
  const all = components(card);
  if (all.length > MAX_ELEMENTS) return bad(300305, `card has ${all.length} elements; the limit is ${MAX_ELEMENTS}`);
  const seen = new Set<string>();
  for (const c of all) {
    if (c.element_id === undefined) continue;
    if (typeof c.element_id !== 'string' || c.element_id.length < 1 || c.element_id.length > 20) {
      return bad(300301, `invalid element_id ${JSON.stringify(c.element_id)} (1-20 chars)`);
    }
    if (seen.has(c.element_id)) return bad(300301, `duplicate element_id ${c.element_id}`);
    seen.add(c.element_id);
  }
  return { ok: true, card };
}

/**
 * A `card_json` payload (a JSON string): parses, is schema 2.0, ≤ 30 KB, and passes `checkStructure`.
 * Unparsable / non-2.0 JSON answers 200621 (the card-JSON sub-code of 230099, lark/README.md §7).
 */
export function parseCardJson(data: unknown): CardCheck {
  if (typeof data !== 'string') return bad(200621, 'card data must be a JSON string');
  if (Buffer.byteLength(data) > MAX_CARD_BYTES) return bad(200860, `card exceeds ${MAX_CARD_BYTES} bytes`);
  let card: unknown;
  try {
    card = JSON.parse(data);
  } catch {
    return bad(200621, 'parse card json err');
  }
  if (!isObject(card)) return bad(200621, 'card json must be an object');
  if (card.schema !== '2.0') return bad(200621, 'card entities support only card JSON 2.0 (schema:"2.0")');
  return checkStructure(card);
}

/** Text of a markdown / plain_text component; the first markdown one when no id is given. */
export function textOf(card: CardNode, elementId?: string): string | undefined {
  const el = elementId === undefined ? components(card).find((c) => c.tag === 'markdown') : findElement(card, elementId);
  return typeof el?.content === 'string' ? el.content : undefined;
}

export const isStreamable = (el: CardNode): boolean => el.tag === 'markdown' || el.tag === 'plain_text';
