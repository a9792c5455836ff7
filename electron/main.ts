/**
 * Composition root of the desktop app: lifecycle, the main window, the tray, the app:// protocol,
 * the security policy that applies to every web contents, and the IPC transport of the contract.
 *
 * Built by vite-plugin-electron to dist-electron/main.js (ESM). Everything that works lives in
 * electron/core (plain Node); this file only wires it to Electron:
 * - the service, through bootKocoro (the start-up and shutdown shared with headless), with the
 *   safeStorage vault and the host hooks (links, start at login);
 * - `kocoro:call` (IPC invoke) → sender frame check → `dispatch()`; every EventBus event →
 *   `kocoro:event` to our windows;
 * - closing the window hides it (the bots keep running); Quit in the tray stops the service
 *   gracefully, then exits;
 * - a tool approval an agent waits for shows an OS notification, whose click opens the list.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  nativeTheme,
  Notification,
  powerMonitor,
  protocol,
  safeStorage,
  session,
  Tray,
  type NativeImage,
  type WebContents,
} from 'electron';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IPC_CHANNELS } from '../shared/bridge';
import { APP_CSP } from '../shared/csp';
import { addedApproval, approvalNotification, approvalsPageUrl } from './adapters/approval-notification';
import { createCallHandler } from './adapters/ipc-bridge';
import { openExternal } from './adapters/open-external';
import { DESKTOP_VAULT_FILE, SafeStorageVault } from './adapters/safe-storage-vault';
import { summarizeBots, trayIconPng, type TrayHealth } from './adapters/tray-status';
import type { KocoroService } from './core/api/create-service';
import { bootKocoro, type RunningKocoro, SHUTDOWN_GRACE_MS } from './core/boot/boot';
import type { HostHooks } from './core/api/host-hooks';
import type { Logger } from './core/log/logger';
import { openRotatingLog } from './core/log/rotating-file';
import { APP_ENTRY_URL, APP_SCHEME, resolveAppAsset } from './security/app-protocol';
import { isSameRendererOrigin, rendererOriginOf } from './security/ipc-sender';
import { errorMessage } from './core/log/error-message';

const mainDir = path.dirname(fileURLToPath(import.meta.url)); // …/dist-electron
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const LOG_ROTATE_BYTES = 5 * 1024 * 1024;

// Must happen before `ready`. `standard` gives app://kocoro a real (tuple) origin, so relative
// URLs, 'self' in the CSP and same-origin module scripts work; `secure` makes it a secure context.
// Deliberately not `corsEnabled` (which would let other origins read app:// responses) nor
// `bypassCSP`.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
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
/** Kept referenced: a Tray that is garbage-collected disappears from the menu bar. */
let tray: Tray | null = null;
/** Set once Quit was chosen: from then on closing a window really closes it. */
let quitting = false;
let kocoro: RunningKocoro | null = null;
let stopped = false;
let logger: Logger | null = null;

// ---------- windows ----------

