import { describe, expect, it } from 'vitest';
import { href, parseRoute } from './router';

describe('parseRoute', () => {
  it('maps every panel path to its view', () => {
    expect(parseRoute('/')).toEqual({ view: 'workspaces' });
    expect(parseRoute('/w/acme')).toEqual({ view: 'workspace', ws: 'acme' });
    expect(parseRoute('/w/acme/audit')).toEqual({ view: 'audit', ws: 'acme' });
    expect(parseRoute('/w/acme/members')).toEqual({ view: 'members', ws: 'acme' });
    expect(parseRoute('/w/acme/p/shop')).toEqual({ view: 'pipeline', ws: 'acme', project: 'shop' });
    expect(parseRoute('/w/acme/p/shop/images')).toEqual({ view: 'images', ws: 'acme', project: 'shop' });
    expect(parseRoute('/w/acme/p/shop/config')).toEqual({ view: 'project-config', ws: 'acme', project: 'shop' });
    expect(parseRoute('/w/acme/p/shop/e/prod')).toEqual({ view: 'environment', ws: 'acme', project: 'shop', env: 'prod', tab: 'releases' });
    expect(parseRoute('/w/acme/p/shop/e/prod/secrets')).toEqual({ view: 'environment', ws: 'acme', project: 'shop', env: 'prod', tab: 'secrets' });
    expect(parseRoute('/w/acme/p/shop/e/prod/services')).toEqual({ view: 'environment', ws: 'acme', project: 'shop', env: 'prod', tab: 'services' });
    expect(parseRoute('/w/acme/p/shop/e/prod/settings')).toEqual({ view: 'environment', ws: 'acme', project: 'shop', env: 'prod', tab: 'settings' });
    expect(parseRoute('/w/acme/p/shop/e/prod/logs')).toEqual({ view: 'environment', ws: 'acme', project: 'shop', env: 'prod', tab: 'logs' });
    expect(parseRoute('/w/acme/services')).toEqual({ view: 'services', ws: 'acme' });
    expect(parseRoute('/w/acme/registries')).toEqual({ view: 'registries', ws: 'acme' });
    expect(parseRoute('/w/acme/apps')).toEqual({ view: 'applications', ws: 'acme' });
    expect(parseRoute('/w/acme/apps/shop')).toEqual({ view: 'application', ws: 'acme', app: 'shop' });
    expect(parseRoute('/w/acme/apps/shop/upgrades/hup_1')).toEqual({ view: 'upgrade', ws: 'acme', app: 'shop', id: 'hup_1' });
    expect(parseRoute('/w/acme/services/cache')).toEqual({ view: 'service', ws: 'acme', service: 'cache' });
    expect(parseRoute('/w/acme/deployments/dep_1')).toEqual({ view: 'deployment', ws: 'acme', id: 'dep_1' });
    expect(parseRoute('/w/acme/p/shop/pipelines')).toEqual({ view: 'pipelines', ws: 'acme', project: 'shop' });
    expect(parseRoute('/w/acme/runs/run_1')).toEqual({ view: 'run', ws: 'acme', id: 'run_1' });
    expect(parseRoute('/w/acme/promotions/prm_1')).toEqual({ view: 'promotion', ws: 'acme', id: 'prm_1' });
    expect(parseRoute('/servers')).toEqual({ view: 'servers' });
    expect(parseRoute('/servers/edge-1')).toEqual({ view: 'server', server: 'edge-1' });
    expect(parseRoute('/instance')).toEqual({ view: 'instance' });
    expect(parseRoute('/w/acme/servers')).toEqual({ view: 'ws-servers', ws: 'acme' });
    expect(parseRoute('/w/acme/servers/edge-1')).toEqual({ view: 'ws-server', ws: 'acme', server: 'edge-1' });
  });

  it('calls anything else not found', () => {
    for (const p of ['/x', '/w/acme/p', '/w/acme/p/shop/e/prod/keys', '/w/acme/p/shop/e/prod/settings/x', '/w/acme/p/shop/nope', '/w/acme/p/shop/config/x', '/w/acme/services/cache/x', '/w/acme/registries/x', '/servers/edge-1/x', '/instance/x', '/w/acme/apps/shop/upgrades', '/w/acme/apps/shop/nope/hup_1', '/w/acme/apps/shop/upgrades/hup_1/x', '/w/acme/members/x']) expect(parseRoute(p).view).toBe('not-found');
  });

  it('round-trips names through href', () => {
    expect(parseRoute(href('w', 'a b', 'p', 'x/y'))).toEqual({ view: 'pipeline', ws: 'a b', project: 'x/y' });
  });
});
