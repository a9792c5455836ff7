import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ENTRY_URL, resolveAppAsset } from './app-protocol';

describe('resolveAppAsset (POSIX paths)', () => {
  const root = '/opt/kocoro/resources/app.asar/dist';
  const p = path.posix;

  it('serves the entry and assets from inside the root', () => {
    expect(resolveAppAsset(root, APP_ENTRY_URL, p)).toEqual({
      ok: true,
      filePath: `${root}/index.html`,
      contentType: 'text/html; charset=utf-8',
    });
    expect(resolveAppAsset(root, 'app://kocoro/', p)).toMatchObject({ ok: true, filePath: `${root}/index.html` });
    expect(resolveAppAsset(root, 'app://kocoro/assets/index-abc.js?v=1#x', p)).toEqual({
      ok: true,
      filePath: `${root}/assets/index-abc.js`,
      contentType: 'text/javascript; charset=utf-8',
    });
    expect(resolveAppAsset(root, 'app://kocoro/assets/a%20b.CSS', p)).toMatchObject({
      ok: true,
      filePath: `${root}/assets/a b.CSS`,
      contentType: 'text/css; charset=utf-8',
    });
    expect(resolveAppAsset(root, 'app://kocoro/blob.bin', p)).toMatchObject({ contentType: 'application/octet-stream' });
    // a name that merely starts with two dots is still inside the root
    expect(resolveAppAsset(root, 'app://kocoro/..hidden', p)).toMatchObject({ ok: true, filePath: `${root}/..hidden` });
  });

  it.each(['app://kocoro/../../../etc/passwd', 'app://kocoro/%2e%2e/%2e%2e/etc/passwd', 'app://kocoro/%2e%2e', 'app://kocoro/%2e'])(
    'dot segments cannot climb out: %s',
    (url) => {
      const result = resolveAppAsset(root, url, p);
      // The URL parser resolves (even percent-encoded) dot segments against the URL's own root
      // before we see the path, so these land inside `root`; the point is that they never leave it.
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.filePath.startsWith(`${root}/`)).toBe(true);
    },
  );

  it.each([
    ['encoded slashes', 'app://kocoro/..%2F..%2F..%2Fetc%2Fpasswd'],
    ['encoded everything', 'app://kocoro/%2e%2e%2f%2e%2e%2fetc%2fpasswd'],
    ['sibling directory with the same prefix', 'app://kocoro/..%2Fdist-electron%2Fmain.js'],
  ])('refuses traversal: %s', (_label, url) => {
    expect(resolveAppAsset(root, url, p)).toEqual({ ok: false, status: 403 });
  });

  it.each([
    ['NUL byte', 'app://kocoro/index.html%00.png', 400],
    ['malformed escape', 'app://kocoro/%E0%A4%A', 400],
    ['not a URL', 'not a url', 400],
    ['other host', 'app://evil/index.html', 404],
    ['host with a port', 'app://kocoro:8080/index.html', 404],
    ['other scheme', 'file:///opt/kocoro/resources/app.asar/dist/index.html', 404],
    ['https', 'https://kocoro/index.html', 404],
  ])('refuses %s', (_label, url, status) => {
    expect(resolveAppAsset(root, url, p)).toEqual({ ok: false, status });
  });
});

describe('resolveAppAsset (Windows paths)', () => {
  const root = 'C:\\Program Files\\Kocoro Desktop\\resources\\app.asar\\dist';
  const w = path.win32;

  it('serves files inside the root', () => {
    expect(resolveAppAsset(root, 'app://kocoro/assets/x.js', w)).toMatchObject({
      ok: true,
      filePath: `${root}\\assets\\x.js`,
    });
  });

  it.each([
    ['encoded backslashes', 'app://kocoro/..%5C..%5C..%5CWindows%5Cwin.ini'],
    ['mixed separators', 'app://kocoro/assets%5C..%5C..%5Csecret.txt'],
    ['drive letter', 'app://kocoro/C:%5CWindows%5Cwin.ini'],
    ['other drive', 'app://kocoro/D:/data/secret.txt'],
  ])('refuses %s', (_label, url) => {
    expect(resolveAppAsset(root, url, w)).toEqual({ ok: false, status: 403 });
  });
});
