import { describe, expect, it } from 'vitest';
import { IPC_CHANNELS } from '@shared/bridge';
import { METHOD_NAMES, RpcError, type Handlers } from '@shared/contract';
import { rendererOriginOf, UntrustedSenderError, type IpcSenderLike } from '../security/ipc-sender';
import { createCallHandler } from './ipc-bridge';
import { createPreloadBridge, type IpcRendererLike } from './preload-bridge';

class FakeIpcRenderer implements IpcRendererLike {
  readonly invoked: unknown[][] = [];
  private readonly listeners = new Map<string, (event: unknown, ...args: unknown[]) => void>();
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push([channel, ...args]);
    return Promise.resolve({ ok: true, result: 'from main' });
  }
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): this {
    this.listeners.set(channel, listener);
    return this;
  }
  /** What `webContents.send(channel, ...args)` in main delivers. */
  emit(channel: string, ...args: unknown[]): void {
    this.listeners.get(channel)?.({}, ...args);
  }
}

describe('preload bridge (window.kocoro)', () => {
  it('invokes kocoro:call for contract methods only', async () => {
    const ipc = new FakeIpcRenderer();
    const bridge = createPreloadBridge(ipc);
    expect(await bridge.call('bots.list', {})).toEqual({ ok: true, result: 'from main' });
    expect(ipc.invoked).toEqual([[IPC_CHANNELS.call, 'bots.list', {}]]);
    for (const name of ['fs.readFile', '__proto__', 'constructor', '']) {
      expect(await bridge.call(name, {})).toMatchObject({ ok: false, error: { code: 'not_found' } });
    }
    expect(ipc.invoked).toHaveLength(1);
  });

  it('delivers kocoro:event by name, ignores unknown names and unsubscribes', () => {
    const ipc = new FakeIpcRenderer();
    const errors: string[] = [];
    const bridge = createPreloadBridge(ipc, (event) => errors.push(event));
    const seen: unknown[] = [];
    const off = bridge.on('bots.changed', (p) => seen.push(p));
    bridge.on('bots.changed', () => {
      throw new Error('a broken listener');
    });
    ipc.emit(IPC_CHANNELS.event, 'bots.changed', { n: 1 });
    ipc.emit(IPC_CHANNELS.event, 'agents.changed', { n: 2 });
    ipc.emit(IPC_CHANNELS.event, 'evil.event', { n: 3 });
    off();
    ipc.emit(IPC_CHANNELS.event, 'bots.changed', { n: 4 });
    expect(seen).toEqual([{ n: 1 }]);
    expect(errors).toEqual(['bots.changed', 'bots.changed']);
  });

  it('refuses to listen to events outside the contract', () => {
    const bridge = createPreloadBridge(new FakeIpcRenderer());
    expect(() => bridge.on('ipc.everything', () => {})).toThrow(TypeError);
    expect(() => bridge.on('bots.changed', 'not a function' as unknown as () => void)).toThrow(TypeError);
  });
});

describe('main-side kocoro:call handler', () => {
  const origin = rendererOriginOf('app://kocoro/index.html');
  const top = (url: string): IpcSenderLike => ({ senderFrame: { url, parent: null } });
  const handlers = {
    ...Object.fromEntries(METHOD_NAMES.map((m) => [m, () => Promise.reject(new RpcError('internal', 'unused'))])),
    'bots.remove': () => Promise.resolve({ removed: true }),
  } as unknown as Handlers;

  it('dispatches calls from our own page', async () => {
    let looked = 0;
    const handle = createCallHandler(() => {
      looked++;
      return Promise.resolve({ handlers });
    }, origin);
    expect(await handle(top('app://kocoro/index.html'), 'bots.remove', { id: 'b1' })).toEqual({ ok: true, result: { removed: true } });
    expect(await handle(top('app://kocoro/'), 'bots.remove', { id: 'Not An Id' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', field: 'id' },
    });
    expect(looked).toBe(2);
  });

  it('refuses other senders before the service is touched', async () => {
    let looked = 0;
    const handle = createCallHandler(() => {
      looked++;
      return Promise.resolve({ handlers });
    }, origin);
    await expect(handle(top('https://open.feishu.cn/'), 'bots.remove', { id: 'b1' })).rejects.toThrow(UntrustedSenderError);
    await expect(handle({ senderFrame: { url: 'app://kocoro/', parent: {} } }, 'bots.remove', { id: 'b1' })).rejects.toThrow(
      UntrustedSenderError,
    );
    await expect(handle({ senderFrame: null }, 'bots.remove', { id: 'b1' })).rejects.toThrow(UntrustedSenderError);
    expect(looked).toBe(0);
  });
});
