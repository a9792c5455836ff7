import { describe, expect, it } from 'vitest';
import { isAllowedExternalLink } from './external-links';
import { consoleLinks, permissionsLink, REQUIRED_SCOPES } from './lark-console';

describe('console links', () => {
  it('pre-fills all 10 scopes of the guide in the platform format', () => {
    expect(REQUIRED_SCOPES).toHaveLength(10);
    expect(permissionsLink('feishu', 'cli_a1b2c3d4e5f60718', REQUIRED_SCOPES)).toBe(
      'https://open.feishu.cn/app/cli_a1b2c3d4e5f60718/auth?q=im:resource,contact:contact.base:readonly,contact:user.base:readonly,im:message.group_at_msg:readonly,im:message.p2p_msg:readonly,im:message:send_as_bot,im:message,cardkit:card:write,im:message:readonly,im:message.reactions:read&op_from=openapi&token_type=tenant',
    );
    expect(consoleLinks('lark', 'cli_a1b2c3d4e5f60718').permissions).toMatch(
      /^https:\/\/open\.larksuite\.com\/app\/cli_a1b2c3d4e5f60718\/auth\?q=/,
    );
  });

  it('only produces links the external-link allowlist accepts', () => {
    for (const platform of ['feishu', 'lark'] as const) {
      for (const url of Object.values(consoleLinks(platform, 'cli_a1b2c3d4e5f60718'))) expect(isAllowedExternalLink(url)).toBe(true);
    }
  });
});
