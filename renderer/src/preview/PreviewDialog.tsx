import { useEffect, useId, useLayoutEffect, useRef, useState, type ChangeEvent, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { Platform } from '@shared/config-schema';
import type { AgentView } from '@shared/contract';
import {
  PREVIEW_ATTACHMENT_MAX_BYTES,
  PREVIEW_ECHO_AGENT,
  type PreviewAttachment,
  type PreviewChat,
  type PreviewMessage,
  type PreviewSession,
  type PreviewToast,
} from '@shared/preview';
import { Banner } from '../components/Banner';
import { useModalDialog } from '../components/Modal';
import { Spinner } from '../components/Icon';
import { cx } from '../lib/cx';
import { errorText } from '../lib/errors';
import { emoji, MessageBody, parseContent } from './card/MessageBody';
import { usePreview, type PreviewTarget } from './usePreview';
import './card/card.css';
import './preview.css';

/** Preview: a bot's own settings. Try it: an agent chosen here, on the platform chosen here. */
export type PreviewOf = { kind: 'bot'; botId: string; botName: string } | { kind: 'try'; platform: Platform };

interface PreviewDialogProps {
  of: PreviewOf;
  /** For Try it's agent picker; Echo is offered when it is not one of them. */
  agents: AgentView[] | null;
  onClose: () => void;
  /** Try it's next step: the Add Bot dialog with this agent chosen. */
  onAddToPlatform?: (agentId: string, platform: Platform) => Promise<void>;
}

/**
 * The preview chat (README "Try it and Preview"): a window drawn like a Lark / Feishu chat with the
 * bot, where the person writes as a team member and the real runtime answers. Its own <dialog>
 * rather than <Modal>: the chat needs the whole height and a wider window than a form does.
 */
export function PreviewDialog({ of, agents, onClose, onAddToPlatform }: PreviewDialogProps) {
  const { t } = useTranslation();
  const ref = useModalDialog();
  const titleId = useId();
  const agentFieldId = useId();
  const platformFieldId = useId();

  const tryIt = of.kind === 'try';
  const [platform, setPlatform] = useState<Platform>(tryIt ? of.platform : 'lark');
  const agentChoices = agentOptions(agents);
  const [agentId, setAgentId] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [addError, setAddError] = useState<string | null>(null);
  // Try it starts with the first agent there is, Echo on a fresh install; the list may load after the dialog opens.
  const chosenAgent = agentId ?? (agents === null ? null : (agentChoices[0]?.id ?? PREVIEW_ECHO_AGENT));

  const target: PreviewTarget | null =
    of.kind === 'bot' ? { botId: of.botId } : chosenAgent === null ? null : { agentId: chosenAgent, platform };

  return (
    <dialog
      ref={ref}
      className="modal pv"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onClose={() => {
        if (ref.current?.open !== true) onClose();
      }}
    >
      <header className="pv__header">
        <h2 id={titleId} className="pv__title">
          {tryIt ? t('preview.tryTitle') : t('preview.title', { name: of.botName })}
        </h2>
        {tryIt && (
          <div className="pv__pickers">
            <label className="pv__picker" htmlFor={agentFieldId}>
              <span>{t('preview.agent')}</span>
              <select
                id={agentFieldId}
                className="input input--small"
                value={chosenAgent ?? ''}
                disabled={chosenAgent === null}
                onChange={(e) => setAgentId(e.target.value)}
              >
                {agentChoices.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.builtIn ? t('preview.echoBuiltIn') : a.name}
                  </option>
                ))}
              </select>
            </label>
            <label className="pv__picker" htmlFor={platformFieldId}>
              <span>{t('preview.platform')}</span>
              <select
                id={platformFieldId}
                className="input input--small"
                value={platform}
                onChange={(e) => setPlatform(e.target.value === 'feishu' ? 'feishu' : 'lark')}
              >
                <option value="lark">{t('platform.lark')}</option>
                <option value="feishu">{t('platform.feishu')}</option>
              </select>
            </label>
          </div>
        )}
        <button type="button" className="button button--small pv__close" onClick={onClose}>
          {t('common.close')}
        </button>
      </header>
      <p className="pv__notice">{t('preview.notice')}</p>
      {target === null ? (
        <p className="loading pv__loading" role="status">
          <Spinner /> {t('app.loading')}
        </p>
      ) : (
        <PreviewChats key={`${target.botId ?? ''}/${target.agentId ?? ''}/${target.platform ?? ''}`} target={target} />
      )}
      {tryIt && onAddToPlatform && chosenAgent !== null && (
        <footer className="pv__next">
          <p>{t('preview.nextStep', { platform: t(`platform.${platform}`) })}</p>
          {addError && (
            <p className="field__error" role="alert">
              {addError}
            </p>
          )}
          <button
            type="button"
            className="button button--primary"
            disabled={adding}
            onClick={() => {
              setAdding(true);
              setAddError(null);
              onAddToPlatform(chosenAgent, platform)
                .catch((err: unknown) => setAddError(t('preview.addFailed', { message: errorText(t, err) })))
                .finally(() => setAdding(false));
            }}
          >
            {t('preview.addToPlatform', { platform: t(`platform.${platform}`) })}
          </button>
        </footer>
      )}
    </dialog>
  );
}

