import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { takeAccessToken, watchForNewAccessLink } from './api/access-token';
import { createClient } from './api/client';
import { ClientProvider } from './api/ClientContext';
import { App } from './App';
import { initI18n } from './i18n';
import './styles.css';

const container = document.getElementById('root');
if (container === null) throw new Error('renderer/index.html has no #root element');

initI18n();
// The desktop app talks over IPC; the headless UI needs its access token (before the router reads the fragment).
const client = window.kocoro ? createClient() : createClient({ token: takeAccessToken() });
if (!window.kocoro) watchForNewAccessLink();

createRoot(container).render(
  <StrictMode>
    <ClientProvider client={client}>
      <App />
    </ClientProvider>
  </StrictMode>,
);
