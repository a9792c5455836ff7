import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { BotView, SetupItem, SetupReport } from '@shared/contract';
import { consoleLinks } from '@shared/lark-console';
import { Banner } from '../../components/Banner';
import { ExternalLink } from '../../components/ExternalLink';
import { Icon, Spinner } from '../../components/Icon';
import { RelativeTime } from '../../components/RelativeTime';
import './setup.css';

type Look = 'done' | 'failed' | 'minor' | 'unknown';

function look(item: SetupItem): Look {
  if (item.state === 'ok') return 'done';
  if (item.state === 'unknown') return 'unknown';
  return item.blocking ? 'failed' : 'minor';
}

function LookIcon({ look }: { look: Look }) {
  switch (look) {
    case 'done':
      return <Icon name="check" className="live__icon live__icon--done" />;
    case 'failed':
      return <Icon name="cross" className="live__icon live__icon--failed" />;
    case 'minor':
      return <Icon name="cross" className="live__icon live__icon--minor" />;
    default:
      return <Icon name="question" className="live__icon live__icon--unknown" />;
  }
}

/** The console page to look at by hand while an item cannot be checked (the app may not read its own settings). */
function manualLink(
  item: SetupItem,
  bot: Pick<BotView, 'platform' | 'appId'>,
): { href: string; key: 'openEvents' | 'openCallbacks' | 'openRelease' } | undefined {
  if (item.state !== 'unknown') return undefined;
  const links = consoleLinks(bot.platform, bot.appId);
  // Nothing reached a webhook bot's request URL yet: the Event configuration is where its URL is set.
  if (item.id === 'events' || item.id === 'requests') return { href: links.events, key: 'openEvents' };
  if (item.id === 'callback') return { href: links.callbacks, key: 'openCallbacks' };
  if (item.id === 'version') return { href: links.release, key: 'openRelease' };
  return undefined;
}

/**
 * One item of a setup check, as a list item named by its title and state ("Permissions: blocks
 * the bot"): ✓ ok, ✗ problem (red when it blocks the bot), ? could not be checked; the core's
 * words, the scopes that are missing with what each breaks, and the console link that fixes it.
 */
export function SetupItemRow({
  item,
  bot,
  botName,
}: {
  item: SetupItem;
  bot: Pick<BotView, 'platform' | 'appId'>;
  /** The bot's name on the platform, once known: said under a working Bot capability. */
  botName?: string;
}) {
  const { t } = useTranslation();
  const kind = look(item);
  const state = t(`setup.state.${kind}`);
  const manual = manualLink(item, bot);
  return (
    <li className={`live__item live__item--${kind} setup-item`} aria-label={t('setup.itemLabel', { title: item.title, state })}>
      <LookIcon look={kind} />
      <div className="live__body">
        <p className="live__title">
          {item.title} <span className={`setup-item__state setup-item__state--${kind}`}>{state}</span>
        </p>
        <p className="live__text">{item.message}</p>
        {item.id === 'bot' && item.state === 'ok' && botName && <p className="live__text">{t('setup.botName', { name: botName })}</p>}
        {item.missingScopes && item.missingScopes.length > 0 && (
          <ul className="setup-item__scopes" aria-label={t('setup.missingScopes')}>
            {item.missingScopes.map((m) => (
              <li key={m.scope}>
                <code className="mono">{m.scope}</code>
                <span className="setup-item__breaks">
                  {m.required ? t('setup.breaksRequired', { breaks: m.breaks }) : t('setup.breaks', { breaks: m.breaks })}
                </span>
              </li>
            ))}
          </ul>
        )}
        {((item.link && item.state !== 'ok') || manual) && (
          <p className="step__links">
            {item.link && item.state !== 'ok' && (
              <ExternalLink href={item.link}>{item.state === 'unknown' ? t('setup.grant') : t('setup.fix')}</ExternalLink>
            )}
            {manual && <ExternalLink href={manual.href}>{t(`setup.${manual.key}`)}</ExternalLink>}
          </p>
        )}
      </div>
    </li>
  );
}

/** What the last check found, in one sentence. */
export function summaryText(t: TFunction, report: SetupReport): string {
  if (report.problems === 0) {
    const unknown = report.items.filter((i) => i.state === 'unknown').length;
    return unknown === 0 ? t('setup.summary.ok') : t('setup.summary.unknown', { count: unknown });
  }
  return report.blocking ? t('setup.summary.blocking', { count: report.problems }) : t('setup.summary.minor', { count: report.problems });
}

interface CheckBarProps {
  report: SetupReport | null;
  checking: boolean;
  error: string | null;
  onCheck: () => void;
  /** Said while there is no report yet (nothing when the view says it elsewhere). */
  pending?: string;
}

/**
 * The "Check setup" button with what the last check found and when (announced politely when it
 * changes), and the call's error inline.
 */
export function CheckBar({ report, checking, error, onCheck, pending }: CheckBarProps) {
  const { t } = useTranslation();
  return (
    <div className="setup-bar">
      <div className="setup-bar__row">
        <button
          type="button"
          className="button button--small"
          onClick={() => {
            if (!checking) onCheck();
          }}
          aria-disabled={checking}
          aria-busy={checking}
        >
          {checking ? <Spinner /> : null}
          {checking ? t('setup.checking') : t('setup.check')}
        </button>
        <p className="setup-bar__summary" role="status">
          {checking ? (
            t('setup.checkingNow')
          ) : report === null ? (
            pending
          ) : (
            <>
              <span
                className={
                  report.problems === 0
                    ? report.items.some((i) => i.state === 'unknown')
                      ? ''
                      : 'text-success'
                    : report.blocking
                      ? 'text-error'
                      : 'text-warning'
                }
              >
                {summaryText(t, report)}
              </span>{' '}
              <span className="muted">
                <CheckedAt at={report.checkedAt} />
              </span>
            </>
          )}
        </p>
      </div>
      {error && (
        <Banner tone="error" title={t('setup.failed')}>
          <p>{error}</p>
        </Banner>
      )}
    </div>
  );
}

/** "Checked 2 min ago", with the time as a <time> element. */
function CheckedAt({ at }: { at: number }) {
  const { t } = useTranslation();
  const marker = '\u0000';
  const [before = '', after = ''] = t('setup.checkedAt', { time: marker }).split(marker);
  return (
    <>
      {before}
      <RelativeTime at={at} />
      {after}
    </>
  );
}
