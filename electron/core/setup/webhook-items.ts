import type { SetupItem } from '@shared/contract';
import { CARD_CALLBACK, MESSAGE_EVENT, type consoleLinks } from '@shared/lark-console';
import type { WebhookEvidence, WebhookProblemReason } from '@shared/webhook';
import type { AppInfo } from '../lark/app-facts';
import { ok, problem, unknown } from './setup-items';

/**
 * The setup check of a webhook bot (`receive: webhook`, README "Webhook mode"): the console sends
 * events and card callbacks to this bot's request URL, with the message event and the card
 * callback subscribed; and what the request URL itself has seen. What the app's info does not say
 * is "could not be read" (lark/README.md §5.15: whether real answers fill `event`, `callback_info`
 * and their `request_url` is not confirmed), and what arrives decides: never a problem.
 */

type Links = ReturnType<typeof consoleLinks>;

/** What the bot has seen work, as the webhook items need it. */
export interface WebhookSeen {
  messageArrived: boolean;
  cardActionArrived: boolean;
  webhook?: WebhookEvidence;
}

/** `requestUrl`: `<public URL>/webhook/<bot id>`, undefined while Settings has no public URL. */
export function webhookConsoleItems(info: AppInfo, requestUrl: string | undefined, seen: WebhookSeen, links: Links): SetupItem[] {
  const where = requestUrl
    ? `enter ${requestUrl} as the Request URL`
    : 'enter this bot’s request URL (shown once Settings has the public URL of this server)';
  return [
    consoleItem({
      id: 'events',
      title: 'Events',
      mode: info.eventMode,
      url: info.eventRequestUrl,
      subscribed: info.events,
      wanted: MESSAGE_EVENT,
      arrived: seen.messageArrived || seen.webhook?.lastGoodAt !== undefined,
      requestUrl,
      fix: `In Events & Callbacks → Event configuration, choose “Send notifications to developer's server”, ${where}, add ${MESSAGE_EVENT}, then publish a new version.`,
      link: links.events,
      blocking: true,
      arrivedText: 'A message arrived on the request URL, so events reach the bot.',
    }),
    consoleItem({
      id: 'callback',
      title: 'Card callback',
      mode: info.callbackMode,
      url: info.callbackRequestUrl,
      subscribed: info.callbacks,
      wanted: CARD_CALLBACK,
      arrived: seen.cardActionArrived,
      requestUrl,
      fix: `Card buttons (Stop, tool approvals) will not work: in Events & Callbacks → Callback configuration, choose “Send callbacks to developer's server”, ${where}, add ${CARD_CALLBACK}, then publish a new version.`,
      link: links.callbacks,
      blocking: false,
      arrivedText: 'A card button reached the bot, so the callback works.',
    }),
  ];
}

/**
 * The app's info could not be read at all: only what arrived says anything (`viaUrl`: a webhook
 * bot, whose events arrive on the request URL).
 */
export function arrivalItems(why: string, grant: string, seen: WebhookSeen, viaUrl: boolean): SetupItem[] {
  const eventsSeen = seen.messageArrived || (viaUrl && seen.webhook?.lastGoodAt !== undefined);
  return [
    eventsSeen
      ? ok(
          'events',
          'Events',
          viaUrl
            ? 'A message arrived on the request URL, so events reach the bot.'
            : 'A message arrived, so the message event reaches the bot.',
        )
      : unknown(
          'events',
          'Events',
          `${why}. Meanwhile: the first message that arrives${viaUrl ? ' on the request URL' : ''} shows events work.`,
          grant,
        ),
    seen.cardActionArrived
      ? ok('callback', 'Card callback', 'A card button reached the bot, so the callback works.')
      : unknown(
          'callback',
          'Card callback',
          `${why}. Meanwhile: the first Stop or approval click that works shows the callback works.`,
          grant,
        ),
  ];
}

interface ConsoleCheck {
  id: 'events' | 'callback';
  title: string;
  mode: string | undefined;
  url: string | undefined;
  subscribed: string[];
  wanted: string;
  arrived: boolean;
  requestUrl: string | undefined;
  fix: string;
  link: string;
  blocking: boolean;
  arrivedText: string;
}

