import { randomBytes } from 'node:crypto';
import { apiError, isObject, ok } from './http-util.js';
import type { HttpReply } from './http-util.js';
import type { FakeReaction } from './types.js';

/**
 * `emoji_type` values the fake accepts (case-sensitive, lark/README.md §5.7): the doc's list (Typing, OnIt, OneSecond,
 * DONE, Get, LGTM, OK, THUMBSUP, THANKS, CheckMark, SMILE) plus common entries of the official emoji page.
 */
export const EMOJI_TYPES: ReadonlySet<string> = new Set([
  'Typing',
  'OnIt',
  'OneSecond',
  'DONE',
  'Get',
  'LGTM',
  'OK',
  'THUMBSUP',
  'THANKS',
  'CheckMark',
  'SMILE',
  'CrossMark',
  'ERROR',
  'Yes',
  'No',
  'MUSCLE',
  'FINGERHEART',
  'APPLAUSE',
  'FISTBUMP',
  'JIAYI',
  'BLUSH',
  'LAUGH',
  'SMIRK',
  'LOL',
  'FACEPALM',
  'LOVE',
  'WINK',
  'PROUD',
  'WITTY',
  'SMART',
  'SCOWL',
  'THINKING',
  'SOB',
  'CRY',
  'HEART',
]);

interface StoredReaction extends FakeReaction {
  messageId: string;
}

/** Reactions added (and removed) through lark/README.md §5.7, all by the bot (`operator_type:"app"`). */
export class ReactionStore {
  private readonly byId = new Map<string, StoredReaction>();

  list(messageId: string): FakeReaction[] {
    return [...this.byId.values()].filter((r) => r.messageId === messageId).map(({ messageId: _m, ...r }) => ({ ...r }));
  }

  /**
   * POST …/reactions. `messageKnown` = the message exists (231003 otherwise). Adding an emoji the bot
   * already has active on the message returns that reaction again (the fake's choice; no duplicates).
   */
  add(appId: string, messageId: string, body: unknown, messageKnown: boolean, now = Date.now()): HttpReply {
    const reactionType = isObject(body) ? body.reaction_type : undefined;
    const emojiType = isObject(reactionType) ? reactionType.emoji_type : undefined;
    if (typeof emojiType !== 'string' || !EMOJI_TYPES.has(emojiType)) return apiError(231001, 'reaction type is invalid.');
    if (!messageKnown) return apiError(231003, 'The message is not found, maybe not exist or deleted.');
    const existing = [...this.byId.values()].find(
      (r) => r.messageId === messageId && r.emojiType === emojiType && r.active && r.operatorId === appId,
    );
    const reaction: StoredReaction = existing ?? {
      reactionId: randomBytes(30).toString('base64url'),
      messageId,
      emojiType,
      operatorType: 'app',
      operatorId: appId,
      active: true,
      addedAt: now,
    };
    this.byId.set(reaction.reactionId, reaction);
    return ok(apiShape(reaction, reaction.addedAt));
  }

  /** DELETE …/reactions/:id: 231011 unknown (or already removed) id, 231010 id of another message. */
  remove(appId: string, messageId: string, reactionId: string, now = Date.now()): HttpReply {
    const reaction = this.byId.get(reactionId);
    if (!reaction || !reaction.active) return apiError(231011, 'reaction_id is invalid.');
    if (reaction.messageId !== messageId) return apiError(231010, 'The reaction does not belong to this message.');
    if (reaction.operatorId !== appId) return apiError(231007, 'Only the operator who added the reaction can delete it.');
    reaction.active = false;
    reaction.removedAt = now;
    return ok(apiShape(reaction, now));
  }
}

function apiShape(r: FakeReaction, actionTime: number): object {
  return {
    reaction_id: r.reactionId,
    operator: { operator_id: r.operatorId, operator_type: r.operatorType },
    action_time: String(actionTime),
    reaction_type: { emoji_type: r.emojiType },
  };
}
