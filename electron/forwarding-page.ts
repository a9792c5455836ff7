/**
 * How `npm start` hands a sign-in link to the desktop's browser without putting it on a command
 * line (where every local user reads it with `ps`): a page that forwards to the link, written
 * where only this user can read it (a fresh 0700 folder from `mkdtemp`, the file 0600), whose
 * path is what the opener gets. The link's code works once, so the page is worthless after the
 * browser has used it; it is removed then, or after a while anyway.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What `headless --ui` prints: loopback, a port, a one-time code in the fragment. Nothing else is written into the page. */
const SIGN_IN_LINK = /^http:\/\/127\.0\.0\.1:\d{1,5}\/#code=[A-Za-z0-9_-]{16,256}$/;

export interface ForwardingPage {
  /** The page's path: no secret in it. */
  readonly file: string;
  /** Removes the page and its folder; safe to call more than once. */
  remove(): Promise<void>;
}

export async function writeForwardingPage(link: string, parent: string = os.tmpdir()): Promise<ForwardingPage> {
  if (!SIGN_IN_LINK.test(link)) throw new Error('not a Kocoro sign-in link');
  // mkdtemp makes the folder 0700 and its name unpredictable; 'wx' never follows a planted file.
  const dir = await fs.mkdtemp(path.join(parent, 'kocoro-open-'));
  const file = path.join(dir, 'open-kocoro.html');
  await fs.writeFile(file, page(link), { mode: 0o600, flag: 'wx' });
  let removed: Promise<void> | undefined;
  return {
    file,
    remove: () => (removed ??= fs.rm(dir, { recursive: true, force: true }).catch(() => undefined)),
  };
}

/** `location.replace` so the file does not stay in the tab's back history; the refresh and the link for browsers without scripts. */
function page(link: string): string {
  return `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=${link}">
<title>Opening Kocoro…</title>
<script>location.replace(${JSON.stringify(link)});</script>
</head>
<body><p><a href="${link}">Open Kocoro</a></p></body>
</html>
`;
}
