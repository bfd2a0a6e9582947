/** The pure half of the edge: building Caddy routes and config, reading them back, validating input. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ROUTE_ID, buildInitialConfig, buildRoute, parseRoute, routesOfConfig, validateRouteSpec, type RouteSpec,
} from './caddy-config.js';

const spec: RouteSpec = { id: 'shop-prod', hosts: ['shop.example.com', 'www.shop.example.com'], upstreams: ['127.0.0.1:8001', '127.0.0.1:8002'] };

describe('caddy config', () => {
  it('builds a host-matched reverse proxy route with retries and reads it back', () => {
    const route = buildRoute(spec);
    expect(route).toMatchObject({
      '@id': 'shop-prod',
      match: [{ host: spec.hosts }],
      handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: '127.0.0.1:8001' }, { dial: '127.0.0.1:8002' }], load_balancing: { try_duration: '2s', try_interval: '100ms' } }],
      terminal: true,
    });
    expect(parseRoute(route)).toEqual(spec);
  });

  it('builds an initial config: loopback admin, no autosave, no automatic HTTPS, the routes, then the 404 fallback', () => {
    const config = buildInitialConfig({ adminListen: '127.0.0.1:2999', proxyListen: '127.0.0.1:8080', routes: [spec] });
    expect(config).toMatchObject({
      admin: { listen: '127.0.0.1:2999', config: { persist: false } },
      apps: { http: { servers: { slipway: { listen: ['127.0.0.1:8080'], automatic_https: { disable: true } } } } },
    });
    const routes = ((config.apps as { http: { servers: { slipway: { routes: { '@id': string }[] } } } }).http.servers.slipway.routes);
    expect(routes.map((route) => route['@id'])).toEqual(['shop-prod', DEFAULT_ROUTE_ID]);
    expect(routesOfConfig(config)).toEqual([spec]);
  });

  it('ignores routes that are not Slipway proxy routes', () => {
    expect(parseRoute({ '@id': DEFAULT_ROUTE_ID, handle: [{ handler: 'static_response' }] })).toBeUndefined();
    expect(parseRoute({ handle: [{ handler: 'reverse_proxy', upstreams: [] }] })).toBeUndefined();
    expect(parseRoute('nonsense')).toBeUndefined();
    expect(routesOfConfig(null)).toEqual([]);
  });

  it('rejects ids, hosts and upstreams it cannot route, saying what is wrong', () => {
    expect(() => validateRouteSpec({ ...spec, id: 'a/b' })).toThrow(/route id 'a\/b' is invalid/);
    expect(() => validateRouteSpec({ ...spec, id: DEFAULT_ROUTE_ID })).toThrow(/invalid/);
    expect(() => validateRouteSpec({ ...spec, hosts: [] })).toThrow(/at least one host/);
    expect(() => validateRouteSpec({ ...spec, hosts: ['bad host'] })).toThrow(/not a host name/);
    expect(() => validateRouteSpec({ ...spec, upstreams: [] })).toThrow(/at least one upstream/);
    expect(() => validateRouteSpec({ ...spec, upstreams: ['10.0.0.5:80'] })).toThrow(/not a loopback address/);
    expect(() => validateRouteSpec({ ...spec, upstreams: ['127.0.0.1:99999'] })).toThrow(/not a loopback address/);
    expect(() => validateRouteSpec({ ...spec, hosts: ['*.preview.example.com'] })).not.toThrow();
  });
});
