import { randomBytes } from 'node:crypto';

type Json = Record<string, unknown>;
type Answer = { code: number; msg?: string; [key: string]: unknown };

/** Card JSON's 30 KB cap (lark/README.md §5.11, 200860). */
const MAX_CARD_BYTES = 30 * 1024;

interface Entity {
  json: Json;
  lastSequence: number;
  uuids: Set<string>;
  /** The messages that show this card (a card entity is sent once, as one message). */
  messages: Set<string>;
}

/**
 * The preview's CardKit card entities (lark/README.md §5.11): created from card JSON 2.0, then
 * changed by operations whose `sequence` must grow strictly across every operation on the card
 * (300317 otherwise), a repeated `uuid` being the same operation again (done once). Enough of the
 * documented rules that a mistake in the runtime's card handling shows in a preview as it would live.
 */
export class CardEntities {
  private readonly entities = new Map<string, Entity>();

  create(body: Json): Answer {
    const json = cardJson(body);
    if (!json) return { code: 10002, msg: 'card data must be a card JSON 2.0 object' };
    if (Buffer.byteLength(JSON.stringify(json)) > MAX_CARD_BYTES) return { code: 200860, msg: 'card content exceeds the 30 KB limit' };
    const cardId = `card_pv${randomBytes(10).toString('hex')}`;
    this.entities.set(cardId, { json, lastSequence: 0, uuids: new Set(), messages: new Set() });
    return { code: 0, msg: 'success', data: { card_id: cardId } };
  }

  /** An operation on the card (content, settings): `change` edits the JSON, or says why it cannot. */
  operate(cardId: string, body: Json, change: (json: Json) => string | undefined): Answer {
    const entity = this.entities.get(cardId);
    if (!entity) return { code: 200740, msg: 'card not found' };
    const uuid = typeof body.uuid === 'string' ? body.uuid : undefined;
    if (uuid && entity.uuids.has(uuid)) return { code: 0, msg: 'success' };
    const sequence = body.sequence;
    if (typeof sequence !== 'number' || !Number.isInteger(sequence) || sequence < 1 || sequence > 2_147_483_647) {
      return { code: 10002, msg: 'sequence must be an integer in 1..2147483647' };
    }
    if (sequence <= entity.lastSequence) {
      return { code: 300317, msg: `sequence ${sequence} is not greater than the previous ${entity.lastSequence}` };
    }
    const problem = change(entity.json);
    if (problem) return { code: 300310, msg: problem };
    entity.lastSequence = sequence;
    if (uuid) entity.uuids.add(uuid);
    return { code: 0, msg: 'success' };
  }

  /** Replaces the whole card (`PUT /cards/:card_id`). */
  replace(cardId: string, body: Json): Answer {
    const json = cardJson((body.card ?? {}) as Json);
    if (!json) return { code: 10002, msg: 'card data must be a card JSON 2.0 object' };
    return this.operate(cardId, body, (current) => {
      for (const key of Object.keys(current)) delete current[key];
      Object.assign(current, json);
      return undefined;
    });
  }

  shownIn(cardId: string, messageId: string): void {
    this.entities.get(cardId)?.messages.add(messageId);
  }

  messagesOf(cardId: string): string[] {
    return [...(this.entities.get(cardId)?.messages ?? [])];
  }

  json(cardId: string): Json | undefined {
    return this.entities.get(cardId)?.json;
  }
}

/** `{type:'card_json', data:'…'}` → the card, when it is JSON 2.0. */
function cardJson(body: Json): Json | undefined {
  if (body.type !== 'card_json' || typeof body.data !== 'string') return undefined;
  try {
    const json = JSON.parse(body.data) as unknown;
    return isObject(json) && json.schema === '2.0' ? json : undefined;
  } catch {
    return undefined;
  }
}

/** Streams text into a markdown or plain_text element (`PUT …/elements/:element_id/content`). */
export function setElementContent(json: Json, elementId: string, content: unknown): string | undefined {
  if (typeof content !== 'string' || content.length < 1 || content.length > 100_000) return 'content must be 1 to 100,000 characters';
  const element = findElement(json, elementId);
  if (!element) return `element ${elementId} not found`;
  if (element.tag === 'markdown') element.content = content;
  else if (element.tag === 'plain_text') element.content = content;
  else return 'only markdown and plain_text elements can be streamed';
  return undefined;
}

/** `PATCH …/settings`: `{config, card_link}` merged into the card. */
export function applyCardSettings(json: Json, settings: unknown): string | undefined {
  let parsed: unknown;
  try {
    parsed = typeof settings === 'string' ? JSON.parse(settings) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!isObject(parsed)) return 'settings must be a JSON object string';
  if (isObject(parsed.config)) json.config = { ...(isObject(json.config) ? json.config : {}), ...parsed.config };
  if (isObject(parsed.card_link)) json.card_link = parsed.card_link;
  return undefined;
}

/** The card entity an interactive message shows (`{"type":"card","data":{"card_id":…}}`), if it shows one. */
export function cardMessageId(content: string): string | undefined {
  try {
    const parsed = JSON.parse(content) as unknown;
    if (isObject(parsed) && parsed.type === 'card' && isObject(parsed.data) && typeof parsed.data.card_id === 'string')
      return parsed.data.card_id;
  } catch {
    return undefined;
  }
  return undefined;
}

function findElement(node: unknown, elementId: string): Json | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findElement(item, elementId);
      if (found) return found;
    }
    return undefined;
  }
  if (!isObject(node)) return undefined;
  if (node.element_id === elementId) return node;
  for (const value of Object.values(node)) {
    if (typeof value === 'object' && value !== null) {
      const found = findElement(value, elementId);
      if (found) return found;
    }
  }
  return undefined;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
