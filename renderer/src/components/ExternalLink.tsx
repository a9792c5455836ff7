import type { MouseEvent, ReactNode } from 'react';
import { useClient } from '../api/ClientContext';
import { cx } from '../lib/cx';
import { Icon } from './Icon';

/**
 * A link to the Lark / Feishu console or docs. In the browser (headless UI) it is a plain new-tab
 * link; in the desktop app the shell blocks navigation, so the click goes through `links.open`,
 * which hands the (allowlisted) URL to the system browser.
 */
export function ExternalLink({ href, children, className }: { href: string; children: ReactNode; className?: string }) {
  const client = useClient();
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (window.kocoro === undefined) return;
    event.preventDefault();
    client.call('links.open', { url: href }).catch(() => {
      // Not allowlisted or the shell refused: nothing sensible to fall back to inside Electron.
    });
  };
  return (
    <a href={href} target="_blank" rel="noopener noreferrer" onClick={onClick} className={cx('external-link', className)}>
      {children}
      <Icon name="external" className="external-link__icon" />
    </a>
  );
}
