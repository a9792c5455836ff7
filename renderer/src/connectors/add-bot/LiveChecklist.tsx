import { useEffect, useId, useRef, useState, type ReactNode, type Ref } from 'react';
import { useTranslation } from 'react-i18next';
import type { BotActivity, BotView } from '@shared/contract';
import { useClient, useEvent } from '../../api/ClientContext';
import { Icon, Spinner } from '../../components/Icon';
import { botName } from '../BotItem';
import { CheckBar, SetupItemRow } from '../setup/SetupItems';
import { useSetupReport } from '../setup/useSetupReport';
import { useAgents } from '../../agents/useAgents';
import { OwnerItem } from './OwnerItem';
import '../setup/setup.css';
import './add-bot.css';

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
 * After "Register Bot": the connection (from `bot.status`), then the setup check's items (from
 * `bots.setup` and `bot.setup`: what the console still needs, each with its link), ending with
 * the first answered message (from `bot.activity`). It ticks itself as things start working.
 */
export function LiveChecklist({ bot }: { bot: BotView }) {
  const { t } = useTranslation();
  const client = useClient();
  const headingId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [status, setStatus] = useState(bot.status);
  const [activities, setActivities] = useState<BotActivity[]>([]);
  const platform = t(`platform.${bot.platform}`);

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
  // The bot checks itself once connected (a check while it connects would count its own socket as another program's).
  const active = status.state !== 'connecting';
  const setup = useSetupReport(bot.id, active);
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

  const message = firstMessage(activities);
  // A Kocoro agent asks before it runs a tool on this computer: the bot needs someone to allow them.
  const { agents } = useAgents();
  const asksApprovals = agents?.find((a) => a.id === bot.agentId)?.provider.type === 'kocoro';
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

        {setup.report === null ? (
          <Item state={active ? 'working' : 'todo'} title={t('addBot.live.setup.title')}>
            <p className="live__text muted">{active ? t('setup.pending') : t('addBot.live.setup.waiting')}</p>
          </Item>
        ) : (
          setup.report.items.map((item) => <SetupItemRow key={item.id} item={item} bot={bot} botName={status.botName} />)
        )}

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
        {asksApprovals && <OwnerItem bot={bot} firstMessage={activities.find((a) => a.senderOpenId !== undefined)} />}
      </ol>
      <CheckBar report={setup.report} checking={setup.checking} error={setup.error} onCheck={setup.check} />
    </div>
  );
}
