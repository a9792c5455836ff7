import type { AgentConfig, BotConfig } from '@shared/config-schema';
import type { SetupItem, SetupReport } from '@shared/contract';
import type { WebhookEvidence } from '@shared/webhook';
import {
  CARD_CALLBACK,
  consoleLinks,
  MESSAGE_EVENT,
  permissionsLink,
  REQUIRED_SCOPES,
  SCOPE_EFFECTS,
  SELF_MANAGE_SCOPE,
} from '@shared/lark-console';
import { PLATFORM_LABEL } from '@shared/platform';
import type { LarkApi } from '../lark/api';
import { AppFacts, type AppInfo } from '../lark/app-facts';
import { type LarkApiError, toLarkApiError } from '../lark/errors';
import { exposureItem } from './exposure';
import { describe, ok, problem, unknown } from './setup-items';
import { arrivalItems, requestsItem, webhookConsoleItems } from './webhook-items';

/** What the bot has seen work, which stands in for what the app may not read about itself. */
export interface Evidence {
  /** The bot's long connection is up now (one connection is then its own). */
  connected: boolean;
  /**
   * It came back a moment ago after losing its connection (a sleep, a network change): the platform
   * may still count the old one until it notices it is gone.
   */
  justReconnected?: boolean;
  /** A message arrived: events reach the bot. */
  messageArrived: boolean;
  /** A card button was clicked and reached the bot: the callback works. */
  cardActionArrived: boolean;
  /**
   * The app's live replicas on a shared state store (`--state`), this process's included when it
   * runs the bot: each holds one of the app's connections, so they are not "another program".
   * Absent: the state is in the data folder (this process alone); null: shared, but the state
   * store could not be read.
   */
  replicas?: number | null;
  /**
   * Webhook bots: what the request URL has seen of the bot's requests (the webhook server's record),
   * absent when no webhook server runs here.
   */
  webhook?: WebhookEvidence;
}

/** The bot as the check needs it; `requestUrl` (webhook bots): `<public URL>/webhook/<bot id>`, when Settings has the public URL. */
export type CheckedBot = Pick<BotConfig, 'id' | 'platform' | 'appId' | 'access' | 'approvers' | 'askersMayApprove' | 'receive'> & {
  requestUrl?: string;
};

/**
 * One setup check of a bot (README "Setup check"): credentials, the Bot capability, the guide's
 * scopes, the event and callback subscriptions and a published version (when the app may read its
 * own info), and another client on the app's long connection. Each failing item says what to
 * click, with the console page.
 */
export async function checkSetup(
  bot: CheckedBot,
  api: Pick<LarkApi, 'verifyCredentials' | 'botInfo' | 'getJson'>,
  evidence: Evidence,
  now: () => number = Date.now,
  /** The bot's agent: one that runs tools on this computer is checked for who can reach it. */
  agent?: Pick<AgentConfig, 'provider'>,
): Promise<SetupReport> {
  const links = consoleLinks(bot.platform, bot.appId);
  const platform = PLATFORM_LABEL[bot.platform];
  const facts = new AppFacts(api);
  const items: SetupItem[] = [];
  const exposure = agent ? exposureItem(bot, agent) : undefined;

  const credentials = await attempt(() => api.verifyCredentials());
  if (credentials) {
    // Nothing else can be asked without a token.
    items.push(
      credentials.kind === 'credentials'
        ? problem(
            'credentials',
            'Credentials',
            `${platform} refused the App ID and App Secret (${describe(credentials)}). Copy both again from Credentials & Basic Info.`,
            links.credentials,
          )
        : unknown(
            'credentials',
            'Credentials',
            `${platform} could not be asked (${describe(credentials)}); the check runs again when it answers.`,
          ),
    );
    return report(bot.id, [...items, ...(exposure ? [exposure] : [])], now);
  }
  items.push(ok('credentials', 'Credentials', 'The App ID and App Secret are accepted.'));

  const bots = await attempt(() => api.botInfo());
  items.push(
    !bots
      ? ok('bot', 'Bot capability', 'The Bot capability is on.')
      : bots.kind === 'transient' || bots.kind === 'rate_limit'
        ? unknown('bot', 'Bot capability', `Could not be checked (${describe(bots)}).`)
        : problem(
            'bot',
            'Bot capability',
            `The app has no working bot (${describe(bots)}). Turn on the Bot capability under Add Features, then publish a version.`,
            links.botCapability,
          ),
  );

  items.push(await scopesItem(bot, facts));
  items.push(...(await appInfoItems(bot, facts, evidence)));
  // A webhook bot opens no long connection: what counts is what its request URL receives.
  if (bot.receive === 'webhook') items.push(requestsItem(bot.requestUrl, evidence.webhook, links));
  else items.push(await connectionsItem(facts, evidence, platform));
  if (exposure) items.push(exposure);
  return report(bot.id, items, now);
}

