import type { AgentConfig, BotConfig } from '@shared/config-schema';
import type { SetupItem } from '@shared/contract';
import { resolveAccess } from '../runtime/intake/access-policy';

/**
 * Agents whose work runs on this computer, with its owner's files and accounts: a Kocoro agent's
 * tools (bash, file writes, computer use) and a local program. A model behind an API runs nothing here.
 */
export function runsToolsHere(agent: Pick<AgentConfig, 'provider'>): boolean {
  return agent.provider.type === 'kocoro' || agent.provider.type === 'command';
}

/**
 * The setup check's "who can run tools on this computer" (README "Security"): a warning, never
 * blocking, when such an agent answers everyone in the organization — any member may DM the bot
 * (`dm: open`, the default), or add it to any group and @mention it (no group allowlist). The
 * words say what still protects the owner (approvers decide each tool of a Kocoro agent) and how
 * to narrow it (Access). Undefined for agents that run nothing here.
 */
export function exposureItem(
  bot: Pick<BotConfig, 'access' | 'approvers' | 'askersMayApprove'>,
  agent: Pick<AgentConfig, 'provider'>,
): SetupItem | undefined {
  if (!runsToolsHere(agent)) return undefined;
  const access = resolveAccess(bot.access);
  const openDm = access.dm === 'open';
  const openGroups = access.group !== 'off' && access.groupAllow.length === 0;
  const title = 'Who can use tools on this computer';
  if (!openDm && !openGroups) {
    return {
      id: 'exposure',
      state: 'ok',
      blocking: false,
      title,
      message: 'Only the people and groups on the bot’s allowlists can ask its agent for anything.',
    };
  }
  const who =
    openDm && openGroups
      ? 'anyone in the organization, in a direct message or any group'
      : openDm
        ? 'anyone in the organization, in a direct message'
        : 'any group the bot is added to';
  const guard =
    agent.provider.type === 'command'
      ? 'Its agent is a program on this computer: whatever it does, it does for whoever asks.'
      : bot.askersMayApprove
        ? 'Its Kocoro agent runs tools on this computer, and the person who asks may allow their own requests.'
        : (bot.approvers ?? []).length > 0
          ? 'Its Kocoro agent runs tools on this computer; only the bot’s approvers may allow each one.'
          : 'Its Kocoro agent runs tools on this computer; with no approvers yet, each one waits for you in the app.';
  return {
    id: 'exposure',
    state: 'problem',
    blocking: false,
    title,
    message: `This bot answers ${who}. ${guard} To narrow who can ask, edit the bot's Access (an allowlist of people and groups).`,
  };
}
