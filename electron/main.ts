/**
 * Composition root of the desktop app: lifecycle, the main window, the app:// protocol, the
 * security policy that applies to every web contents, and IPC registration.
 *
 * Built by vite-plugin-electron to dist-electron/main.js (ESM). The runtime core (electron/core)
 * is plain Node and gets wired in here in a later task.
 */
import { app, BrowserWindow, ipcMain, nativeTheme, protocol, session, type WebContents } from 'electron';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC_CHANNELS } from '../shared/bridge';
import { APP_CSP } from '../shared/csp';
import { openExternal } from './adapters/open-external';
import { APP_ENTRY_URL, APP_SCHEME, resolveAppAsset } from './security/app-protocol';
import { assertTrustedSender, isSameRendererOrigin, rendererOriginOf } from './security/ipc-sender';

const mainDir = path.dirname(fileURLToPath(import.meta.url)); // …/dist-electron
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

// Must happen before `ready`. `standard` gives app://kocoro a real (tuple) origin, so relative
// URLs, 'self' in the CSP and same-origin module scripts work; `secure` makes it a secure context.
// Deliberately not `corsEnabled` (which would let other origins read app:// responses) nor
// `bypassCSP`.
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);
// Sandbox every renderer, including any created without explicit webPreferences.
app.enableSandbox();

/**
 * The Vite dev server, when `vite` (dev) launched us. Honoured only for an unpackaged app and
 * only on loopback, so an environment variable cannot point a shipped app at a remote page.
 */
function devServerUrl(): string | null {
  const raw = process.env.VITE_DEV_SERVER_URL;
  if (app.isPackaged || raw === undefined || raw === '') return null;
  try {
    const url = new URL(raw);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname)) return url.href;
  } catch {
    // fall through
  }
  console.warn('[main] ignoring VITE_DEV_SERVER_URL: not a loopback http(s) URL');
  return null;
}

const devUrl = devServerUrl();
const rendererUrl = devUrl ?? APP_ENTRY_URL;
const rendererOrigin = rendererOriginOf(rendererUrl);

let mainWindow: BrowserWindow | null = null;

function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 480,
    title: 'Kocoro Desktop',
    show: false,
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#1c1c1e' : '#ffffff',
    webPreferences: {
      preload: path.join(mainDir, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  win.loadURL(rendererUrl).catch((error: unknown) => console.error('[main] failed to load the UI:', error));
  return win;
}

function focusMainWindow(): void {
  if (mainWindow === null || mainWindow.isDestroyed()) {
    mainWindow = createMainWindow();
    return;
  }
  if (mainWindow.isMinimized()) mainWindow.restore();
  mainWindow.show();
  mainWindow.focus();
}

/** Serve dist/ on app://kocoro/, with the CSP header, refusing anything outside dist/. */
function registerAppProtocol(): void {
  const distDir = path.join(app.getAppPath(), 'dist');
  const securityHeaders = {
    'Content-Security-Policy': APP_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
  };
  protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response(null, { status: 405, headers: securityHeaders });
    }
    const asset = resolveAppAsset(distDir, request.url);
    if (!asset.ok) return new Response(null, { status: asset.status, headers: securityHeaders });
    try {
      const body = await readFile(asset.filePath);
      return new Response(request.method === 'HEAD' ? null : body, {
        status: 200,
        headers: { ...securityHeaders, 'Content-Type': asset.contentType },
      });
    } catch {
      return new Response(null, { status: 404, headers: securityHeaders });
    }
  });
}

/** Deny every permission (camera, notifications, geolocation, …) until a feature needs one. */
function denyAllPermissions(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
}

/** Navigation and window policy for every web contents the app ever creates. */
function hardenWebContents(contents: WebContents): void {
  // Main frame: stay on our own page; an allowlisted link goes to the OS browser instead.
  contents.on('will-navigate', (event) => {
    if (isSameRendererOrigin(event.url, rendererOrigin)) return;
    event.preventDefault();
    void openExternal(event.url);
  });
  // Subframes (there should be none: CSP frame-src 'none') may not navigate anywhere else either.
  contents.on('will-frame-navigate', (event) => {
    if (event.isMainFrame || isSameRendererOrigin(event.url, rendererOrigin)) return;
    event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isSameRendererOrigin(event.url, rendererOrigin)) event.preventDefault();
  });
  // window.open / target=_blank: never a new Electron window.
  contents.setWindowOpenHandler(({ url }) => {
    void openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

function registerIpc(): void {
  // Placeholder method; the real contract (shared/) and its generic registration come later.
  // Every handler validates the sender frame first.
  ipcMain.handle(IPC_CHANNELS.getVersion, (event) => {
    assertTrustedSender(event, rendererOrigin);
    return app.getVersion();
  });
}

function onReady(): void {
  denyAllPermissions();
  registerAppProtocol();
  registerIpc();
  mainWindow = createMainWindow();
}

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the lock; it gets a 'second-instance' event and focuses its window.
  app.quit();
} else {
  app.on('second-instance', () => focusMainWindow());
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  app.on('activate', () => {
    // macOS: clicking the dock icon with no window open.
    if (app.isReady() && BrowserWindow.getAllWindows().length === 0) mainWindow = createMainWindow();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  if (devUrl !== null) {
    // vite-plugin-electron rebuilt the preload: reload the pages instead of restarting the app.
    process.on('message', (message) => {
      if (message === 'electron-vite&type=hot-reload') {
        for (const win of BrowserWindow.getAllWindows()) win.webContents.reload();
      }
    });
  }
  app
    .whenReady()
    .then(onReady)
    .catch((error: unknown) => {
      console.error('[main] startup failed:', error);
      app.exit(1);
    });
}
