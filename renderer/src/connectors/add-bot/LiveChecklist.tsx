import { useEffect, useId, useRef, useState, type ReactNode, type Ref } from 'react';
import { useTranslation } from 'react-i18next';
import type { BotActivity, BotView } from '@shared/contract';
import { CARD_CALLBACK, consoleLinks, MESSAGE_EVENT } from '@shared/lark-console';
import { useClient, useEvent } from '../../api/ClientContext';
import { ExternalLink } from '../../components/ExternalLink';
import { Icon, Spinner } from '../../components/Icon';
import { botName } from '../BotItem';

type ItemState = 'done' | 'working' | 'todo' | 'warning' | 'failed';

function ItemIcon({ state }: { state: ItemState }) {
  switch (state) {
    case 'done':
      return <Icon name="check" className="live__icon live__icon--done" />;
    case 'working':
      return <Spinner className="live__icon" />;
    case 'failed':
      return <Icon name="cross" className="live__icon live__icon--failed" />;
    case 'warning':
      return <Icon name="warning" className="live__icon live__icon--warning" />;
    default:
      return <Icon name="circle" className="live__icon live__icon--todo" />;
  }
}

function Item({
  state,
  title,
  children,
  itemRef,
}: {
  state: ItemState;
  title: ReactNode;
  children?: ReactNode;
  itemRef?: Ref<HTMLLIElement>;
}) {
  return (
    <li className={`live__item live__item--${state}`} ref={itemRef}>
      <ItemIcon state={state} />
      <div className="live__body">
        <p className="live__title">{title}</p>
        {children}
      </div>
    </li>
  );
}

/** What the first message has done so far: answered beats failed beats received. */
function firstMessage(activities: readonly BotActivity[]): BotActivity | undefined {
  return (
    activities.find((a) => a.stage === 'answered') ??
    activities.findLast((a) => a.stage === 'failed') ??
    activities.findLast((a) => a.stage === 'received')
  );
}

/**
 * After "Register Bot": the guide's remaining steps as a checklist that ticks itself from
 * `bot.status` and `bot.activity`, ending with the first answered message.
 */
