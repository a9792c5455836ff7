import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BotView, HeldMessage } from '@shared/contract';
import { useClient } from '../api/ClientContext';
import { Banner } from '../components/Banner';
import { Modal } from '../components/Modal';
import { errorText } from '../lib/errors';
import { botName } from './BotItem';
import './connectors.css';

/**
 * "While you were away": the late messages a bot holds (backlog `hold`), per chat, each with
 * Answer and Skip, and both for a whole chat at once. Answered ones say when they were asked.
 */
export function HeldDialog({ bot, onClose }: { bot: BotView; onClose: () => void }) {
  const { t } = useTranslation();
  const client = useClient();
  const [held, setHeld] = useState<HeldMessage[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setHeld(await client.call('bots.held', { id: bot.id }));
    } catch (err) {
      setError(errorText(t, err));
    }
  }, [client, bot.id, t]);

  useEffect(() => {
    void load();
  }, [load, bot.status.held]);

  const resolve = async (messageIds: string[], action: 'answer' | 'skip') => {
    setBusy(true);
    setError(null);
    try {
      await client.call('bots.resolveHeld', { id: bot.id, messageIds, action });
      await load();
    } catch (err) {
      setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  /** Answer and Skip for these messages (one, or all of a chat). */
  const actions = (ids: string[], answerLabel: string, skipLabel: string) => (
    <>
      <button type="button" className="button button--small" disabled={busy} onClick={() => void resolve(ids, 'answer')}>
        {answerLabel}
      </button>
      <button type="button" className="button button--small" disabled={busy} onClick={() => void resolve(ids, 'skip')}>
        {skipLabel}
      </button>
    </>
  );

  const chats = new Map<string, HeldMessage[]>();
  for (const m of held ?? []) chats.set(m.chatId, [...(chats.get(m.chatId) ?? []), m]);

  return (
    <Modal
      title={t('held.title', { name: botName(bot) })}
      onClose={onClose}
      busy={busy}
      footer={
        <button type="button" className="button" onClick={onClose}>
          {t('common.close')}
        </button>
      }
    >
      <div className="stack">
        <p>{t('held.intro')}</p>
        {held !== null && held.length === 0 && <p>{t('held.none')}</p>}
        {[...chats].map(([chatId, messages]) => {
          const label = messages[0]!.chatType === 'p2p' ? t('held.directChat', { id: chatId }) : t('held.groupChat', { id: chatId });
          const ids = messages.map((m) => m.messageId);
          return (
            <section key={chatId} className="held__chat" aria-label={label}>
              <div className="held__chat-head">
                <h3>{label}</h3>
                {actions(ids, t('held.answerAll'), t('held.skipAll'))}
              </div>
              <ul className="held__list">
                {messages.map((m) => (
                  <li key={m.messageId} className="held__message">
                    <time dateTime={new Date(m.sentAt).toISOString()}>{new Date(m.sentAt).toLocaleString()}</time>
                    <span className="held__preview">{m.preview || t('held.noText')}</span>
                    {actions([m.messageId], t('held.answer'), t('held.skip'))}
                  </li>
                ))}
              </ul>
            </section>
          );
        })}
        {error && <Banner tone="error">{error}</Banner>}
      </div>
    </Modal>
  );
}
