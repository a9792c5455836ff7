import { describe, expect, it } from 'vitest';
import { EXTERNAL_LINK_HOSTS, isAllowedExternalLink, parseExternalLink } from './external-links';

describe('parseExternalLink: accepted', () => {
  it.each([
    'https://open.feishu.cn',
    'https://open.feishu.cn/',
    'https://open.feishu.cn/app',
    'https://open.feishu.cn/app/cli_a1b2c3/baseinfo',
    'https://open.larksuite.com/document/server-docs/im-v1/message/create?lang=en-US#request',
    'https://feishu.cn/',
    'https://larksuite.com/download',
    'https://www.feishu.cn/hc/zh-CN/',
    'https://www.larksuite.com/en_us/',
    'https://open.feishu.cn:443/app', // the default port, spelled out: normalised away
    'https://open.feishu.cn/search?q=%2F..%2Fetc',
  ])('%s', (raw) => {
    expect(isAllowedExternalLink(raw)).toBe(true);
  });

  it('every listed host is accepted at its root', () => {
    for (const host of EXTERNAL_LINK_HOSTS) expect(isAllowedExternalLink(`https://${host}/`)).toBe(true);
  });

  it('returns the normalised URL, which is what must be handed on', () => {
    expect(parseExternalLink('HTTPS://OPEN.FEISHU.CN/App')?.href).toBe('https://open.feishu.cn/App');
    expect(parseExternalLink('https://open.feishu.cn:443/x')?.href).toBe('https://open.feishu.cn/x');
    expect(parseExternalLink('https://open.feishu.cn/a/../b')?.href).toBe('https://open.feishu.cn/b');
  });
});

describe('parseExternalLink: rejected', () => {
  it.each([
    // wrong scheme
    ['plain http', 'http://open.feishu.cn/app'],
    ['javascript:', 'javascript:alert(1)'],
    ['javascript: dressed as a host', 'javascript://open.feishu.cn/%0aalert(1)'],
    ['data:', 'data:text/html,<script>alert(1)</script>'],
    ['file:', 'file:///etc/passwd'],
    ['custom scheme', 'lark://open.feishu.cn/'],
    ['ftp', 'ftp://open.feishu.cn/'],
    ['wss', 'wss://open.feishu.cn/'],
    // look-alike hosts
    ['allowed name as a subdomain of another host', 'https://open.feishu.cn.evil.com/'],
    ['allowed name as a prefix', 'https://evilfeishu.cn/'],
    ['allowed name in the path', 'https://evil.com/open.feishu.cn'],
    ['allowed name in the query', 'https://evil.com/?next=https://open.feishu.cn'],
    ['allowed name in the fragment', 'https://evil.com#open.feishu.cn'],
    ['unlisted subdomain', 'https://docs.feishu.cn/'],
    ['unlisted deeper subdomain', 'https://a.open.feishu.cn/'],
    ['trailing dot', 'https://open.feishu.cn./app'],
    ['IDN homoglyph (Cyrillic о)', 'https://\u043epen.feishu.cn/'],
    ['IP literal', 'https://127.0.0.1/'],
    ['IPv6 literal', 'https://[::1]/'],
    // userinfo tricks
    ['userinfo pointing at the allowed host', 'https://open.feishu.cn@evil.com/'],
    ['userinfo with password', 'https://open.feishu.cn:443@evil.com/'],
    ['credentials on the allowed host', 'https://user:pass@open.feishu.cn/'],
    ['username only on the allowed host', 'https://user@open.feishu.cn/'],
    ['fragment hiding @', 'https://evil.com#@open.feishu.cn'],
    ['backslash before @', 'https://evil.com\\@open.feishu.cn/'],
    ['backslash after host', 'https://open.feishu.cn\\@evil.com/'],
    // ports and whitespace
    ['non-default port', 'https://open.feishu.cn:8443/'],
    ['newline inside the host', 'https://open.feishu.cn\n.evil.com/'],
    ['tab inside the host', 'https://open.\tfeishu.cn/'],
    ['leading space', ' https://open.feishu.cn/'],
    ['trailing newline', 'https://open.feishu.cn/\n'],
    ['NUL byte', 'https://open.feishu.cn/\u0000'],
    ['line separator', 'https://open.feishu.cn/\u2028'],
    // not absolute
    ['protocol-relative', '//open.feishu.cn/'],
    ['relative path', '/app'],
    ['bare host', 'open.feishu.cn'],
    ['https: without slashes', 'https:open.feishu.cn'],
    ['https: with one slash', 'https:/open.feishu.cn'],
    ['empty string', ''],
    ['too long', `https://open.feishu.cn/${'a'.repeat(2100)}`],
  ])('%s', (_label, raw) => {
    expect(parseExternalLink(raw)).toBeNull();
    expect(isAllowedExternalLink(raw)).toBe(false);
  });

  it.each([undefined, null, 42, {}, ['https://open.feishu.cn/'], new URL('https://open.feishu.cn/')])('non-string input %#', (raw) => {
    expect(isAllowedExternalLink(raw)).toBe(false);
  });
});
