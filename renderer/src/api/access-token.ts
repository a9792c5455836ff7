/**
 * How a headless UI tab signs in. A sign-in link (`/#code=C`) carries a one-time code in its
 * fragment, which no server ever receives. The page takes it out of the address bar and this
 * history entry at once, then trades it with `POST /api/session` for the per-run session token
 * (electron/server/session-endpoint.ts). The token stays in this tab's session storage, which
 * belongs to this origin alone (port included), unlike a cookie, which every server on 127.0.0.1
 * would receive; it never appears in a URL.
 */
const KEY = 'kocoro.accessToken';
const CODE_IN_LINK = /^#code=(.*)$/;
const CODE = /^[A-Za-z0-9_-]{16,256}$/;
const TOKEN = /^[A-Za-z0-9_-]{16,256}$/;

/** Why this tab is not signed in: no link at all, a link that does not work, too many wrong ones, no answer. */
export type SignInProblem = 'missing' | 'refused' | 'too_many' | 'unreachable';

export type SignIn = { token: string; problem?: undefined } | { token?: string; problem: SignInProblem };

/** The code of a sign-in link in the address bar, which is left without it; `''` for a malformed one. */
export function takeSignInCode(location: Location = window.location, history: History = window.history): string | undefined {
  const match = CODE_IN_LINK.exec(location.hash);
  if (!match) return undefined;
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  const code = match[1] ?? '';
  return CODE.test(code) ? code : '';
}

/** The session token a sign-in code is worth, or why there is none. */
export async function tradeSignInCode(code: string, doFetch: typeof fetch = globalThis.fetch.bind(globalThis), base = ''): Promise<SignIn> {
  if (code === '') return { problem: 'refused' };
  let res: Response;
  try {
    res = await doFetch(`${base}/api/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    return { problem: 'unreachable' };
  }
  if (res.status === 429) return { problem: 'too_many' };
  if (!res.ok) return { problem: res.status >= 500 ? 'unreachable' : 'refused' };
  const reply = (await res.json().catch(() => null)) as { ok?: unknown; result?: { token?: unknown } } | null;
  const token = reply?.ok === true ? reply.result?.token : undefined;
  return typeof token === 'string' && TOKEN.test(token) ? { token } : { problem: 'unreachable' };
}

/**
 * This tab's sign-in: a link's code traded for the token (kept for the tab's reloads), else the
 * token kept earlier. A link that does not work still reports the kept token, so the page can offer
 * to go on with it.
 */
export async function signIn(storage: Storage = window.sessionStorage): Promise<SignIn> {
  const code = takeSignInCode();
  const kept = storedToken(storage);
  if (code === undefined) return kept ? { token: kept } : { problem: 'missing' };
  const traded = await tradeSignInCode(code);
  if (traded.problem) return kept ? { problem: traded.problem, token: kept } : traded;
  try {
    storage.setItem(KEY, traded.token);
  } catch {
    // Storage refused (private mode quotas): the token still works for this page load.
  }
  return traded;
}

function storedToken(storage: Storage): string | undefined {
  try {
    const token = storage.getItem(KEY) ?? undefined;
    return token && TOKEN.test(token) ? token : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A sign-in link opened in a tab already showing the UI (after a restart, a new link) changes
 * only the fragment, so the page does not load again by itself: load it again, which signs in.
 */
export function watchForNewSignInLink(): void {
  window.addEventListener('hashchange', () => {
    if (CODE_IN_LINK.test(window.location.hash)) window.location.reload();
  });
}
