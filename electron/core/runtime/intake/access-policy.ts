import { type ResolvedSetting, resolveSetting } from '@shared/bot-settings';
import type { AccessConfig } from '@shared/config-schema';
import { type InboundMessage, mentionsBot } from '../../lark/inbound';

/** `access` with every default filled in (README "Who gets an answer"; the defaults are in shared/bot-settings.ts). */
export type ResolvedAccess = ResolvedSetting<'access'>;

export function resolveAccess(access: AccessConfig | undefined): ResolvedAccess {
  return resolveSetting('access', access);
}

/** Why a message gets no answer; `identity_unknown` means "cannot tell yet" (the bot's open_id is needed). */
export type RefusalCode =
  | 'own_message'
  | 'bot_sender'
  | 'bot_without_mention'
  | 'dm_not_allowed'
  | 'groups_off'
  | 'group_not_allowed'
  | 'no_mention'
  | 'identity_unknown';

export type AccessDecision = { answer: true; fromBot: boolean } | { answer: false; code: RefusalCode; reason: string };

const REASONS: Record<RefusalCode, string> = {
  own_message: 'sent by this bot itself',
  bot_sender: 'sent by a bot (access.bots is "ignore")',
  bot_without_mention: 'sent by a bot without an @mention of this bot',
  dm_not_allowed: 'direct message from someone not on the allowlist (access.dmAllow)',
  groups_off: 'group message while groups are off (access.group is "off")',
  group_not_allowed: 'group not on the allowlist (access.groupAllow)',
  no_mention: 'group message without an @mention of the bot',
  identity_unknown: 'the bot identity is unknown, so an @mention cannot be recognised',
};

const refuse = (code: RefusalCode): AccessDecision => ({ answer: false, code, reason: REASONS[code] });

/** This bot, as far as it is known: the app id always, the open_id once `bot/v3/info` answered. */
export interface SelfIdentity {
  appId: string;
  openId?: string;
}

/** Our own message: sent as our open_id, or as an app whose id is ours (the platform may name apps by app_id). */
export function isOwnMessage(message: InboundMessage, self: SelfIdentity): boolean {
  const id = message.sender.ids;
  if (self.openId && message.sender.openId === self.openId) return true;
  return message.sender.type === 'app' && (id.app_id === self.appId || id.id === self.appId);
}

/**
 * Whether the access rules let this message through. Pure: the loop guard (stateful) is separate.
 * A message from a person resets nothing here; callers tell the guard.
 */
export function checkAccess(message: InboundMessage, access: ResolvedAccess, self: SelfIdentity): AccessDecision {
  if (isOwnMessage(message, self)) return refuse('own_message');
  const fromBot = message.sender.type !== 'user';
  const { chatType, chatId } = message;
  if (fromBot && access.bots === 'ignore') return refuse('bot_sender');
  if (chatType === 'p2p') {
    if (fromBot) return refuse('bot_without_mention'); // no @mentions in a direct chat
    if (access.dm === 'allowlist' && !access.dmAllow.includes(message.sender.openId)) return refuse('dm_not_allowed');
    return { answer: true, fromBot };
  }
  if (access.group === 'off') return refuse('groups_off');
  if (access.groupAllow.length > 0 && !access.groupAllow.includes(chatId)) return refuse('group_not_allowed');
  // A bot must always @mention us; a person only when the group is in `mention` mode. `@_all` is not a mention.
  if (fromBot || access.group === 'mention') {
    if (!self.openId) return refuse('identity_unknown');
    if (!mentionsBot(message, self.openId)) return refuse(fromBot ? 'bot_without_mention' : 'no_mention');
  }
  return { answer: true, fromBot };
}

/** Consecutive bot turns answered in one chat before the bot stops answering bots there. */
export const BOT_TURN_LIMIT = 3;

/**
 * Stops two bots from talking to each other forever: after `limit` consecutive bot-authored
 * messages answered in one chat with no person speaking in between, further bot messages there
 * are ignored until a person says something in that chat.
 */
export class BotLoopGuard {
  private readonly turns = new Map<string, number>();

  /** `onChange`: the counts changed (they are kept across restarts: runtime/bot-state.ts). */
  constructor(
    readonly limit = BOT_TURN_LIMIT,
    private readonly onChange: (turns: Record<string, number>) => void = () => {},
  ) {}

  /** The counts of an earlier run. */
  restore(turns: Record<string, number>): void {
    for (const [chatId, n] of Object.entries(turns)) if (n > 0) this.turns.set(chatId, n);
  }

  /** A person spoke in the chat: bots may be answered again. */
  human(chatId: string): void {
    if (this.turns.delete(chatId)) this.changed();
  }

  /** Counts a bot turn about to be answered; false (and nothing counted) once the limit is reached. */
  admitBot(chatId: string): boolean {
    const n = this.turns.get(chatId) ?? 0;
    if (n >= this.limit) return false;
    this.turns.set(chatId, n + 1);
    this.changed();
    return true;
  }

  /** Bot turns answered in the chat since a person last spoke. */
  count(chatId: string): number {
    return this.turns.get(chatId) ?? 0;
  }

  private changed(): void {
    this.onChange(Object.fromEntries(this.turns));
  }
}
