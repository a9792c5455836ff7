import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from './api/client';
import { ClientProvider } from './api/ClientContext';
import { App } from './App';
import { initI18n } from './i18n';
import './styles.css';

const container = document.getElementById('root');
if (container === null) throw new Error('renderer/index.html has no #root element');

initI18n();
const client = createClient();

createRoot(container).render(
  <StrictMode>
    <ClientProvider client={client}>
      <App />
    </ClientProvider>
  </StrictMode>,
);
