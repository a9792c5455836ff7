import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useClient } from '../api/ClientContext';
import { Banner } from '../components/Banner';
import { CopyButton } from '../components/CopyButton';
import { errorText } from '../lib/errors';

/**
 * "Sign in another browser": a new one-time sign-in link from the core (`app.signInLink`), shown to
 * copy. Headless UI only: the desktop app has no browser to sign in.
 */
export function SignInLinkSection() {
  const { t, i18n } = useTranslation();
  const client = useClient();
  const [made, setMade] = useState<{ link: string; expiresAt: number } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const make = async () => {
    setBusy(true);
    setError(null);
    try {
      setMade(await client.call('app.signInLink', {}));
    } catch (err) {
      setMade(null);
      setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  };

  const until = made ? new Intl.DateTimeFormat(i18n.language, { timeStyle: 'short' }).format(made.expiresAt) : '';

  return (
    <section className="card settings-card" aria-labelledby="settings-sign-in-link">
      <h2 id="settings-sign-in-link" className="card__title">
        {t('settings.signInLink.heading')}
      </h2>
      <p>{t('settings.signInLink.body')}</p>
      <p>
        <button type="button" className="button" onClick={() => void make()} aria-busy={busy || undefined} disabled={busy}>
          {busy ? t('settings.signInLink.making') : t('settings.signInLink.make')}
        </button>
      </p>
      {error && <Banner tone="error">{error}</Banner>}
      {made && (
        <figure className="code-figure">
          <figcaption className="code-figure__caption" id="settings-sign-in-link-value">
            {t('settings.signInLink.label')}
          </figcaption>
          <pre className="code" aria-labelledby="settings-sign-in-link-value">
            {made.link}
          </pre>
          <p className="muted small">{t('settings.signInLink.validUntil', { time: until })}</p>
          <CopyButton text={made.link} label={t('settings.signInLink.copy')} />
        </figure>
      )}
    </section>
  );
}
