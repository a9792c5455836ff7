/**
 * Runs in the sandboxed renderer before the page; built to dist-electron/preload.cjs
 * (sandboxed preloads cannot be ES modules).
 *
 * Exposes exactly `window.kocoro = { call, on }` (shared/bridge.ts), never `ipcRenderer` itself
 * (which would let the page send anything on any channel and listen to everything). Method and
 * event names are checked against the contract before ipcRenderer is touched
 * (adapters/preload-bridge.ts); inputs are validated in the main process by `dispatch()`, which is
 * the trust boundary.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadBridge } from './adapters/preload-bridge';

const kocoro = createPreloadBridge(ipcRenderer, (event, error) => console.error(`[kocoro] a listener for ${event} threw:`, error));

contextBridge.exposeInMainWorld('kocoro', kocoro);
