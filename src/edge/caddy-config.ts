/**
 * The slice of Caddy's JSON config Slipway writes: one HTTP server named `slipway` on the proxy
 * address, one route per environment (`@id` = the route id, a `host` matcher, a `reverse_proxy`
 * handler), and a last, matcher-less route that answers 404 for hosts nobody deployed to.
 *
 * Pure functions only: building routes and the initial config, and reading routes back out of
 * what Caddy's admin API returns.
 *
 * @module
 */

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
  /** `127.0.0.1:PORT` dial addresses, load-balanced round robin. */
  upstreams: string[];
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const HOST_PATTERN = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const LOOPBACK_ADDRESS = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost):(\d{1,5})$/;

/** Throws a clear error unless `address` is `127.x.y.z:PORT`, `[::1]:PORT` or `localhost:PORT`. */
export function assertLoopbackAddress(address: string, what: string): void {
  const match = LOOPBACK_ADDRESS.exec(address);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) {
    throw new Error(`${what} '${address}' is not a loopback address; use 127.0.0.1:PORT`);
  }
}

/** Throws a clear error when a route spec cannot become a Caddy route. */
export function validateRouteSpec(spec: RouteSpec): void {
  if (!ID_PATTERN.test(spec.id) || spec.id === DEFAULT_ROUTE_ID) {
    throw new Error(`route id '${spec.id}' is invalid; use letters, digits, '.', '_', ':' or '-' (and not '${DEFAULT_ROUTE_ID}')`);
  }
  if (spec.hosts.length === 0) throw new Error(`route '${spec.id}' needs at least one host`);
  for (const host of spec.hosts) {
    if (!HOST_PATTERN.test(host)) throw new Error(`route '${spec.id}': '${host}' is not a host name`);
  }
  if (spec.upstreams.length === 0) throw new Error(`route '${spec.id}' needs at least one upstream`);
  for (const upstream of spec.upstreams) assertLoopbackAddress(upstream, `route '${spec.id}': upstream`);
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

/** A whole Caddy config: admin on `adminListen` (never persisted to disk), and Slipway's server. */
export function buildInitialConfig(options: { adminListen: string; proxyListen: string; routes?: RouteSpec[] }): JsonObject {
  return {
    admin: { listen: options.adminListen, config: { persist: false } },
    apps: { http: { servers: { [SERVER_NAME]: buildServer(options.proxyListen, options.routes) } } },
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
  if (typeof id !== 'string' || id === DEFAULT_ROUTE_ID || !isObject(match) || !isObject(handler)) return undefined;
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
