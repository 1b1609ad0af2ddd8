import { HeraldProvider } from '@herald/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Dashboard } from './dashboard.js';

// `?router=ws://host:port/` picks the router (default: port 8080 of this page's host); `?name=` how
// others see this page in presence.
const params = new URLSearchParams(location.search);
const url = params.get('router') ?? `ws://${location.hostname}:8080/`;
const name = params.get('name') ?? 'dashboard';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <HeraldProvider url={url} options={{ name }}>
      <Dashboard />
    </HeraldProvider>
  </StrictMode>,
);