export function LiveChecklist({ bot }: { bot: BotView }) {
  const { t } = useTranslation();
  const client = useClient();
  const headingId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [status, setStatus] = useState(bot.status);
  const [activities, setActivities] = useState<BotActivity[]>([]);
  const platform = t(`platform.${bot.platform}`);
  const links = consoleLinks(bot.platform, bot.appId);

  useEffect(() => headingRef.current?.focus(), []);

  useEvent('bot.status', (next) => {
    if (next.botId === bot.id) setStatus((prev) => (next.since >= prev.since || next.state === prev.state ? next : prev));
  });
  useEvent('bot.activity', (activity) => {
    if (activity.botId === bot.id) setActivities((prev) => [...prev, activity]);
  });
  useEffect(() => {
    let cancelled = false;
    client.call('bots.activity', { id: bot.id }).then(
      (past) => {
        if (!cancelled)
          setActivities((live) => [...past, ...live.filter((a) => !past.some((p) => p.messageId === a.messageId && p.stage === a.stage))]);
      },
      () => {
        // Live events still arrive; the history is a nicety.
      },
    );
    return () => {
      cancelled = true;
    };
  }, [client, bot.id]);

  const connected = status.state === 'connected';
  const messageRef = useRef<HTMLLIElement>(null);
  const messageStage = firstMessage(activities)?.stage;
  // The first message is the finish line: bring it into view when it moves.
  useEffect(() => {
    if (messageStage !== undefined) messageRef.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [messageStage]);

  const connection: { state: ItemState; text: string } =
    status.state === 'connected'
      ? { state: 'done', text: t('addBot.live.connection.done') }
      : status.state === 'failed'
        ? {
            state: 'failed',
            text: status.reason
              ? t('addBot.live.connection.failed', { reason: status.reason })
              : t('addBot.live.connection.failedNoReason'),
          }
        : status.state === 'reconnecting'
          ? { state: 'warning', text: t('addBot.live.connection.reconnecting', { reason: status.reason ?? '…' }) }
          : status.state === 'stopped'
            ? { state: 'todo', text: t('addBot.live.connection.paused') }
            : { state: 'working', text: t('addBot.live.connection.pending') };

  const botState: ItemState = status.botOpenId ? 'done' : connected ? 'warning' : 'todo';

  const message = firstMessage(activities);
  const messageState: ItemState =
    message?.stage === 'answered'
      ? 'done'
      : message?.stage === 'failed'
        ? 'failed'
        : message?.stage === 'received'
          ? 'working'
          : connected
            ? 'working'
            : 'todo';

  return (
    <div className="step">
      <h3 id={headingId} ref={headingRef} tabIndex={-1} className="step__heading">
        {t('addBot.live.heading')}
      </h3>
      <p>{t('addBot.live.intro', { name: botName(bot), platform })}</p>
      <ol className="live" aria-labelledby={headingId} aria-live="polite">
        <Item state={connection.state} title={t('addBot.live.connection.title')}>
          <p className={connection.state === 'failed' ? 'live__text text-error' : 'live__text'}>{connection.text}</p>
        </Item>

        <Item state={botState} title={t('addBot.live.bot.title')}>
          {botState === 'done' && (
            <p className="live__text">
              {status.botName ? t('addBot.live.bot.done', { name: status.botName }) : t('addBot.live.bot.doneNoName')}
            </p>
          )}
          {botState === 'warning' && (
            <>
              <p className="live__text">{t('addBot.live.bot.missing')}</p>
              <p className="step__links">
                <ExternalLink href={links.botCapability}>{t('addBot.live.bot.openBot')}</ExternalLink>
              </p>
            </>
          )}
          {botState === 'todo' && <p className="live__text muted">{t('addBot.live.bot.pending')}</p>}
        </Item>

        <Item state={message ? 'done' : 'todo'} title={t('addBot.live.events.title')}>
          {message ? (
            <p className="live__text">{t('addBot.live.events.working')}</p>
          ) : (
            <>
              <ol className="live__substeps">
                <li>
                  {t('addBot.live.events.mode')}{' '}
                  <strong className={connected ? 'text-success' : 'text-warning'}>
                    {connected ? t('addBot.live.events.modeReady') : t('addBot.live.events.modeWaiting')}
                  </strong>
                </li>
                <li>{t('addBot.live.events.event', { event: MESSAGE_EVENT })}</li>
                <li>{t('addBot.live.events.callback', { callback: CARD_CALLBACK })}</li>
                <li>{t('addBot.live.events.publish')}</li>
              </ol>
              <p className="step__links">
                <ExternalLink href={links.events}>{t('addBot.live.events.openEvents')}</ExternalLink>
                <ExternalLink href={links.callbacks}>{t('addBot.live.events.openCallbacks')}</ExternalLink>
                <ExternalLink href={links.release}>{t('addBot.live.events.openRelease')}</ExternalLink>
              </p>
            </>
          )}
        </Item>

        <Item
          itemRef={messageRef}
          state={messageState}
          title={
            message?.stage === 'answered'
              ? t('addBot.live.message.answered')
              : message?.stage === 'failed'
                ? t('addBot.live.message.failed')
                : message?.stage === 'received'
                  ? t('addBot.live.message.received')
                  : t('addBot.live.message.waiting')
          }
        >
          <p
            className={
              message?.stage === 'answered'
                ? 'live__text text-success'
                : message?.stage === 'failed'
                  ? 'live__text text-error'
                  : 'live__text'
            }
          >
            {message?.stage === 'answered'
              ? t('addBot.live.message.answeredBody', { preview: message.preview })
              : message?.stage === 'failed'
                ? t('addBot.live.message.failedBody', { preview: message.preview })
                : message?.stage === 'received'
                  ? t('addBot.live.message.receivedBody', { preview: message.preview })
                  : t('addBot.live.message.waitingBody', { platform })}
          </p>
        </Item>
      </ol>
    </div>
  );
}
