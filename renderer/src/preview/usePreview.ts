import { useCallback, useEffect, useRef, useState } from 'react';
import type { Platform } from '@shared/config-schema';
import type { PreviewAttachment, PreviewChat, PreviewMessage, PreviewSession, PreviewToast } from '@shared/preview';
import { useClient, useEvent } from '../api/ClientContext';

/** What a preview is of: an existing bot (Preview), or an agent on a platform (Try it). */
export interface PreviewTarget {
  botId?: string;
  agentId?: string;
  platform?: Platform;
}

export interface PreviewState {
  session: PreviewSession | null;
  /** Why it could not start (or send), to show; null when fine. */
  error: unknown;
  /** The preview ended on the core's side (closed elsewhere, idle, the app stopping). */
  ended: boolean;
  /** Both chats' messages, in the order they were first seen. */
  messages: PreviewMessage[];
  send: (chat: PreviewChat, text: string, mention: boolean, attachment?: PreviewAttachment) => Promise<void>;
  click: (messageId: string, value: Record<string, unknown>) => Promise<PreviewToast | undefined>;
  /** Starts a fresh session (after it ended, or failed to start). */
  restart: () => void;
}

/**
 * One preview session for as long as the component is mounted (and `target` stays the same): it is
 * started on mount and closed on unmount, so a closed dialog never leaves an agent running. The
 * core sends each message whole every time it changes, so the list is an upsert by messageId.
 */
export function usePreview(target: PreviewTarget): PreviewState {
  const client = useClient();
  const [session, setSession] = useState<PreviewSession | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [ended, setEnded] = useState(false);
  const [messages, setMessages] = useState<PreviewMessage[]>([]);
  const [attempt, setAttempt] = useState(0);
  // Events can arrive before `preview.start` answers (they never do today, but the order of an
  // answer and a push event is not promised): keep them by session until we know ours.
  const early = useRef(new Map<string, PreviewMessage[]>());
  const current = useRef<string | null>(null);

  const { botId, agentId, platform } = target;

  useEffect(() => {
    let cancelled = false;
    let started: string | null = null;
    setSession(null);
    setMessages([]);
    setError(null);
    setEnded(false);
    client
      .call('preview.start', {
        ...(botId !== undefined ? { botId } : {}),
        ...(agentId !== undefined ? { agentId } : {}),
        ...(platform !== undefined ? { platform } : {}),
      })
      .then((s) => {
        started = s.sessionId;
        // Unmounted (or the agent changed) while starting: this session is nobody's.
        if (cancelled) {
          void client.call('preview.close', { sessionId: s.sessionId }).catch(() => undefined);
          return;
        }
        current.current = s.sessionId;
        setSession(s);
        const waiting = early.current.get(s.sessionId) ?? [];
        early.current.clear();
        setMessages((list) => waiting.reduce(upsert, list));
      })
      .catch((err: unknown) => {
        if (!cancelled) setError(err);
      });
    return () => {
      cancelled = true;
      current.current = null;
      if (started !== null) void client.call('preview.close', { sessionId: started }).catch(() => undefined);
    };
  }, [client, botId, agentId, platform, attempt]);

  useEvent('preview', (event) => {
    if (current.current === null) {
      if (event.message) early.current.set(event.sessionId, [...(early.current.get(event.sessionId) ?? []), event.message]);
      return;
    }
    if (event.sessionId !== current.current) return;
    if (event.closed) setEnded(true);
    const message = event.message;
    if (message) setMessages((list) => upsert(list, message));
  });

  const send = useCallback(
    async (chat: PreviewChat, text: string, mention: boolean, attachment?: PreviewAttachment) => {
      if (session === null) return;
      await client.call('preview.send', {
        sessionId: session.sessionId,
        chat,
        text,
        ...(chat === 'group' ? { mention } : {}),
        ...(attachment ? { attachment } : {}),
      });
    },
    [client, session],
  );

  const click = useCallback(
    async (messageId: string, value: Record<string, unknown>) => {
      if (session === null) return undefined;
      const { toast } = await client.call('preview.click', { sessionId: session.sessionId, messageId, value });
      return toast;
    },
    [client, session],
  );

  const restart = useCallback(() => setAttempt((n) => n + 1), []);

  return { session, error, ended, messages, send, click, restart };
}

function upsert(list: PreviewMessage[], message: PreviewMessage): PreviewMessage[] {
  const at = list.findIndex((m) => m.messageId === message.messageId);
  if (at === -1) return [...list, message];
  const next = list.slice();
  next[at] = message;
  return next;
}
