/**
 * The one place where the app hands a URL to the operating system. Everything that wants to open
 * a link in the user's browser (window.open, link clicks, future IPC) goes through here.
 *
 * The check itself is pure and tested: shared/external-links.ts.
 */
import { shell } from 'electron';
import { parseExternalLink } from '@shared/external-links';

/** Open `raw` in the default browser if it is an allowlisted https link; report whether it was. */
export async function openExternal(raw: unknown): Promise<boolean> {
  const url = parseExternalLink(raw);
  if (url === null) {
    console.warn('[open-external] refused a link that is not an allowlisted https Lark/Feishu URL');
    return false;
  }
  try {
    // The normalised href that was checked, never the caller's original string.
    await shell.openExternal(url.href);
    return true;
  } catch (error) {
    console.warn('[open-external] the operating system could not open the link:', error);
    return false;
  }
}