/** `url`: the renderer's own page, at another route (e.g. the approvals) than its start. */
function createMainWindow(url = rendererUrl): BrowserWindow {
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
  // Closing the window hides it: the bots keep answering, the tray brings it back.
  win.on('close', (event) => {
    if (quitting) return;
    event.preventDefault();
    win.hide();
  });
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  win.loadURL(url).catch((error: unknown) => console.error('[main] failed to load the UI:', error));
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

/** The window, in front, at the Connectors page's approvals (a fragment change when the page is already loaded). */
function showApprovals(): void {
  const url = approvalsPageUrl(rendererUrl);
  if (mainWindow === null || mainWindow.isDestroyed()) {
    mainWindow = createMainWindow(url);
    return;
  }
  focusMainWindow();
  mainWindow.webContents.loadURL(url).catch((error: unknown) => console.error('[main] failed to open the approvals:', error));
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

// ---------- the service and its transport ----------

/** JSON lines to `<userData>/logs/kocoro.log` (and stdout when unpackaged), rotated by size while the app runs. */
function logWriter(dataDir: string): (line: string) => void {
  const file = openRotatingLog(path.join(dataDir, 'logs', 'kocoro.log'), LOG_ROTATE_BYTES, (error) =>
    console.error('[main] cannot write the log file:', error),
  );
  const toStdout = !app.isPackaged;
  return (line) => {
    file.write(line);
    if (toStdout) process.stdout.write(line);
  };
}

function hostHooks(): HostHooks {
  const hooks: HostHooks = { openExternal: (url) => openExternal(url) };
  // Login items exist on macOS and Windows only; elsewhere the setting is simply not offered.
  if (process.platform === 'darwin' || process.platform === 'win32') {
    hooks.getStartAtLogin = () => app.getLoginItemSettings().openAtLogin;
    hooks.setStartAtLogin = (on) => app.setLoginItemSettings({ openAtLogin: on });
  }
  return hooks;
}

async function startKocoro(): Promise<RunningKocoro> {
  const dataDir = app.getPath('userData');
  const running = await bootKocoro({
    mode: 'desktop',
    version: app.getVersion(),
    dataDir,
    writeLog: logWriter(dataDir),
    // After `ready`: before it, Linux reports the keyring backend as 'unknown'.
    openVault: (log) => SafeStorageVault.open(path.join(dataDir, DESKTOP_VAULT_FILE), safeStorage, { logger: log }),
    host: hostHooks(),
  });
  logger = running.logger;
  return running;
}

/** `kocoro:call`: only from the top frame of our own page, then validated by `dispatch()`. */
function registerIpc(ready: Promise<KocoroService>): void {
  const handleCall = createCallHandler(() => ready, rendererOrigin);
  ipcMain.handle(IPC_CHANNELS.call, (event, method: unknown, input: unknown) => handleCall(event, method, input));
}

/** Every EventBus event to every window showing our page (never to a page elsewhere). */
function forwardEvents(svc: KocoroService): void {
  svc.events.subscribe((name, payload) => {
    for (const win of BrowserWindow.getAllWindows()) {
      const contents = win.webContents;
      if (win.isDestroyed() || contents.isDestroyed()) continue;
      if (!isSameRendererOrigin(contents.getURL(), rendererOrigin)) continue;
      contents.send(IPC_CHANNELS.event, name, payload);
    }
  });
}

// ---------- notifications ----------

/** Shown notifications, referenced until they go: one that is garbage-collected loses its click handler. */
const liveNotifications = new Set<Notification>();

/** A tool approval an agent waits for: an OS notification ("Approval needed", "bash: Delete the notes file"). */
function notifyApprovals(svc: KocoroService): void {
  if (!Notification.isSupported()) return;
  svc.events.subscribe((name, payload) => {
    const added = addedApproval(name, payload);
    if (added === undefined) return;
    const notification = new Notification(approvalNotification(added));
    liveNotifications.add(notification);
    const forget = (): void => {
      liveNotifications.delete(notification);
    };
    notification.on('click', () => {
      forget();
      showApprovals();
    });
    notification.on('close', forget);
    notification.on('failed', forget);
    notification.show();
  });
}

// ---------- tray ----------

function trayImage(health: TrayHealth): NativeImage {
  const template = process.platform === 'darwin'; // the menu bar tints template images itself
  const image = nativeImage.createFromBuffer(trayIconPng(health, 32, template), { scaleFactor: 2 });
  if (template) image.setTemplateImage(true);
  return image;
}

function createTray(svc: KocoroService): void {
  const icon = new Tray(trayImage('idle'));
  tray = icon;
  let lastHealth: TrayHealth | null = null;
  const update = (): void => {
    const summary = summarizeBots(svc.statuses());
    if (summary.health !== lastHealth) icon.setImage(trayImage(summary.health));
    lastHealth = summary.health;
    icon.setToolTip(`Kocoro: ${summary.text}`);
    icon.setContextMenu(
      Menu.buildFromTemplate([
        { label: summary.text, enabled: false },
        { type: 'separator' },
        { label: 'Open Kocoro', click: () => focusMainWindow() },
        { label: 'Quit Kocoro', click: () => app.quit() },
      ]),
    );
  };
  svc.events.subscribe((name) => {
    if (name === 'bot.status' || name === 'bots.changed') update();
  });
  // Windows/Linux: a click on the icon opens the window (macOS shows the menu instead).
  if (process.platform !== 'darwin') icon.on('click', () => focusMainWindow());
  update();
}

// ---------- lifecycle ----------

function onReady(): void {
  denyAllPermissions();
  registerAppProtocol();
  const ready = startKocoro();
  registerIpc(ready.then((k) => k.service));
  mainWindow = createMainWindow();
  ready
    .then(async (k) => {
      kocoro = k;
      forwardEvents(k.service);
      createTray(k.service);
      notifyApprovals(k.service);
      // After sleep the long connections are dead but may not know it yet: reconnect now.
      powerMonitor.on('resume', () => k.service.reconnectAll());
      await k.service.start();
    })
    .catch((error: unknown) => {
      const message = errorMessage(error);
      logger?.log('error', 'runtime.start_failed', { error: message });
      dialog.showErrorBox('Kocoro could not start', message);
      quitting = true;
      app.exit(1);
    });
}

/** Quit: stop taking messages, let replies in flight finish (up to 10 s), then exit. */
function onBeforeQuit(event: Electron.Event): void {
  quitting = true;
  if (kocoro === null || stopped) return;
  event.preventDefault();
  // Belt and braces: whatever happens inside stop(), the app does exit.
  setTimeout(() => app.exit(0), SHUTDOWN_GRACE_MS + 5_000).unref();
  // A second Quit while stopping gets the same stop (bootKocoro's stop is idempotent).
  void kocoro.stop('quit').finally(() => {
    stopped = true;
    app.quit();
  });
}

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the lock; it gets a 'second-instance' event and focuses its window.
  app.quit();
} else {
  app.on('second-instance', () => focusMainWindow());
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
  app.on('activate', () => {
    // macOS: clicking the dock icon.
    if (app.isReady()) focusMainWindow();
  });
  // Windows only close for real while quitting; until then the app lives in the tray.
  app.on('window-all-closed', () => {});
  app.on('before-quit', onBeforeQuit);
  // Remove the icon explicitly: on Windows a tray icon can linger until hovered otherwise.
  app.on('will-quit', () => {
    tray?.destroy();
    tray = null;
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
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
