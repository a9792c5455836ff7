/**
 * The main-process end of the desktop IPC transport of the contract (the preload end is
 * preload-bridge.ts): `createCallHandler()` for `ipcMain.handle('kocoro:call')` checks the sender
 * frame first, then `dispatch()` (schema validation, error envelopes). A plain function over
 * structural ports, so it is tested under Node.
 */
import { dispatch, type Handlers, type RpcReply } from '@shared/contract';
import { assertTrustedSender, type IpcSenderLike, type RendererOrigin } from '../security/ipc-sender';

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
