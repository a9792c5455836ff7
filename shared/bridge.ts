/**
 * The desktop bridge: what electron/preload.ts exposes as `window.kocoro`, and the IPC channels
 * behind it. Deliberately untyped at this boundary (`string`, `unknown`): the page is not trusted
 * to respect TypeScript, so the preload checks names with `isMethodName`/`isEventName` and the
 * main process validates inputs with the contract's schemas (`dispatch()`). The typed
 * `KocoroClient` (renderer/src/api/client.ts) is built on top of it.
 *
 * Pure: no Electron, no Node APIs.
 */
import type { RpcReply } from './contract';

export const IPC_CHANNELS = {
  /** renderer → main, `ipcRenderer.invoke(call, method, input)` → `RpcReply`. */
  call: 'kocoro:call',
  /** main → renderer, `webContents.send(event, name, payload)` for every EventBus event. */
  event: 'kocoro:event',
} as const;

export interface KocoroBridge {
  /** Resolves with the reply envelope (errors included); rejects only if the call was refused. */
  call(method: string, input: unknown): Promise<RpcReply<unknown>>;
  /** Listen to one push event; returns the unsubscribe function. */
  on(event: string, listener: (payload: unknown) => void): () => void;
}
