/**
 * What the users of one app saw, read off the fake platform's records (e2e/fakes/lark): for each
 * message sent, the answers replying to it, their order per chat, the cards' streamed text over
 * time, and every call the platform refused for a rate limit. No timing is asserted here: only what
 * a person in the chat would notice (no answer, two answers, answers out of order, a card still
 * "typing", text that shrank, someone else's answer).
 */
import type { FakeCard, FakeLarkPlatform, RateLimitHit, SentMessage } from '../fakes/lark';
import { postText } from './runtime-harness';

/** One user message the test sent. `tag` names it in its text, and the agent's answer names it back. */
export interface Asked {
  messageId: string;
  chatId: string;
  tag: string;
  pushId: string;
  /** When it was pushed. */
  at: number;
}

export interface AnswerSeen {
  replyId: string;
  cardId?: string;
  /** When the reply (the card's message, or the post) was sent. */
  beganAt: number;
  /** When the card stopped streaming (its last operation), or when the post was sent; undefined while it streams. */
  endedAt?: number;
  text: string;
}

export interface Verdict {
  messages: number;
  answered: number;
  /** Messages the platform never saw acknowledged (each gave up all its re-pushes). */
  unacked: string[];
  unanswered: string[];
  doubled: Array<{ tag: string; answers: number }>;
  /** An answer that does not name its question: someone else's answer. */
  misnamed: Array<{ tag: string; text: string }>;
  /** An answer other than the whole expected text (only with `expected`). */
  incomplete: Array<{ tag: string; text: string }>;
  /**
   * A chat whose answers began in another order than its messages were sent, where the bot could have
   * known: B (sent after A) was answered first although A had been delivered (acked) before B was begun
   * (by more than `CHOICE_LAG_MS`).
   * A message the platform delivered only later (re-pushed after a refusal) is not held against it.
   */
  outOfOrder: Array<{ chatId: string; sent: string[]; answered: string[]; pairs: string[] }>;
  /** A chat's answer began before its answer before it (by start) had ended: two at a time. */
  overlapping: Array<{ chatId: string; earlier: string; later: string; byMs: number }>;
  /** Answer cards still streaming ("typing" for ever). */
  streaming: Array<{ tag: string; cardId: string }>;
  /** A card's text that, once shown, was replaced by text that does not continue it. */
  backwards: Array<{ tag: string; cardId: string; elementId: string; before: string; after: string }>;
  refusals: RateLimitHit[];
}

export type Check = Exclude<keyof Verdict, 'messages' | 'answered'>;
export const ALL_CHECKS: Check[] = [
  'unacked',
  'unanswered',
  'doubled',
  'misnamed',
  'incomplete',
  'outOfOrder',
  'overlapping',
  'streaming',
  'backwards',
  'refusals',
];

export const isApprovalCard = (card: FakeCard): boolean =>
  JSON.stringify(card.json).includes('"kocoro":"approval"') ||
  (card.json.header as { title?: { content?: string } } | undefined)?.title?.content === 'Approval needed';

/** The answers replying to `messageId` (approval cards left out), oldest first. */
export function answersTo(fake: FakeLarkPlatform, messageId: string): AnswerSeen[] {
  return fake
    .sentMessages({ replyTo: messageId })
    .filter((m) => !(m.cardId && fake.card(m.cardId) && isApprovalCard(fake.card(m.cardId)!)))
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((m) => answerSeen(fake, m));
}

function answerSeen(fake: FakeLarkPlatform, m: SentMessage): AnswerSeen {
  if (!m.cardId) return { replyId: m.messageId, beganAt: m.createdAt, endedAt: m.createdAt, text: messageText(m) };
  const card = fake.card(m.cardId);
  const text = fake.cardText(m.cardId, 'stream_md') ?? fake.cardText(m.cardId) ?? '';
  const endedAt = card && !card.streaming ? card.ops.at(-1)!.at : undefined;
  return { replyId: m.messageId, cardId: m.cardId, beganAt: m.createdAt, ...(endedAt !== undefined ? { endedAt } : {}), text };
}

function messageText(m: SentMessage): string {
  if (m.msgType === 'post') return postText(m.content);
  try {
    return String((JSON.parse(m.content) as { text?: unknown }).text ?? m.content);
  } catch {
    return m.content;
  }
}

/**
 * Content operations on each element of a card, in order: each must continue the text before it
 * (the platform shows the difference as typing; a shorter or different text visibly goes back), and
 * the card's final text must continue the last one streamed.
 */
export function textWentBack(fake: FakeLarkPlatform, card: FakeCard): Array<{ elementId: string; before: string; after: string }> {
  const found: Array<{ elementId: string; before: string; after: string }> = [];
  const last = new Map<string, string>();
  for (const op of card.ops) {
    if (op.kind !== 'content' || op.elementId === undefined || op.content === undefined) continue;
    const before = last.get(op.elementId);
    if (before !== undefined && !op.content.startsWith(before.trimEnd()))
      found.push({ elementId: op.elementId, before, after: op.content });
    last.set(op.elementId, op.content);
  }
  for (const [elementId, before] of last) {
    const now = fake.cardText(card.cardId, elementId);
    if (now !== undefined && !now.startsWith(before.trimEnd())) found.push({ elementId, before, after: now });
  }
  return found;
}