interface AgentChoice {
  id: string;
  name: string;
  builtIn: boolean;
}

/** The agents, and the built-in Echo when there is no agent with its id (a fresh install has none). */
function agentOptions(agents: AgentView[] | null): AgentChoice[] {
  const list: AgentChoice[] = (agents ?? []).map((a) => ({ id: a.id, name: a.name, builtIn: false }));
  if (!list.some((a) => a.id === PREVIEW_ECHO_AGENT)) list.push({ id: PREVIEW_ECHO_AGENT, name: 'Echo', builtIn: true });
  return list;
}

/** The running preview: the two chats, the open one's messages and its composer. */
function PreviewChats({ target }: { target: PreviewTarget }) {
  const { t } = useTranslation();
  const preview = usePreview(target);
  const { session, messages } = preview;
  const [chat, setChat] = useState<PreviewChat>('dm');
  const [toast, setToast] = useState<PreviewToast | null>(null);
  const tabsId = useId();

  useEffect(() => {
    if (toast === null) return;
    const timer = setTimeout(() => setToast(null), 4000);
    return () => clearTimeout(timer);
  }, [toast]);

  if (preview.error !== null && session === null) {
    return (
      <div className="pv__body pv__body--message">
        <Banner tone="error" title={t('preview.startFailed')}>
          <p>{errorText(t, preview.error)}</p>
          <button type="button" className="button button--small" onClick={preview.restart}>
            {t('app.retry')}
          </button>
        </Banner>
      </div>
    );
  }
  if (session === null) {
    return (
      <p className="loading pv__loading" role="status">
        <Spinner /> {t('preview.starting')}
      </p>
    );
  }

  const chats: Array<{ id: PreviewChat; name: string; hint: string }> = [
    { id: 'dm', name: session.botName, hint: t('preview.dmHint') },
    { id: 'group', name: session.groupName, hint: t('preview.groupHint', { name: session.botName }) },
  ];
  const open = chats.find((c) => c.id === chat)!;
  const shown = messages.filter((m) => m.chat === chat);
  const names: Record<string, string> = { [session.botOpenId]: session.botName, [session.me.openId]: t('preview.you') };

  return (
    <div className={cx('pv__body', `pv--${session.platform}`)}>
      <div className="pv__chats">
        <div className="pv__tabs" role="tablist" aria-label={t('preview.chats')} aria-orientation="vertical">
          {chats.map((c) => (
            <button
              key={c.id}
              type="button"
              role="tab"
              id={`${tabsId}-${c.id}`}
              aria-selected={c.id === chat}
              aria-controls={`${tabsId}-panel`}
              className={cx('pv__chat-tab', c.id === chat && 'pv__chat-tab--open')}
              onClick={() => setChat(c.id)}
            >
              <Avatar name={c.name} kind={c.id === 'dm' ? 'bot' : 'group'} />
              <span className="pv__chat-tab-text">
                <span className="pv__chat-tab-name">{c.name}</span>
                <span className="pv__chat-tab-kind">{c.id === 'dm' ? t('preview.dm') : t('preview.group')}</span>
              </span>
            </button>
          ))}
        </div>
        <dl className="pv__facts">
          <dt>{t('preview.agent')}</dt>
          <dd>{session.agentName}</dd>
          <dt>{t('preview.language')}</dt>
          <dd>
            {session.language === 'auto'
              ? t('preview.languageAuto')
              : session.language === 'zh-CN'
                ? t('preview.languageZh')
                : session.language === 'en'
                  ? t('preview.languageEn')
                  : session.language}
          </dd>
          <dt>{t('preview.replyMode')}</dt>
          <dd>{t(`preview.mode.${session.replyMode[chat]}`)}</dd>
        </dl>
      </div>
      <section className="pv__chat" role="tabpanel" id={`${tabsId}-panel`} aria-labelledby={`${tabsId}-${chat}`}>
        <header className="pv__chat-header">
          <Avatar name={open.name} kind={chat === 'dm' ? 'bot' : 'group'} />
          <span className="pv__chat-name">{open.name}</span>
          <span className="pv__chat-hint">{open.hint}</span>
        </header>
        <MessageList
          // Keys distinct from the composer's: siblings sharing a key confuse React's reconciliation.
          key={`messages-${chat}`}
          messages={shown}
          all={messages}
          session={session}
          names={names}
          onAction={async (messageId, value) => {
            const answer = await preview.click(messageId, value);
            if (answer) setToast(answer);
          }}
        />
        {toast && (
          <p className={`pv__toast pv__toast--${toast.type}`} role="status">
            {toast.content}
          </p>
        )}
        {preview.ended ? (
          <div className="pv__ended">
            <Banner tone="info" title={t('preview.ended')}>
              <button type="button" className="button button--small" onClick={preview.restart}>
                {t('preview.startAgain')}
              </button>
            </Banner>
          </div>
        ) : (
          <Composer key={`composer-${chat}`} chat={chat} chatName={open.name} botName={session.botName} onSend={preview.send} />
        )}
      </section>
    </div>
  );
}