async function scopesItem(bot: Pick<BotConfig, 'platform' | 'appId'>, facts: AppFacts): Promise<SetupItem> {
  let granted: Map<string, boolean>;
  try {
    granted = await facts.scopes();
  } catch (err) {
    return unknown('scopes', 'Permissions', `The permissions could not be read (${describe(toLarkApiError(err))}).`);
  }
  // A scope the current version does not ask for is as missing as one not granted.
  const missing = REQUIRED_SCOPES.filter((s) => granted.get(s) !== true);
  if (missing.length === 0) return ok('scopes', 'Permissions', `All ${REQUIRED_SCOPES.length} permissions are granted.`);
  const missingScopes = missing.map((scope) => ({ scope, ...SCOPE_EFFECTS[scope] }));
  const required =
    missingScopes.some((m) => m.required) ||
    (missing.includes('im:message.p2p_msg:readonly') && missing.includes('im:message.group_at_msg:readonly'));
  return {
    ...problem(
      'scopes',
      'Permissions',
      `${missing.length} of the ${REQUIRED_SCOPES.length} permissions ${missing.length === 1 ? 'is' : 'are'} missing: ${missingScopes.map((m) => `${m.scope} (${m.breaks})`).join('; ')}. Open the permissions page (it pre-fills exactly these), add them, then publish a new version.`,
      permissionsLink(bot.platform, bot.appId, missing),
      required,
    ),
    missingScopes,
  };
}

async function appInfoItems(bot: CheckedBot, facts: AppFacts, evidence: Evidence): Promise<SetupItem[]> {
  const links = consoleLinks(bot.platform, bot.appId);
  let info: AppInfo;
  try {
    info = await facts.appInfo();
  } catch (err) {
    const e = toLarkApiError(err);
    const grant = permissionsLink(bot.platform, bot.appId, [SELF_MANAGE_SCOPE]);
    const why =
      e.kind === 'permission'
        ? `Kocoro cannot read the app's own settings without the optional permission ${SELF_MANAGE_SCOPE} (grant it with the link to have this checked)`
        : `The app's settings could not be read (${describe(e)})`;
    return [...arrivalItems(why, grant, evidence, bot.receive === 'webhook'), unknown('version', 'Published version', `${why}.`, grant)];
  }
  const version = versionItem(info, links);
  if (bot.receive === 'webhook') return [...webhookConsoleItems(info, bot.requestUrl, evidence, links), version];
  // Whether real answers always fill `event` / `callback_info` is not confirmed (lark/README.md §5.15): when the
  // app says nothing about them, they are unknown (and what arrives decides), never a problem.
  const eventsSaid = info.eventMode !== undefined || info.events.length > 0;
  const events: SetupItem =
    info.eventMode === 'webhook'
      ? problem(
          'events',
          'Events',
          `Events are not sent through the long connection. In Events & Callbacks → Event configuration, choose "Receive events through persistent connection" (it can be saved while Kocoro is connected), add ${MESSAGE_EVENT}, then publish a new version.`,
          links.events,
        )
      : info.events.includes(MESSAGE_EVENT) || (!eventsSaid && evidence.messageArrived)
        ? ok(
            'events',
            'Events',
            eventsSaid
              ? `Events come through the long connection, ${MESSAGE_EVENT} included.`
              : 'A message arrived, so the message event reaches the bot.',
          )
        : eventsSaid
          ? problem(
              'events',
              'Events',
              `The event ${MESSAGE_EVENT} is not subscribed. In Events & Callbacks → Event configuration, add it ("Receive message"), then publish a new version.`,
              links.events,
            )
          : unknown(
              'events',
              'Events',
              `The app's event settings could not be read. Meanwhile: the first message that arrives shows events work.`,
              links.events,
            );
  const callbackSaid = info.callbackMode !== undefined || info.callbacks.length > 0;
  const callbackFix = `Card buttons (Stop, tool approvals) will not work: in Events & Callbacks → Callback configuration, choose "Receive callbacks through persistent connection" and add ${CARD_CALLBACK}, then publish a new version.`;
  const callback: SetupItem =
    info.callbackMode !== 'webhook' && (info.callbacks.includes(CARD_CALLBACK) || (!callbackSaid && evidence.cardActionArrived))
      ? ok(
          'callback',
          'Card callback',
          callbackSaid
            ? `Card clicks come through the long connection (${CARD_CALLBACK}).`
            : 'A card button reached the bot, so the callback works.',
        )
      : callbackSaid
        ? problem('callback', 'Card callback', callbackFix, links.callbacks, false)
        : unknown(
            'callback',
            'Card callback',
            `The app's callback settings could not be read. Meanwhile: the first Stop or approval click that works shows the callback works.`,
            links.callbacks,
          );
  return [events, callback, version];
}