/**
 * Seen from outside, the bot chose its next message some time before its agent's request arrived (it
 * read the chat's memory and built the turn meanwhile), and stored a message some time before its ack
 * arrived. A message delivered less than this before the next one's run began may not have been there
 * yet when the bot chose: not counted against it.
 */
export const CHOICE_LAG_MS = 100;

export interface CheckOptions {
  /** The whole answer each question must end with; without it only "names its question" is checked. */
  expected?: (tag: string) => string;
  /**
   * When the bot began working on a question (its agent run), where the test knows it: a post is sent
   * whole at the end, so only this says when the bot chose its next message. Default: the answer's send.
   */
  startedAt?: (tag: string) => number | undefined;
}

export function checkAnswers(fake: FakeLarkPlatform, asked: Asked[], opts: CheckOptions = {}): Verdict {
  const pushes = new Map(fake.pushes().map((p) => [p.pushId, p]));
  const v: Verdict = {
    messages: asked.length,
    answered: 0,
    unacked: [],
    unanswered: [],
    doubled: [],
    misnamed: [],
    incomplete: [],
    outOfOrder: [],
    overlapping: [],
    streaming: [],
    backwards: [],
    refusals: fake.rateLimitHits(),
  };
  const first = new Map<string, AnswerSeen>();
  for (const a of asked) {
    if (!pushes.get(a.pushId)?.acked) v.unacked.push(a.tag);
    const answers = answersTo(fake, a.messageId);
    if (answers.length === 0) v.unanswered.push(a.tag);
    else v.answered++;
    if (answers.length > 1) v.doubled.push({ tag: a.tag, answers: answers.length });
    for (const answer of answers) {
      if (!answer.text.includes(a.tag)) v.misnamed.push({ tag: a.tag, text: answer.text.slice(0, 120) });
      else if (opts.expected && answer.text !== opts.expected(a.tag)) v.incomplete.push({ tag: a.tag, text: answer.text.slice(0, 200) });
      const card = answer.cardId ? fake.card(answer.cardId) : undefined;
      if (!card) continue;
      if (card.streaming) v.streaming.push({ tag: a.tag, cardId: card.cardId });
      for (const back of textWentBack(fake, card)) v.backwards.push({ tag: a.tag, cardId: card.cardId, ...back });
    }
    if (answers[0]) first.set(a.messageId, answers[0]);
  }
  const chats = new Map<string, Asked[]>();
  for (const a of [...asked].sort((x, y) => x.at - y.at)) chats.set(a.chatId, [...(chats.get(a.chatId) ?? []), a]);
  for (const [chatId, sent] of chats) {
    const answered = sent.filter((a) => first.has(a.messageId));
    const began = (a: Asked) => first.get(a.messageId)!.beganAt;
    const started = (a: Asked) => Math.min(began(a), opts.startedAt?.(a.tag) ?? Infinity);
    const pairs: string[] = [];
    for (let i = 0; i < answered.length; i++) {
      for (let j = i + 1; j < answered.length; j++) {
        const [a, b] = [answered[i]!, answered[j]!];
        const aDelivered = pushes.get(a.pushId)?.ackedAt;
        if (began(b) < began(a) && aDelivered !== undefined && aDelivered < started(b) - CHOICE_LAG_MS) {
          pairs.push(
            `${b.tag} answered ${began(a) - began(b)} ms before ${a.tag}, begun ${started(b) - aDelivered} ms after ${a.tag} was delivered`,
          );
        }
      }
    }
    const byBegin = [...answered].sort((x, y) => began(x) - began(y));
    if (pairs.length) v.outOfOrder.push({ chatId, sent: answered.map((a) => a.tag), answered: byBegin.map((a) => a.tag), pairs });
    for (let i = 1; i < byBegin.length; i++) {
      const earlier = first.get(byBegin[i - 1]!.messageId)!;
      const later = first.get(byBegin[i]!.messageId)!;
      const end = earlier.endedAt ?? Infinity;
      if (later.beganAt < end) {
        v.overlapping.push({
          chatId,
          earlier: byBegin[i - 1]!.tag,
          later: byBegin[i]!.tag,
          byMs: Math.min(end, Date.now()) - later.beganAt,
        });
      }
    }
  }
  return v;
}

/** The verdict's findings among `checks`, one readable line each (empty: all held). */
export function problems(v: Verdict, checks: Check[] = ALL_CHECKS): string[] {
  const lines: string[] = [];
  for (const check of checks) {
    const found = v[check] as unknown[];
    if (found.length === 0) continue;
    const shown = found.slice(0, 8).map((f) => (typeof f === 'string' ? f : JSON.stringify(f)));
    lines.push(`${check} (${found.length}, of ${v.messages} messages): ${shown.join('; ')}${found.length > 8 ? '; …' : ''}`);
  }
  return lines;
}
