import type * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../log/logger';

/** Routes the SDK's own log lines into ours (warnings and errors only; the debug level prints socket URLs with tickets). */
export function sdkLogger(logger: Logger): lark.Logger {
  const write = (level: 'warn' | 'error') => (...msg: unknown[]) =>
    logger.log(level, 'sdk.log', { message: msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' ') });
  const ignore = () => {};
  return { error: write('error'), warn: write('warn'), info: ignore, debug: ignore, trace: ignore };
}