function versionItem(info: AppInfo, links: ReturnType<typeof consoleLinks>): SetupItem {
  return info.published
    ? ok('version', 'Published version', 'A version of the app is published.')
    : problem(
        'version',
        'Published version',
        info.inReview
          ? 'A version waits for your tenant admin to approve it: nothing the console set takes effect until it is published.'
          : 'No version of the app is published: under Version Management & Release, create a version and publish it (console changes take effect only then).',
        links.release,
      );
}

async function connectionsItem(facts: AppFacts, evidence: Evidence, platform: string): Promise<SetupItem> {
  let count: number;
  try {
    count = await facts.connections();
  } catch (err) {
    return unknown('connections', 'Other programs', `Could not ask how many programs are connected (${describe(toLarkApiError(err))}).`);
  }
  const replicas = evidence.replicas ?? 0;
  // Ours: this process's connection, and one per live replica of the app (this one among them when it runs the bot).
  const own = Math.max(evidence.connected ? 1 : 0, replicas);
  if (count <= own) {
    return ok(
      'connections',
      'Other programs',
      replicas > 1
        ? `No other program is connected to this app: its ${count} connection${count === 1 ? ' is' : 's are'} Kocoro's own (${replicas} replicas on the shared state store).`
        : 'No other program is connected to this app.',
    );
  }
  const others = count - own;
  if (evidence.replicas === null) {
    return unknown(
      'connections',
      'Other programs',
      `${count} connections are counted for this app; whether they are all Kocoro's replicas could not be read from the state store: checked again later.`,
    );
  }
  if (evidence.justReconnected) {
    return unknown(
      'connections',
      'Other programs',
      `${count} connections are counted for this app. Just after a reconnect one of them can be this computer's old connection, which ${platform} drops within minutes: checked again then.`,
    );
  }
  return problem(
    'connections',
    'Other programs',
    `Another program is connected to this app${others > 1 ? ` (${others} of them)` : ''}${replicas > 1 ? `, besides Kocoro's ${replicas} replicas on the shared state store` : ''}; ${platform} will split the messages between it and Kocoro. It might be a Kocoro Cloud install, an OpenClaw gateway, or Kocoro on another computer${replicas > 0 ? ' that does not share this state store' : ''}: stop it there, or use another app for this bot.`,
  );
}

async function attempt(fn: () => Promise<unknown>): Promise<LarkApiError | undefined> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    return toLarkApiError(err);
  }
}

function report(botId: string, items: SetupItem[], now: () => number): SetupReport {
  const problems = items.filter((i) => i.state === 'problem');
  return { botId, checkedAt: now(), items, problems: problems.length, blocking: problems.some((p) => p.blocking) };
}