interface MessageListProps {
  messages: PreviewMessage[];
  /** Both chats' messages: a reply quotes its original. */
  all: PreviewMessage[];
  session: PreviewSession;
  names: Record<string, string>;
  onAction: (messageId: string, value: Record<string, unknown>) => Promise<void>;
}

function MessageList({ messages, all, session, names, onAction }: MessageListProps) {
  const { t } = useTranslation();
  const scroller = useRef<HTMLOListElement>(null);
  // Follow the conversation as it streams, unless the person scrolled up to read something.
  const pinned = useRef(true);
  const [pressing, setPressing] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [messages]);

  if (messages.length === 0) {
    return (
      <div className="pv__messages pv__messages--empty">
        <p>{t('preview.empty')}</p>
      </div>
    );
  }

  return (
    <>
      <ol
        ref={scroller}
        className="pv__messages"
        aria-label={t('preview.messages')}
        onScroll={(e) => {
          const el = e.currentTarget;
          pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
        }}
      >
        {messages.map((m) => {
          const mine = m.from === 'me';
          const author = mine ? t('preview.you') : session.botName;
          const quoted = m.replyTo ? all.find((x) => x.messageId === m.replyTo) : undefined;
          return (
            <li key={m.messageId} className={cx('pv-msg', mine ? 'pv-msg--me' : 'pv-msg--bot')} data-message-id={m.messageId}>
              <Avatar name={author} kind={mine ? 'me' : 'bot'} />
              <div className="pv-msg__column">
                <div className="pv-msg__meta">
                  <span className="pv-msg__author">{author}</span>
                  {!mine && <span className="pv-msg__tag">{t('preview.botTag')}</span>}
                  <time className="pv-msg__time" dateTime={new Date(m.at).toISOString()}>
                    {new Date(m.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
                  </time>
                </div>
                {quoted && (
                  <p className="pv-msg__quote">
                    {t('preview.replyTo', { name: quoted.from === 'me' ? t('preview.you') : session.botName })}{' '}
                    {snippet(quoted, t('preview.attachment'))}
                  </p>
                )}
                <div className="pv-msg__body">
                  <MessageBody
                    msgType={m.msgType}
                    content={m.content}
                    names={names}
                    mentions={m.mentions}
                    disabled={pressing === m.messageId}
                    onAction={(value) => {
                      setPressing(m.messageId);
                      setActionError(null);
                      onAction(m.messageId, value)
                        .catch((err: unknown) => setActionError(errorText(t, err)))
                        .finally(() => setPressing(null));
                    }}
                  />
                </div>
                {m.reactions.length > 0 && <Reactions types={m.reactions} />}
              </div>
            </li>
          );
        })}
      </ol>
      {actionError && (
        <p className="pv__toast pv__toast--error" role="alert">
          {actionError}
        </p>
      )}
    </>
  );
}

/** Reactions as the client shows them under a message: the emoji, named for screen readers. */
function Reactions({ types }: { types: string[] }) {
  const { t } = useTranslation();
  return (
    <ul className="pv-msg__reactions" aria-label={t('preview.reactions')}>
      {types.map((type, i) => {
        const label = type === 'Typing' ? t('preview.reaction.typing') : type === 'CrossMark' ? t('preview.reaction.failed') : type;
        return (
          <li key={`${type}-${i}`} className={cx('pv-reaction', type === 'Typing' && 'pv-reaction--typing')} title={label}>
            <span role="img" aria-label={label}>
              {type === 'CrossMark' ? '❌' : emoji(type)}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

/** The first words of a quoted message, as a reply shows them. */
function snippet(message: PreviewMessage, attachment: string): string {
  const obj = parseContent(message.content);
  const text = typeof obj?.text === 'string' ? obj.text.replace(/@_user_\d+\s*/g, '') : attachment;
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function Avatar({ name, kind }: { name: string; kind: 'me' | 'bot' | 'group' }) {
  return (
    <span className={`pv-avatar pv-avatar--${kind}`} aria-hidden="true">
      {kind === 'group' ? '#' : Array.from(name.trim())[0]?.toUpperCase() || '?'}
    </span>
  );
}

interface ComposerProps {
  chat: PreviewChat;
  chatName: string;
  botName: string;
  onSend: (chat: PreviewChat, text: string, mention: boolean, attachment?: PreviewAttachment) => Promise<void>;
}

/** The message box: Enter sends, Shift+Enter is a new line; in the group, an @mention chip for the bot. */
function Composer({ chat, chatName, botName, onSend }: ComposerProps) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  // As the person would most often write in a group: to the bot. Turning it off shows the bot staying quiet.
  const [mention, setMention] = useState(true);
  const [attachment, setAttachment] = useState<PreviewAttachment | null>(null);
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const box = useRef<HTMLTextAreaElement>(null);

  const canSend = !sending && (text.trim() !== '' || attachment !== null);

  const send = async () => {
    if (!canSend) return;
    setSending(true);
    setError(null);
    try {
      await onSend(chat, text, mention, attachment ?? undefined);
      setText('');
      setAttachment(null);
    } catch (err) {
      setError(errorText(t, err));
    } finally {
      setSending(false);
      box.current?.focus();
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // Not while an input method is composing (Chinese, Japanese): there Enter picks the characters.
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    }
  };

  const onFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    if (file.size > PREVIEW_ATTACHMENT_MAX_BYTES) {
      setError(t('preview.tooLarge', { name: file.name }));
      return;
    }
    setError(null);
    try {
      const dataBase64 = await readBase64(file);
      setAttachment({
        kind: /^image\/(png|jpe?g|gif|webp|bmp)$/.test(file.type) ? 'image' : 'file',
        name: file.name,
        ...(file.type ? { mimeType: file.type } : {}),
        dataBase64,
      });
    } catch {
      setError(t('preview.readFailed', { name: file.name }));
    }
  };

  return (
    <form
      className="pv-composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      {attachment && (
        <p className="pv-composer__attachment">
          <span className="lk-chip">
            <span aria-hidden="true">{attachment.kind === 'image' ? '🖼' : '📄'}</span>
            <span className="lk-chip__label">{attachment.name}</span>
          </span>
          <button type="button" className="button button--small" onClick={() => setAttachment(null)}>
            {t('preview.removeAttachment', { name: attachment.name })}
          </button>
        </p>
      )}
      <textarea
        ref={box}
        className="pv-composer__box"
        rows={2}
        value={text}
        aria-label={t('preview.messageLabel')}
        placeholder={t('preview.placeholder', { name: chatName })}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        autoFocus
      />
      <div className="pv-composer__bar">
        {chat === 'group' && (
          <button
            type="button"
            className={cx('pv-mention', mention && 'pv-mention--on')}
            aria-pressed={mention}
            title={t('preview.mentionHint')}
            onClick={() => setMention((m) => !m)}
          >
            @{botName}
          </button>
        )}
        <button type="button" className="button button--small" onClick={() => fileInput.current?.click()}>
          {t('preview.attach')}
        </button>
        <input ref={fileInput} type="file" className="visually-hidden" tabIndex={-1} aria-hidden="true" onChange={(e) => void onFile(e)} />
        <span className="pv-composer__keys">{t('preview.keys')}</span>
        <button type="submit" className="button button--primary button--small" disabled={!canSend}>
          {sending ? t('preview.sending') : t('preview.send')}
        </button>
      </div>
      {error && (
        <p className="field__error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

/** The file's bytes as base64 (what `preview.send` takes), without the data: URL's prefix. */
function readBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = typeof reader.result === 'string' ? reader.result : '';
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('read failed'));
    reader.readAsDataURL(file);
  });
}
