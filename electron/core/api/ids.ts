import type { Platform } from '@shared/config-schema';

const MAX_ID = 64;

/** `feishu-a1b2c3d4` for app `cli_a1b2c3d4…`: recognisable in the data folder, stable for one app. */
export function botIdFor(platform: Platform, appId: string, taken: (id: string) => boolean): string {
  return unique(`${platform}-${appId.slice(4, 12).toLowerCase()}`, taken);
}

/**
 * A slug of the agent's name ("Café Helper" → `cafe-helper`); names with nothing ASCII in them
 * (e.g. "助手") become `agent-<n>`.
 */
export function agentIdFor(name: string, taken: (id: string) => boolean): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    // Room for a "-<n>" suffix within the 64 characters an id may have.
    .slice(0, MAX_ID - 8)
    .replace(/-+$/, '');
  if (slug) return unique(slug, taken);
  for (let n = 1; ; n++) if (!taken(`agent-${n}`)) return `agent-${n}`;
}

function unique(base: string, taken: (id: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!taken(candidate)) return candidate;
  }
}
