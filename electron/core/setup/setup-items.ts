import type { SetupItem } from '@shared/contract';
import type { LarkApiError } from '../lark/errors';

/** The pieces every setup item is made of (setup-check.ts, webhook-items.ts). */

export const ok = (id: SetupItem['id'], title: string, message: string): SetupItem => ({
  id,
  state: 'ok',
  blocking: false,
  title,
  message,
});

export const unknown = (id: SetupItem['id'], title: string, message: string, link?: string): SetupItem => ({
  id,
  state: 'unknown',
  blocking: false,
  title,
  message,
  ...(link ? { link } : {}),
});

export const problem = (id: SetupItem['id'], title: string, message: string, link?: string, blocking = true): SetupItem => ({
  id,
  state: 'problem',
  blocking,
  title,
  message,
  ...(link ? { link } : {}),
});

/** A platform error in a few words: its code and message, or the network's cause. */
export function describe(e: LarkApiError): string {
  return e.code !== undefined ? `code ${e.code}: ${e.platformMessage}` : e.networkCause ? `network: ${e.networkCause}` : e.platformMessage;
}
