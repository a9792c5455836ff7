import { startTransition, useEffect, useState } from 'react';

export const ROUTES = ['connectors', 'agents', 'settings'] as const;
export type Route = (typeof ROUTES)[number];

/** "#/agents" (or "#agents") → "agents"; anything else is the Connectors page. */
export function parseRoute(hash: string): Route {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : 'connectors';
}

/** The part of a page a hash points at: "#/connectors/approvals" → "approvals"; none → "". */
export function parseSection(hash: string): string {
  const [name = '', section = ''] = hash.replace(/^#\/?/, '').split('?')[0]!.split('/');
  return (ROUTES as readonly string[]).includes(name) && /^[a-z][a-z0-9-]*$/.test(section) ? section : '';
}

/** "#/agents", or "#/connectors/approvals" with a section. */
export function routeHref(route: Route, section?: string): string {
  return section ? `#/${route}/${section}` : `#/${route}`;
}

export function useHashRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    // A transition: a page whose chunk is still loading (App.tsx) leaves the current one on screen
    // until it can replace it, instead of a loading state between the two.
    const onChange = () => startTransition(() => setRoute(parseRoute(window.location.hash)));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
