import type * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../log/logger';

const MAX_CHARS = 500;

/** The SDK logs whole axios errors (request config, sockets…): keep the part a person can act on. */
function describe(part: unknown): string {
  if (typeof part === 'string') return part;
  if (part instanceof Error) return part.message;
  // The SDK wraps some errors in arrays (even nested ones) before logging them.
  if (Array.isArray(part)) return part.map(describe).join(' ');
  if (part && typeof part === 'object') {
    const { message, code, response } = part as { message?: unknown; code?: unknown; response?: { status?: unknown; data?: unknown } };
    if (typeof message === 'string') {
      const status = response?.status !== undefined ? ` (HTTP ${String(response.status)})` : '';
      return `${message}${typeof code === 'string' ? ` [${code}]` : ''}${status}`;
    }
    try {
      return JSON.stringify(part);
    } catch {
      return String(part);
    }
  }
  return String(part);
}

/** Routes the SDK's own log lines into ours (warnings and errors only; the debug level prints socket URLs with tickets). */
export function sdkLogger(logger: Logger): lark.Logger {
  const write =
    (level: 'warn' | 'error') =>
    (...msg: unknown[]) => {
      // Redacted before it is shortened: a cut would leave the start of a secret that no longer matches.
      const full = msg.map(describe).join(' ');
      const text = logger.redact ? logger.redact(full) : full;
      logger.log(level, 'sdk.log', { message: text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text });
    };
  const ignore = () => {};
  return { error: write('error'), warn: write('warn'), info: ignore, debug: ignore, trace: ignore };
}
