/**
 * The panel's routes: plain paths (the server answers any panel path with the app), matched
 * here, changed with the History API so moving around never reloads the page.
 */
import { useEffect, useState } from 'react';

export const environmentTabs = ['releases', 'config', 'secrets', 'services', 'settings', 'logs'] as const;
export type EnvironmentTab = (typeof environmentTabs)[number];

export type Route =
  | { view: 'workspaces' }
  | { view: 'workspace'; ws: string }
  | { view: 'audit'; ws: string }
  | { view: 'members'; ws: string }
  | { view: 'services'; ws: string }
  | { view: 'registries'; ws: string }
  | { view: 'ws-servers'; ws: string }
  | { view: 'ws-server'; ws: string; server: string }
  | { view: 'service'; ws: string; service: string }
  | { view: 'applications'; ws: string }
  | { view: 'application'; ws: string; app: string }
  | { view: 'upgrade'; ws: string; app: string; id: string }
  | { view: 'pipeline'; ws: string; project: string }
  | { view: 'images'; ws: string; project: string }
  | { view: 'project-config'; ws: string; project: string }
  | { view: 'pipelines'; ws: string; project: string }
  | { view: 'run'; ws: string; id: string }
  | { view: 'promotion'; ws: string; id: string }
  | { view: 'environment'; ws: string; project: string; env: string; tab: EnvironmentTab }
  | { view: 'deployment'; ws: string; id: string }
  | { view: 'servers' }
  | { view: 'instance' }
  | { view: 'server'; server: string }
  | { view: 'not-found'; path: string };

export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p));
  const [w, ws, kind, a, b, c, d] = parts;
  if (parts.length === 0) return { view: 'workspaces' };
  if (w === 'instance' && parts.length === 1) return { view: 'instance' };
  if (w === 'servers' && parts.length <= 2) return ws ? { view: 'server', server: ws } : { view: 'servers' };
  if (w !== 'w' || !ws) return { view: 'not-found', path: pathname };
  if (parts.length === 2) return { view: 'workspace', ws };
  if (kind === 'audit' && parts.length === 3) return { view: 'audit', ws };
  if (kind === 'members' && parts.length === 3) return { view: 'members', ws };
  if (kind === 'services' && parts.length === 3) return { view: 'services', ws };
  if (kind === 'registries' && parts.length === 3) return { view: 'registries', ws };
  if (kind === 'servers' && parts.length === 3) return { view: 'ws-servers', ws };
  if (kind === 'servers' && a && parts.length === 4) return { view: 'ws-server', ws, server: a };
  if (kind === 'services' && a && parts.length === 4) return { view: 'service', ws, service: a };
  if (kind === 'apps' && parts.length === 3) return { view: 'applications', ws };
  if (kind === 'apps' && a && parts.length === 4) return { view: 'application', ws, app: a };
  if (kind === 'apps' && a && b === 'upgrades' && c && parts.length === 6) return { view: 'upgrade', ws, app: a, id: c };
  if (kind === 'deployments' && a && parts.length === 4) return { view: 'deployment', ws, id: a };
  if (kind === 'runs' && a && parts.length === 4) return { view: 'run', ws, id: a };
  if (kind === 'promotions' && a && parts.length === 4) return { view: 'promotion', ws, id: a };
  if (kind === 'p' && a) {
    if (parts.length === 4) return { view: 'pipeline', ws, project: a };
    if (b === 'images' && parts.length === 5) return { view: 'images', ws, project: a };
    if (b === 'config' && parts.length === 5) return { view: 'project-config', ws, project: a };
    if (b === 'pipelines' && parts.length === 5) return { view: 'pipelines', ws, project: a };
    if (b === 'e' && c) {
      const tab = environmentTabs.find((t) => t === (d ?? 'releases'));
      if (tab && parts.length <= 7) return { view: 'environment', ws, project: a, env: c, tab };
    }
  }
  return { view: 'not-found', path: pathname };
}

/** The panel path of a route (each segment percent-encoded). */
export function href(...segments: string[]): string {
  return '/' + segments.map(encodeURIComponent).join('/');
}

const listeners = new Set<() => void>();

export function navigate(to: string): void {
  if (to === location.pathname + location.search) return;
  history.pushState(null, '', to);
  for (const l of listeners) l();
}

export function useLocation(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return path;
}
