/** The pure half of the edge: building Caddy routes and config, reading them back, validating input. */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ROUTE_ID, buildDrainRoute, buildInitialConfig, buildRoute, drainRouteId, parseDrainRoute, parseRoute, parseRoutes, routesOfConfig, sameJson,
  validateRouteSpec, type RouteSpec,
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

  it('builds an initial config: admin on a unix socket only, no autosave, no automatic HTTPS, the routes, then the 404 fallback', () => {
    const config = buildInitialConfig({ adminSocket: '/data/caddy/admin.sock', proxyListen: '127.0.0.1:8080', routes: [spec] });
    expect(config.admin).toEqual({ listen: 'unix//data/caddy/admin.sock', config: { persist: false } });
    expect(config).toMatchObject({
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
    expect(() => validateRouteSpec({ ...spec, upstreams: ['127.0.0.1:99999'] })).toThrow(/upstream '127.0.0.1:99999' needs a port from 1 to 65535/);
    expect(() => validateRouteSpec({ ...spec, upstreams: ['{http.request.header.x}:80'] })).toThrow(/invalid host name/);
    expect(() => validateRouteSpec({ ...spec, hosts: ['{http.request.host}'] })).toThrow(/not a host name/);
    expect(() => validateRouteSpec({ ...spec, id: 'web~draining' })).toThrow(/invalid/);
    expect(() => validateRouteSpec({ ...spec, id: '../routes/0' })).toThrow(/invalid/);
    expect(() => validateRouteSpec({ ...spec, hosts: ['*.preview.example.com'] })).not.toThrow();
  });

  it('takes routable upstreams: IPv4, [IPv6] and host names with a port', () => {
    const routable = { ...spec, upstreams: ['10.0.0.5:8080', '[fd00::5]:8080', 'app-1.internal:8080'] };
    expect(() => validateRouteSpec(routable)).not.toThrow();
    expect(parseRoute(buildRoute(routable))).toEqual(routable);
  });

  it('builds a drain holder that never matches, and keeps it out of the routes read back', () => {
    const holder = buildDrainRoute('shop-prod', ['127.0.0.1:8001']);
    expect(holder).toEqual({
      '@id': drainRouteId('shop-prod'),
      match: [{ expression: 'false' }],
      handle: [{ handler: 'reverse_proxy', upstreams: [{ dial: '127.0.0.1:8001' }] }],
      terminal: true,
    });
    expect(parseDrainRoute(holder)).toEqual({ id: 'shop-prod', upstreams: ['127.0.0.1:8001'] });
    expect(parseDrainRoute(buildRoute(spec))).toBeUndefined();
    expect(parseRoute(holder)).toBeUndefined();
    expect(parseRoutes([buildRoute(spec), holder])).toEqual([spec]);
  });

  it('compares JSON deeply, whatever the order of object keys', () => {
    expect(sameJson({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson({ a: [] }, { a: {} })).toBe(false);
    expect(sameJson(buildRoute(spec), JSON.parse(JSON.stringify(buildRoute(spec))))).toBe(true);
  });
});
