/**
 * Content-Security-Policy of the renderer. One definition, three uses:
 * - `APP_CSP`: the response header on every `app://` response (electron/main.ts);
 * - `APP_CSP_META`: the `<meta http-equiv>` in renderer/index.html (checked at build time by
 *   vite.config.ts and by shared/csp.test.ts, so the two cannot drift apart);
 * - `DEV_CSP_META`: what the Vite dev server puts in that meta instead (HMR needs inline
 *   scripts/styles and a WebSocket). Never used for `app://`.
 *
 * Pure: no Electron, no Node APIs.
 */

type Directives = Readonly<Record<string, readonly string[]>>;

const PRODUCTION: Directives = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  // 'self' also covers ws:/wss: to the same host (CSP Level 3): the headless UI's WebSocket.
  'connect-src': ["'self'"],
  'manifest-src': ["'self'"],
  'object-src': ["'none'"],
  'frame-src': ["'none'"],
  'worker-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/** Directives a browser ignores (with a console warning) when the policy comes from a meta tag. */
const IGNORED_IN_META = new Set(['frame-ancestors', 'report-uri', 'report-to', 'sandbox']);

const DEV_OVERRIDES: Directives = {
  // @vitejs/plugin-react injects an inline module script (the Fast Refresh preamble), and Vite
  // injects imported CSS as <style> elements.
  'script-src': ["'self'", "'unsafe-inline'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'connect-src': ["'self'", 'ws://localhost:*', 'ws://127.0.0.1:*'], // CSP has no syntax for IPv6 hosts
};

export function serializeCsp(directives: Directives): string {
  return Object.entries(directives)
    .map(([name, values]) => [name, ...values].join(' '))
    .join('; ');
}

function forMeta(directives: Directives): Directives {
  return Object.fromEntries(Object.entries(directives).filter(([name]) => !IGNORED_IN_META.has(name)));
}

/** Header value for `app://` responses. */
export const APP_CSP = serializeCsp(PRODUCTION);
/** The same policy as a `<meta http-equiv="Content-Security-Policy">` can carry it. */
export const APP_CSP_META = serializeCsp(forMeta(PRODUCTION));
/** Dev-server only (loopback, `vite` serve): the production policy plus what HMR needs. */
export const DEV_CSP_META = serializeCsp(forMeta({ ...PRODUCTION, ...DEV_OVERRIDES }));
