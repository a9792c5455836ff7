/**
 * Runs in the sandboxed renderer before the page; built to dist-electron/preload.cjs
 * (sandboxed preloads cannot be ES modules).
 *
 * Exposes a fixed set of functions as `window.kocoro`, never `ipcRenderer` itself (which would
 * let the page send anything on any channel and listen to everything).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { IPC_CHANNELS, type KocoroBridge } from '../shared/bridge';

const kocoro: KocoroBridge = {
  getVersion: () => ipcRenderer.invoke(IPC_CHANNELS.getVersion) as Promise<string>,
};

contextBridge.exposeInMainWorld('kocoro', kocoro);
