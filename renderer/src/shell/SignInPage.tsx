import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { SignInProblem } from '../api/access-token';
import { Banner } from '../components/Banner';

const TITLES = {
  missing: 'signIn.missingTitle',
  refused: 'signIn.refusedTitle',
  too_many: 'signIn.tooManyTitle',
  unreachable: 'signIn.unreachableTitle',
} as const;
const BODIES = {
  missing: 'signIn.missing',
  refused: 'signIn.refused',
  too_many: 'signIn.tooMany',
  unreachable: 'signIn.unreachable',
} as const;

/**
 * What a tab that is not signed in shows instead of the app: why (no link, a used or expired one,
 * too many wrong ones, Kocoro gone) and every way to a new link. `signedIn`: the tab kept a token
 * from an earlier sign-in, which may well still work.
 */
export function SignInPage({ problem, signedIn }: { problem: SignInProblem; signedIn: boolean }) {
  const { t } = useTranslation();
  useEffect(() => {
    document.title = `${t(TITLES[problem])} — ${t('app.name')}`;
  }, [problem, t]);

  return (
    <main className="main">
      <div className="page page--narrow">
        <header className="page__header">
          <h1 className="page__title">{t(TITLES[problem])}</h1>
        </header>
        <Banner tone={problem === 'missing' ? 'info' : 'warning'}>
          <p>{t(BODIES[problem])}</p>
        </Banner>
        {signedIn && (
          <p>
            <a href="/">{t('signIn.continue')}</a>
          </p>
        )}
        <section className="card settings-card" aria-labelledby="sign-in-how">
          <h2 id="sign-in-how" className="card__title">
            {t('signIn.howTitle')}
          </h2>
          <p>{t('signIn.fromTab')}</p>
          <figure className="code-figure">
            <figcaption className="code-figure__caption">{t('signIn.fromTerminal')}</figcaption>
            <pre className="code">npm run headless -- --link</pre>
          </figure>
          <p className="muted">{t('signIn.fromRestart')}</p>
        </section>
      </div>
    </main>
  );
}
