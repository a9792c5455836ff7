// First, and in this order: each feature's stylesheet (imported by its own modules) refines these
// classes at equal specificity, so it has to come later in the cascade.
import './base.css';
import './shell/shell.css';
import './components/components.css';
import { StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { signIn, watchForNewSignInLink } from './api/access-token';
import { createClient } from './api/client';
import { ClientProvider } from './api/ClientContext';
import { App } from './App';
import { initI18n } from './i18n';
import { SignInPage } from './shell/SignInPage';

const container = document.getElementById('root');
if (container === null) throw new Error('renderer/index.html has no #root element');
const root = createRoot(container);
const render = (node: ReactNode) => root.render(<StrictMode>{node}</StrictMode>);

initI18n();
if (window.kocoro) {
  // The desktop app talks over IPC: nothing to sign in to.
  render(
    <ClientProvider client={createClient()}>
      <App />
    </ClientProvider>,
  );
} else {
  watchForNewSignInLink();
  // Before the router reads the fragment: a sign-in link's code leaves the address bar first.
  void signIn().then((outcome) =>
    render(
      outcome.problem ? (
        <SignInPage problem={outcome.problem} signedIn={outcome.token !== undefined} />
      ) : (
        <ClientProvider client={createClient({ token: outcome.token })}>
          <App />
        </ClientProvider>
      ),
    ),
  );
}
