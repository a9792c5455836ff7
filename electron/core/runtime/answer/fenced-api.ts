import { guardCalls } from '../../lark/paced-call';
import { ChatLeaseLost, type ChatLease } from '../stores/bot-store';

/**
 * The platform calls of an answer made under a chat lease: each refused (`ChatLeaseLost`, nothing
 * sent) once the lease is no longer known to be this process's. A process paused past its lease
 * that wakes up mid-answer sends nothing more into a card another process now writes, not even a
 * retry of a call it had started.
 */
export function fenceCalls<T extends object>(api: T, lease: Pick<ChatLease, 'chatId' | 'valid'>): T {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const check = (): void => {
        if (!lease.valid()) throw new ChatLeaseLost(lease.chatId);
      };
      return (...args: unknown[]): unknown => {
        if (!lease.valid()) return Promise.reject(new ChatLeaseLost(lease.chatId));
        // Checked again before each attempt the call makes (after a wait for room, a retry's backoff).
        return guardCalls(check, () => (value as (...a: unknown[]) => unknown).apply(target, args));
      };
    },
  });
}
