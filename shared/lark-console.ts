import type { Platform } from './config-schema';
import { PLATFORM_DOMAIN } from './platform';

/** The 10 scopes of the user guide (step 7), in its order. */
export const REQUIRED_SCOPES = [
  'im:resource',
  'contact:contact.base:readonly',
  'contact:user.base:readonly',
  'im:message.group_at_msg:readonly',
  'im:message.p2p_msg:readonly',
  'im:message:send_as_bot',
  'im:message',
  'cardkit:card:write',
  'im:message:readonly',
  'im:message.reactions:read',
] as const;

/**
 * What each of the guide's scopes is for, in words for the person fixing it, and whether the bot
 * cannot receive or answer messages at all without it.
 */
export const SCOPE_EFFECTS: Record<(typeof REQUIRED_SCOPES)[number], { breaks: string; required: boolean }> = {
  'im:resource': { breaks: 'the agent will not get the images and files people send', required: false },
  'contact:contact.base:readonly': { breaks: 'people cannot be picked by name for the allowlists', required: false },
  'contact:user.base:readonly': { breaks: "people's names are not known to the bot", required: false },
  'im:message.group_at_msg:readonly': { breaks: 'the bot will not receive @mentions in groups', required: false },
  'im:message.p2p_msg:readonly': { breaks: 'the bot will not receive direct messages', required: false },
  'im:message:send_as_bot': { breaks: 'the bot cannot send its answers', required: true },
  'im:message': { breaks: 'the bot cannot reply or add its Typing reaction', required: true },
  'cardkit:card:write': { breaks: 'answers cannot stream into cards and arrive as plain messages', required: false },
  'im:message:readonly': { breaks: 'quoted messages and sent files cannot be read', required: false },
  'im:message.reactions:read': { breaks: 'the bot cannot see reactions on its messages', required: false },
};

/** Lets the app read its own event and callback settings and versions (the setup check); optional. */
export const SELF_MANAGE_SCOPE = 'application:application:self_manage';

export const MESSAGE_EVENT = 'im.message.receive_v1';
export const CARD_CALLBACK = 'card.action.trigger';

/**
 * The developer console is on the platform's own host even when the API goes through a custom
 * domain (a proxy or private deployment has no console of its own we could know about).
 */
export function consoleHost(platform: Platform): string {
  return PLATFORM_DOMAIN[platform];
}

/** Deep links into an app's console pages (lark/README.md §9). */
export function consoleLinks(platform: Platform, appId?: string) {
  const host = consoleHost(platform);
  const app = appId ? `${host}/app/${encodeURIComponent(appId)}` : `${host}/app`;
  return {
    appList: `${host}/app`,
    credentials: appId ? `${app}/baseinfo` : `${host}/app`,
    botCapability: appId ? `${app}/bot` : `${host}/app`,
    events: appId ? `${app}/event` : `${host}/app`,
    callbacks: appId ? `${app}/event?tab=callback` : `${host}/app`,
    encryption: appId ? `${app}/event?tab=safe` : `${host}/app`,
    /** Pre-fills the scopes in the platform's own format: comma-joined, not URL-encoded. */
    permissions: appId ? permissionsLink(platform, appId, REQUIRED_SCOPES) : `${host}/app`,
    release: appId ? `${app}/version` : `${host}/app`,
  };
}

export function permissionsLink(platform: Platform, appId: string, scopes: readonly string[]): string {
  return `${consoleHost(platform)}/app/${encodeURIComponent(appId)}/auth?q=${scopes.join(',')}&op_from=openapi&token_type=tenant`;
}