function consoleItem(c: ConsoleCheck): SetupItem {
  const kind = c.id === 'events' ? 'Events are' : 'Card clicks are';
  if (c.mode === 'websocket')
    return problem(
      c.id,
      c.title,
      `${kind} sent through the long connection, but this bot receives them on a request URL. ${c.fix}`,
      c.link,
      c.blocking,
    );
  if (c.mode === 'webhook' && c.url !== undefined && c.requestUrl !== undefined && !sameUrl(c.url, c.requestUrl))
    return problem(
      c.id,
      c.title,
      `${kind} sent to ${c.url}, not to this bot's request URL ${c.requestUrl}. Change the Request URL in the console to ${c.requestUrl}, save, then publish a new version.`,
      c.link,
      c.blocking,
    );
  const said = c.mode !== undefined || c.subscribed.length > 0;
  if (said && !c.subscribed.includes(c.wanted) && !(c.subscribed.length === 0 && c.arrived))
    return problem(c.id, c.title, `${c.wanted} is not subscribed. ${c.fix}`, c.link, c.blocking);
  if (c.mode === 'webhook' && c.subscribed.includes(c.wanted)) {
    const text =
      c.url === undefined
        ? `${kind} sent to a request URL (which one could not be read), ${c.wanted} included.`
        : c.requestUrl === undefined
          ? `${kind} sent to ${c.url}, ${c.wanted} included (set the public URL of this server in Settings to compare it with this bot's request URL).`
          : `${kind} sent to this bot's request URL ${c.url}, ${c.wanted} included.`;
    return ok(c.id, c.title, text);
  }
  if (c.arrived) return ok(c.id, c.title, c.arrivedText);
  return unknown(
    c.id,
    c.title,
    `The app's ${c.id === 'events' ? 'event' : 'callback'} settings could not be read. Meanwhile: ${c.id === 'events' ? 'the first message that arrives on the request URL shows events work' : 'the first Stop or approval click that works shows the callback works'}.`,
    c.link,
  );
}

/** The same URL, whatever the case of its host or a trailing slash. */
function sameUrl(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      return new URL(u.trim()).href.replace(/\/+$/, '');
    } catch {
      return u.trim().replace(/\/+$/, '');
    }
  };
  return norm(a) === norm(b);
}

const REFUSED: Record<WebhookProblemReason, { text: string; fix: keyof Pick<Links, 'encryption' | 'events'> }> = {
  signature: {
    text: 'Requests reach the request URL but their signature does not match: the Encrypt Key in Kocoro does not match the console’s. Copy it again from Events & Callbacks → Encryption Strategy and paste it in the bot’s Edit dialog.',
    fix: 'encryption',
  },
  decrypt: {
    text: 'Requests reach the request URL but cannot be decrypted: the Encrypt Key in Kocoro does not match the console’s. Copy it again from Events & Callbacks → Encryption Strategy and paste it in the bot’s Edit dialog.',
    fix: 'encryption',
  },
  token: {
    text: 'Requests reach the request URL but carry another Verification Token: the Verification Token in Kocoro does not match the console’s. Copy it again from Events & Callbacks → Encryption Strategy and paste it in the bot’s Edit dialog.',
    fix: 'encryption',
  },
  timestamp: {
    text: 'Requests reach the request URL with a timestamp more than a day old or minutes ahead of this server’s clock, and are refused: check the server’s clock (NTP). A proxy that holds requests back can cause it too.',
    fix: 'events',
  },
};

/**
 * What the request URL has received (the webhook endpoint's record of the bot): nothing yet, the
 * last request verified, or the last refusal with its reason, when it is newer than the last good one.
 */
export function requestsItem(requestUrl: string | undefined, webhook: WebhookEvidence | undefined, links: Links): SetupItem {
  const title = 'Requests from the platform';
  const last = webhook?.lastProblem;
  if (last && (webhook?.lastGoodAt === undefined || last.at > webhook.lastGoodAt)) {
    const refused = REFUSED[last.reason];
    return problem('requests', title, refused.text, links[refused.fix]);
  }
  if (webhook?.lastGoodAt !== undefined)
    return ok('requests', title, `Signed requests from the platform arrive${requestUrl ? ` at ${requestUrl}` : ''} and are verified.`);
  const url = requestUrl
    ? `the Request URL under Event configuration and Callback configuration is ${requestUrl}`
    : 'Settings has the public URL of this server, and the console’s Request URL is this bot’s request URL';
  return unknown(
    'requests',
    title,
    `No request from the platform yet. Check that ${url}; that the server runs with --webhook and the URL reaches it (an HTTPS reverse proxy passes /webhook/ on); that a version with these settings is published; then send the bot a message.`,
  );
}
