/**
 * The headless UI's per-run access token, kept in the page: the printed link carries it in its
 * fragment (`/#token=T`, never sent to any server), and it moves to this tab's session storage at
 * once, leaving the address bar and the history. Session storage belongs to this origin alone
 * (port included), unlike a cookie, which every server on 127.0.0.1 would receive.
 */
const KEY = 'kocoro.accessToken';
const TOKEN = /^[A-Za-z0-9_-]{16,256}$/;

export function takeAccessToken(location: Location = window.location, storage: Storage = window.sessionStorage): string | undefined {
  const fromLink = /^#token=([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1];
  if (fromLink && TOKEN.test(fromLink)) {
    try {
      storage.setItem(KEY, fromLink);
    } catch {
      // Storage refused (private mode quotas): the token still works for this page load.
    }
    window.history.replaceState(null, '', `${location.pathname}${location.search}`);
    return fromLink;
  }
  try {
    return storage.getItem(KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * The printed link opened in a tab already showing the UI (after a restart, a new link) changes
 * only the fragment, so the page does not load again by itself: take the new token and reload.
 */
export function watchForNewAccessLink(): void {
  window.addEventListener('hashchange', () => {
    if (/^#token=/.test(window.location.hash) && takeAccessToken()) window.location.reload();
  });
}
