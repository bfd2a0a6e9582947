/**
 * The slice of Caddy's JSON config Slipway writes: one HTTP server named `slipway` on the proxy
 * address, one route per environment (`@id` = the route id, a `host` matcher, a `reverse_proxy`
 * handler), and a last, matcher-less route that answers 404 for hosts nobody deployed to.
 *
 * Pure functions only: building routes, drain holders and the initial config, and reading routes
 * back out of what Caddy's admin API returns.
 *
 * @module
 */
import { assertUpstreamAddress, isRouteHost } from './addresses.js';

/** The name of Slipway's server in `apps.http.servers`. */
export const SERVER_NAME = 'slipway';
/** `@id` of the fallback route that answers 404; always the last route. */
export const DEFAULT_ROUTE_ID = 'slipway-default';
/** The body of the fallback route's 404. */
export const NO_ROUTE_BODY = 'no Slipway environment for this host\n';
/** Config path (under `/config/`) of Slipway's server. */
export const SERVER_PATH = `apps/http/servers/${SERVER_NAME}`;

/** A JSON value as Caddy's admin API sends and takes it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/** What Slipway routes: requests for these hosts go to these upstreams. */
export interface RouteSpec {
  /** The route's `@id`, unique in the whole Caddy config. */
  id: string;
  /** Host names the route matches (`Host` header, port ignored). */
  hosts: string[];
  /** Dial addresses (`127.0.0.1:PORT` locally; `IPv4:PORT`, `[IPv6]:PORT`, `host:PORT`), load-balanced round robin. */
  upstreams: string[];
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Throws a clear error when a route spec cannot become a Caddy route. */
export function validateRouteSpec(spec: RouteSpec): void {
  if (!ID_PATTERN.test(spec.id) || spec.id === DEFAULT_ROUTE_ID) {
    throw new Error(`route id '${spec.id}' is invalid; use letters, digits, '.', '_', ':' or '-' (and not '${DEFAULT_ROUTE_ID}')`);
  }
  if (spec.hosts.length === 0) throw new Error(`route '${spec.id}' needs at least one host`);
  for (const host of spec.hosts) {
    if (!isRouteHost(host)) throw new Error(`route '${spec.id}': '${host}' is not a host name`);
  }
  if (spec.upstreams.length === 0) throw new Error(`route '${spec.id}' needs at least one upstream`);
  for (const upstream of spec.upstreams) assertUpstreamAddress(upstream, `route '${spec.id}': upstream`);
}

/**
 * The Caddy route for a spec.
 *
 * Load balancing: `try_duration` 2 s with `try_interval` 100 ms means a request whose upstream
 * refuses the connection (a container that just stopped) is retried on another upstream for up
 * to 2 s instead of failing. The passive health check takes an upstream out of rotation for
 * 2 s after a failed dial, so later requests do not pay for the retry again; kept short so a
 * single-upstream route that failed once is not held down long after its upstream recovers.
 */
export function buildRoute(spec: RouteSpec): JsonObject {
  return {
    '@id': spec.id,
    match: [{ host: [...spec.hosts] }],
    handle: [
      {
        handler: 'reverse_proxy',
        upstreams: spec.upstreams.map((dial) => ({ dial })),
        load_balancing: {
          selection_policy: { policy: 'round_robin' },
          try_duration: '2s',
          try_interval: '100ms',
        },
        health_checks: { passive: { fail_duration: '2s', max_fails: 1 } },
      },
    ],
    terminal: true,
  };
}

/** The fallback route: a host without a route gets a 404 that says so. */
export function buildDefaultRoute(): JsonObject {
  return {
    '@id': DEFAULT_ROUTE_ID,
    handle: [{ handler: 'static_response', status_code: 404, body: NO_ROUTE_BODY }],
    terminal: true,
  };
}

/** Slipway's server: plain HTTP on a loopback address, no automatic HTTPS, the given routes. */
export function buildServer(listen: string, routes: RouteSpec[] = []): JsonObject {
  return {
    listen: [listen],
    protocols: ['h1', 'h2'],
    automatic_https: { disable: true },
    routes: [...routes.map(buildRoute), buildDefaultRoute()],
  };
}

/** Caddy's `admin.listen` for a unix socket at the absolute path `socketPath` (`unix//path`). */
export function adminListenOf(socketPath: string): string {
  return `unix/${socketPath}`;
}

/**
 * A whole Caddy config: the admin API on the unix socket `adminSocket` only (no TCP listener;
 * never persisted to disk), and Slipway's server.
 */
export function buildInitialConfig(options: { adminSocket: string; proxyListen: string; routes?: RouteSpec[] }): JsonObject {
  return {
    admin: { listen: adminListenOf(options.adminSocket), config: { persist: false } },
    apps: { http: { servers: { [SERVER_NAME]: buildServer(options.proxyListen, options.routes) } } },
  };
}

/** `@id` suffix of a drain holder; route ids cannot contain `~`, so it never clashes with one. */
const DRAIN_SUFFIX = '~draining';

/** `@id` of the drain holder of route `id`. */
export function drainRouteId(id: string): string {
  return `${id}${DRAIN_SUFFIX}`;
}

/**
 * A drain holder: a route that never matches (`expression: false`) and proxies to `upstreams`.
 *
 * Why it exists: Caddy counts in-flight requests per upstream address in one process-wide pool
 * that every config's reverse proxies share, and lists in `/reverse_proxy/upstreams` only the
 * addresses the *current* config names. Once a route stops naming an upstream, its requests still
 * in flight (served by the previous config) are neither listed nor counted there; seen on Caddy
 * 2.6.2: three requests in flight to A, route switched to [B], A vanished from the list at once
 * while its requests ran for 3 s more. A holder keeps the address in the config, so the pool keeps
 * the same counter and the drain can read it; it never receives a request of its own.
 */
export function buildDrainRoute(id: string, upstreams: string[]): JsonObject {
  return {
    '@id': drainRouteId(id),
    match: [{ expression: 'false' }],
    handle: [{ handler: 'reverse_proxy', upstreams: upstreams.map((dial) => ({ dial })) }],
    terminal: true,
  };
}

/** The route id and upstreams of a drain holder, or undefined when `route` is not one. */
export function parseDrainRoute(route: Json): { id: string; upstreams: string[] } | undefined {
  if (!isObject(route) || typeof route['@id'] !== 'string' || !route['@id'].endsWith(DRAIN_SUFFIX)) return undefined;
  const handler = Array.isArray(route.handle) ? route.handle[0] : undefined;
  const upstreams = isObject(handler) && Array.isArray(handler.upstreams) ? handler.upstreams : [];
  return {
    id: route['@id'].slice(0, -DRAIN_SUFFIX.length),
    upstreams: upstreams.flatMap((upstream) => (isObject(upstream) && typeof upstream.dial === 'string' ? [upstream.dial] : [])),
  };
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: Json | undefined): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** A Caddy route read back as a spec, or undefined when it is not a Slipway proxy route. */
export function parseRoute(route: Json): RouteSpec | undefined {
  if (!isObject(route)) return undefined;
  const id = route['@id'];
  const match = Array.isArray(route.match) ? route.match[0] : undefined;
  const handler = Array.isArray(route.handle) ? route.handle[0] : undefined;
  if (typeof id !== 'string' || id === DEFAULT_ROUTE_ID || id.endsWith(DRAIN_SUFFIX) || !isObject(match) || !isObject(handler)) return undefined;
  if (handler.handler !== 'reverse_proxy' || !Array.isArray(handler.upstreams)) return undefined;
  const upstreams = handler.upstreams.flatMap((upstream) => (isObject(upstream) && typeof upstream.dial === 'string' ? [upstream.dial] : []));
  return { id, hosts: strings(match.host), upstreams };
}

/** Every Slipway proxy route in a server's `routes` array, in order. */
export function parseRoutes(routes: Json | undefined): RouteSpec[] {
  return Array.isArray(routes) ? routes.flatMap((route) => parseRoute(route) ?? []) : [];
}

/** The Slipway routes in a whole config (as given to `/load`), or [] when it has no such server. */
export function routesOfConfig(config: Json): RouteSpec[] {
  const apps = isObject(config) ? config.apps : undefined;
  const http = isObject(apps) ? apps.http : undefined;
  const servers = isObject(http) ? http.servers : undefined;
  const server = isObject(servers) ? servers[SERVER_NAME] : undefined;
  return isObject(server) ? parseRoutes(server.routes) : [];
}

/** True when `value` is a JSON object (exported for the admin client). */
export function isJsonObject(value: Json | undefined): value is JsonObject {
  return isObject(value);
}

/** Deep equality of two JSON values, ignoring the order of object keys. */
export function sameJson(a: Json | undefined, b: Json | undefined): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  }
  if (isObject(a) || isObject(b)) {
    if (!isObject(a) || !isObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && sameJson(a[key], b[key]));
  }
  return a === b;
}
