/**
 * The contract's method and event names without its schemas, for code that must stay small and
 * dependency-free (the preload is bundled into every window). The type checks below make a name
 * missing here, or one that is not in the contract, a compile error.
 */
import type { EventName, MethodName } from './contract';

export const METHOD_NAME_LIST = [
  'app.info',
  'app.signInLink',
  'settings.get',
  'settings.update',
  'bots.list',
  'bots.checkCredentials',
  'bots.create',
  'bots.update',
  'bots.setEnabled',
  'bots.remove',
  'bots.activity',
  'bots.searchPeople',
  'bots.searchChats',
  'bots.setup',
  'bots.held',
  'bots.resolveHeld',
  'bots.figures',
  'approvals.list',
  'registration.start',
  'registration.cancel',
  'approvals.decide',
  'agents.list',
  'agents.create',
  'agents.update',
  'agents.remove',
  'agents.test',
  'agents.health',
  'agents.kocoroAgents',
  'preview.start',
  'preview.send',
  'preview.click',
  'preview.close',
  'links.open',
] as const satisfies readonly MethodName[];

export const EVENT_NAME_LIST = [
  'bot.status',
  'bot.activity',
  'bot.setup',
  'registration',
  'bots.changed',
  'agents.changed',
  'approvals.changed',
  'agent.test',
  'settings.changed',
  'preview',
] as const satisfies readonly EventName[];

type Exhaustive<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : { missing: Exclude<All, Listed> };
const methodsComplete: Exhaustive<MethodName, (typeof METHOD_NAME_LIST)[number]> = true;
const eventsComplete: Exhaustive<EventName, (typeof EVENT_NAME_LIST)[number]> = true;
void methodsComplete;
void eventsComplete;

const METHOD_SET: ReadonlySet<string> = new Set(METHOD_NAME_LIST);
const EVENT_SET: ReadonlySet<string> = new Set(EVENT_NAME_LIST);

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && METHOD_SET.has(name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && EVENT_SET.has(name);
}
