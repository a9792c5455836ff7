/**
 * Both ends of the desktop IPC transport of the contract, as plain functions over structural
 * ports, so they are tested under Node (the preload and main.ts only plug in `ipcRenderer` and
 * the service):
 * - preload side: `createPreloadBridge(ipcRenderer)` → `window.kocoro = { call, on }`; names are
 *   checked against the contract before ipcRenderer is touched;
 * - main side: `createCallHandler()` for `ipcMain.handle('kocoro:call')`: sender frame first,
 *   then `dispatch()` (schema validation, error envelopes).
 */
import { IPC_CHANNELS, type KocoroBridge } from '../../shared/bridge';
import { dispatch, isEventName, isMethodName, type Handlers, type RpcReply } from '../../shared/contract';
import { assertTrustedSender, type IpcSenderLike, type RendererOrigin } from '../security/ipc-sender';

/** The part of `ipcRenderer` the preload uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function createPreloadBridge(ipc: IpcRendererLike, onListenerError: (event: string, error: unknown) => void = () => {}): KocoroBridge {
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

/**
 * The `kocoro:call` handler. An untrusted sender (another origin, a subframe, a destroyed frame)
 * makes it throw, which rejects the renderer's `invoke`, before the service is even looked at.
 */
export function createCallHandler(
  service: () => Promise<{ handlers: Handlers }>,
  origin: RendererOrigin,
): (event: IpcSenderLike, method: unknown, input: unknown) => Promise<RpcReply<unknown>> {
  return async (event, method, input) => {
    assertTrustedSender(event, origin);
    const { handlers } = await service();
    return dispatch(handlers, method, input);
  };
}
