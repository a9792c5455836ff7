import * as lark from '@larksuiteoapi/node-sdk';
import type { ConnectionState } from '@shared/bot-status';
import type { Logger } from '../log/logger';
import { withTimeout } from './http';
import { sdkLogger } from './sdk-logger';

export interface ConnectionHandlers {
  /** Must settle fast: the platform counts an ack later than 3 s as a failure (lark/README.md §2.8, §2.9). */
  onEvent: (eventType: string, data: unknown) => Promise<unknown>;
  eventTypes: string[];
}

export interface ConnectionOptions {
  appId: string;
  appSecret: string;
  domain: string;
  logger: Logger;
  onState: (state: ConnectionState, reason?: string) => void;
  /** Seconds of silence after a ping before the socket is presumed dead (SDK `wsConfig.pingTimeout`). */
  pingTimeoutSec?: number;
  handshakeTimeoutMs?: number;
}

/** One long connection (WebSocket) to the Open Platform through the official SDK's WSClient. */
export class LarkConnection {
  private client: lark.WSClient | undefined;

  constructor(private readonly opts: ConnectionOptions) {}

  start(handlers: ConnectionHandlers): void {
    const { opts } = this;
    const dispatcher = new lark.EventDispatcher({ loggerLevel: lark.LoggerLevel.error, logger: sdkLogger(opts.logger) });
    const handles: Record<string, (data: unknown) => Promise<unknown>> = {};
    for (const type of handlers.eventTypes) handles[type] = (data) => handlers.onEvent(type, data);
    dispatcher.register(handles);

    opts.onState('connecting');
    this.client = new lark.WSClient({
      appId: opts.appId,
      appSecret: opts.appSecret,
      domain: opts.domain,
      loggerLevel: lark.LoggerLevel.warn,
      logger: sdkLogger(opts.logger),
      httpInstance: withTimeout(15_000),
      autoReconnect: true,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 10_000,
      wsConfig: { pingTimeout: opts.pingTimeoutSec ?? 30 },
      onReady: () => opts.onState('connected'),
      onReconnected: () => opts.onState('connected'),
      onReconnecting: () => opts.onState('reconnecting', 'connection lost, reconnecting'),
      onError: (err) => opts.onState('failed', describeConnectError(err)),
    });
    void this.client.start({ eventDispatcher: dispatcher });
  }

  /** Reconnect now instead of waiting for the watchdog, e.g. after the machine wakes up. */
  restart(handlers: ConnectionHandlers): void {
    this.stop();
    this.start(handlers);
  }

  stop(): void {
    this.client?.close({ force: true });
    this.client = undefined;
  }
}

const DISCOVERY_ERRORS: Record<number, string> = {
  403: 'the app is forbidden from connecting (banned or disabled)',
  514: "the platform rejected the app's credentials",
  1000040344: 'no credential was sent',
  1000040345: 'the platform is busy; try again later',
  1000040346: 'the App ID is unknown or the App Secret is wrong',
  1000040350: 'too many connections for this app (50 max): other clients may be using the same app',
  1000040351: 'wrong platform for this app: a Lark app must use Lark, a Feishu app must use Feishu',
};

/** The SDK's terminal errors are strings like "pullConnectConfig failed: code=1000040346, msg=…". */
export function describeConnectError(err: Error): string {
  const m = /code=(\d+)(?:, msg=(.*))?/.exec(err.message);
  if (!m) return err.message;
  const code = Number(m[1]);
  const words = DISCOVERY_ERRORS[code];
  return words ? `${words} (code ${code})` : `connection refused by the platform: ${m[2] ?? ''} (code ${code})`;
}
