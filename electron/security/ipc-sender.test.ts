import { describe, expect, it } from 'vitest';
import {
  assertTrustedSender,
  isSameRendererOrigin,
  isTrustedSender,
  rendererOriginOf,
  UntrustedSenderError,
  type IpcSenderLike,
} from './ipc-sender';

const top = (url: string): IpcSenderLike => ({ senderFrame: { url, parent: null } });
const child = (url: string): IpcSenderLike => ({ senderFrame: { url, parent: {} } });

describe('IPC sender validation', () => {
  const app = rendererOriginOf('app://kocoro/index.html');
  const dev = rendererOriginOf('http://localhost:5173/');

  it('the origin of app:// is "null", which is why protocol and host are compared', () => {
    expect(new URL('app://kocoro/index.html').origin).toBe('null');
    expect(new URL('app://evil/index.html').origin).toBe('null');
    expect(app).toEqual({ protocol: 'app:', host: 'kocoro' });
  });

  it('accepts the top frame of our own page', () => {
    expect(isTrustedSender(top('app://kocoro/index.html'), app)).toBe(true);
    expect(isTrustedSender(top('app://kocoro/settings?x=1#y'), app)).toBe(true);
    expect(isTrustedSender(top('http://localhost:5173/'), dev)).toBe(true);
    expect(() => assertTrustedSender(top('app://kocoro/'), app)).not.toThrow();
  });

  it.each([
    ['another app:// host', 'app://evil/index.html'],
    ['a host that extends ours', 'app://kocoro.evil/index.html'],
    ['file://', 'file:///opt/kocoro/dist/index.html'],
    ['https page', 'https://open.feishu.cn/'],
    ['http with our host name', 'http://kocoro/'],
    ['about:blank', 'about:blank'],
    ['empty url', ''],
    ['garbage', 'not a url'],
  ])('refuses %s', (_label, url) => {
    expect(isTrustedSender(top(url), app)).toBe(false);
    expect(() => assertTrustedSender(top(url), app)).toThrow(UntrustedSenderError);
  });

  it('refuses another dev-server port and another loopback name', () => {
    expect(isTrustedSender(top('http://localhost:5174/'), dev)).toBe(false);
    expect(isTrustedSender(top('http://127.0.0.1:5173/'), dev)).toBe(false);
    expect(isTrustedSender(top('https://localhost:5173/'), dev)).toBe(false);
  });

  it('refuses subframes, even on our own origin, and missing frames', () => {
    expect(isTrustedSender(child('app://kocoro/index.html'), app)).toBe(false);
    expect(isTrustedSender({ senderFrame: null }, app)).toBe(false);
  });

  it('rendererOriginOf refuses URLs without a host', () => {
    expect(() => rendererOriginOf('about:blank')).toThrow();
    expect(() => rendererOriginOf('nope')).toThrow();
    expect(isSameRendererOrigin('app://kocoro/x', app)).toBe(true);
  });
});
