import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Settings } from '@shared/contract';
import { useClient, useConnection, useEvent } from './api/ClientContext';
import { Icon, Spinner } from './components/Icon';
import { ConnectorsPage } from './connectors/ConnectorsPage';
import { applyLanguage } from './i18n';
import { useReconnectEpoch } from './shell/connection';
import { routeHref, useHashRoute, type Route } from './shell/route';

// The first paint is the Connectors page: the other pages (and their stylesheets) come in chunks of
// their own, fetched the first time they are shown.
const AgentsPage = lazy(() => import('./agents/AgentsPage').then((m) => ({ default: m.AgentsPage })));
const SettingsPage = lazy(() => import('./settings/SettingsPage').then((m) => ({ default: m.SettingsPage })));

/** Settings live here: the language applies to the whole shell, at once. */
function useSettings() {
  const client = useClient();
  const epoch = useReconnectEpoch();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [error, setError] = useState<unknown>(null);
  const latest = useRef<Settings | null>(null);

  const accept = useCallback((next: Settings) => {
    latest.current = next;
    setSettings(next);
    applyLanguage(next.language);
  }, []);

  useEffect(() => {
    let cancelled = false;
    client.call('settings.get', {}).then(
      (value) => {
        if (!cancelled) {
          accept(value);
          setError(null);
        }
      },
      (err: unknown) => {
        if (!cancelled) setError(err);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [client, epoch, accept]);

  useEvent('settings.changed', accept);

  // "System" follows the OS language even when it changes while Kocoro runs.
  useEffect(() => {
    const onLanguageChange = () => {
      if (latest.current?.language === 'system') applyLanguage('system');
    };
    window.addEventListener('languagechange', onLanguageChange);
    return () => window.removeEventListener('languagechange', onLanguageChange);
  }, []);

  const update = useCallback(
    async (patch: Partial<Settings>) => {
      const before = latest.current;
      if (before) accept({ ...before, ...patch }); // optimistic: the switch shows at once
      try {
        accept(await client.call('settings.update', patch));
      } catch (err) {
        if (before) accept(before);
        throw err;
      }
    },
    [client, accept],
  );

  return { settings, error, update };
}

function NavLink({
  route,
  current,
  icon,
  children,
}: {
  route: Route;
  current: Route;
  icon: 'plug' | 'bot' | 'settings';
  children: string;
}) {
  return (
    <a className="nav__link" href={routeHref(route)} aria-current={route === current ? 'page' : undefined}>
      <Icon name={icon} className="nav__icon" />
      {children}
    </a>
  );
}

export function App() {
  const { t } = useTranslation();
  const route = useHashRoute();
  const online = useConnection() === 'online';
  const { settings, error, update } = useSettings();
  const mainRef = useRef<HTMLElement>(null);
  const firstRoute = useRef(true);

  // Moving between pages puts the keyboard and screen reader at the new page's title.
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    mainRef.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [route]);

  useEffect(() => {
    document.title = `${t(`nav.${route}`)} — ${t('app.name')}`;
  }, [route, t]);

  return (
    <div className="shell">
      {!online && (
        <div className="offline" role="status">
          <Spinner /> {t('app.offline')}
        </div>
      )}
      <nav className="nav" aria-label={t('nav.label')}>
        <div className="nav__brand">
          <span className="nav__logo" aria-hidden="true">
            K
          </span>
          {t('app.name')}
        </div>
        <p className="nav__group" id="nav-capabilities">
          {t('nav.capabilities')}
        </p>
        <ul className="nav__list" aria-labelledby="nav-capabilities">
          <li>
            <NavLink route="connectors" current={route} icon="plug">
              {t('nav.connectors')}
            </NavLink>
          </li>
        </ul>
        <ul className="nav__list nav__list--spaced">
          <li>
            <NavLink route="agents" current={route} icon="bot">
              {t('nav.agents')}
            </NavLink>
          </li>
          <li>
            <NavLink route="settings" current={route} icon="settings">
              {t('nav.settings')}
            </NavLink>
          </li>
        </ul>
      </nav>
      <main className="main" ref={mainRef}>
        {/* Only an address that opens the app on a page not loaded yet shows this: moving to one
            is a transition (useHashRoute), which keeps the current page until the next arrives. */}
        <Suspense
          fallback={
            <p className="loading" role="status">
              <Spinner /> {t('app.loading')}
            </p>
          }
        >
          {route === 'connectors' && <ConnectorsPage />}
          {route === 'agents' && <AgentsPage />}
          {route === 'settings' && <SettingsPage settings={settings} settingsError={error} onChange={update} />}
        </Suspense>
      </main>
    </div>
  );
}
