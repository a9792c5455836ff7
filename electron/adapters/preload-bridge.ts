/**
 * The preload end of the desktop IPC transport: `createPreloadBridge(ipcRenderer)` →
 * `window.kocoro = { call, on }`, with names checked against the contract before ipcRenderer is
 * touched. It imports only the contract's names (no schemas), keeping the preload bundle small;
 * inputs are validated in the main process by `dispatch()`, the trust boundary.
 */
import { IPC_CHANNELS, type KocoroBridge } from '@shared/bridge';
import type { RpcReply } from '@shared/contract';
import { isEventName, isMethodName } from '@shared/contract-names';

/** The part of `ipcRenderer` the preload uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function createPreloadBridge(
  ipc: IpcRendererLike,
  onListenerError: (event: string, error: unknown) => void = () => {},
): KocoroBridge {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();

  // One IPC listener for all events; the page's listeners hang off it by name.
  ipc.on(IPC_CHANNELS.event, (_event, name, payload) => {
    if (!isEventName(name)) return;
    for (const listener of [...(listeners.get(name) ?? [])]) {
      try {
        listener(payload);
      } catch (error) {
        onListenerError(name, error);
      }
    }
  });

  return {
    call(method: string, input: unknown): Promise<RpcReply<unknown>> {
      if (!isMethodName(method)) {
        return Promise.resolve({ ok: false, error: { code: 'not_found', message: `unknown method ${String(method)}` } });
      }
      return ipc.invoke(IPC_CHANNELS.call, method, input) as Promise<RpcReply<unknown>>;
    },
    on(event: string, listener: (payload: unknown) => void): () => void {
      if (!isEventName(event)) throw new TypeError(`unknown event ${String(event)}`);
      if (typeof listener !== 'function') throw new TypeError('listener must be a function');
      // One entry per registration (the same function registered twice needs two unsubscribes).
      const entry = (payload: unknown): void => listener(payload);
      let set = listeners.get(event);
      if (set === undefined) listeners.set(event, (set = new Set()));
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
  };
}
