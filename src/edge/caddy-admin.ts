/**
 * A client of Caddy's admin API (on its unix socket) that manages Slipway's routes on one HTTP
 * server, `slipway`.
 *
 * Every route change is one admin call, which Caddy applies as a graceful config reload: the
 * listener is handed over, requests in flight finish on the old config, new ones get the new one.
 * A change that would leave the route as it is makes no call at all, so re-applying every route
 * (a server that adopted a running Caddy reconciles them) reloads nothing. Mutations from one
 * client are serialised (a promise queue), so a read-then-write such as
 * {@link CaddyAdmin.setRoute} never interleaves with another from the same process; Slipway has
 * one edge writer (the deploy controller's leader), so there is no cross-process locking.
 *
 * Upstreams a change takes out of a route stay in a drain holder (see `buildDrainRoute`) so that
 * {@link CaddyAdmin.inFlight} still counts their requests; holders whose upstreams have nothing in
 * flight any more are dropped at the next change.
 *
 * @module
 */
import { buildServerLogs } from './access-log.js';
import { CaddyAdminError, adminRequest } from './admin-http.js';
import { assertLoopbackAddress } from './addresses.js';
import {
  SERVER_NAME, SERVER_PATH, DEFAULT_ROUTE_ID, buildDefaultRoute, buildDrainRoute, buildRoute, buildServer,
  isJsonObject, parseDrainRoute, parseRoute, parseRoutes, sameJson, validateRouteSpec, type Json, type RouteSpec,
} from './caddy-config.js';
import { HTTP_SERVER_NAME, withHttps, withoutHttps, type HttpsSpec } from './https-config.js';

/** Told about every route change that Caddy accepted (the supervisor re-applies them after a restart). */
export interface RouteObserver {
  routeSet(spec: RouteSpec): void;
  routeRemoved(id: string): void;
  configLoaded(config: Json): void;
}

/** Options of {@link CaddyAdmin}. */
export interface CaddyAdminOptions {
  /** Per-request timeout; 10 s by default (a reload with many routes takes well under 1 s). */
  timeoutMs?: number;
  observer?: RouteObserver;
  /** Told about every call to Caddy before it is sent (for logs and tests). */
  onRequest?: (method: string, path: string) => void;
}

/** How one upstream is doing, from `GET /reverse_proxy/upstreams`. */
export interface UpstreamStatus {
  address: string;
  /** Requests in flight to it right now (0 means drained). */
  numRequests: number;
  fails: number;
}

/** The longest path a unix socket address can hold on Linux (`sun_path` is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Throws a clear error unless `socketPath` can be a unix socket's address. */
export function assertSocketPath(socketPath: string): void {
  if (!socketPath.startsWith('/')) throw new Error(`caddy admin socket '${socketPath}' must be an absolute path`);
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`caddy admin socket path ${socketPath} is ${bytes} bytes long; unix sockets allow at most ${MAX_SOCKET_PATH_BYTES}: use a shorter data directory path`);
  }
}

/** Client of one Caddy's admin API on the unix socket `socketPath`. */
export class CaddyAdmin {
  readonly socketPath: string;
  readonly #timeoutMs: number;
  readonly #observer: RouteObserver | undefined;
  readonly #onRequest: ((method: string, path: string) => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(socketPath: string, options: CaddyAdminOptions = {}) {
    assertSocketPath(socketPath);
    this.socketPath = socketPath;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#observer = options.observer;
    this.#onRequest = options.onRequest;
  }

  /** Replaces Caddy's whole config (`POST /load`). */
  load(config: Json): Promise<void> {
    return this.#serial(() => this.#load(config));
  }

  async #load(config: Json): Promise<void> {
    await this.#call('POST', '/load', config);
    this.#observer?.configLoaded(config);
  }

  /** The config at a path under `/config/` (e.g. `apps/http/servers`); null when nothing is there. */
  async getConfig(path = ''): Promise<Json> {
    try {
      return (await this.#call('GET', `/config/${path.replace(/^\/+/, '')}`)).body;
    } catch (error) {
      // Caddy answers null for a missing leaf but 400 for a path through a missing parent.
      if (error instanceof CaddyAdminError && error.status === 400 && /invalid traversal path/.test(error.message)) return null;
      throw error;
    }
  }

  /**
   * The root certificate (PEM) of Caddy's internal CA `id` (`GET /pki/ca/<id>`): what signs the
   * `tls internal` certificates of an edge with HTTPS, for clients that want to trust them.
   */
  async internalRoot(id = 'local'): Promise<string> {
    const body = (await this.#call('GET', `/pki/ca/${encodeURIComponent(id)}`)).body;
    if (!isJsonObject(body) || typeof body.root_certificate !== 'string') throw new Error(`caddy's CA '${id}' has no root certificate`);
    return body.root_certificate;
  }

  /** True when the admin API answers within `timeoutMs`. */
  async isUp(timeoutMs = 1_000): Promise<boolean> {
    try {
      await adminRequest(this.socketPath, 'GET', '/config/', { timeoutMs });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Makes sure the `slipway` server exists, listens on `listen` only, has automatic HTTPS off and
   * ends with the 404 fallback route. Creates what is missing (including `apps.http`), changes
   * nothing when all is in place, and keeps existing routes. An edge that served HTTPS (see
   * {@link CaddyAdmin.ensureHttps}) becomes HTTP-only in one reload.
   */
  ensureServer(listen: string, publicListen = false): Promise<void> {
    return this.#serial(async () => {
      if (!publicListen) assertLoopbackAddress(listen, 'proxy listen address');
      const server = await this.getConfig(SERVER_PATH);
      if (!isJsonObject(server)) return this.#create(['apps', 'http', 'servers', SERVER_NAME], buildServer(listen));
      // An edge that served HTTPS before (an agent restarted with --https-port none): back to HTTP only, in one reload.
      if ('tls_connection_policies' in server || (await this.getConfig(`apps/http/servers/${HTTP_SERVER_NAME}`)) !== null) {
        return this.#load(withoutHttps(await this.getConfig(''), listen));
      }
      const current = Array.isArray(server.listen) ? server.listen : [];
      if (current.length !== 1 || current[0] !== listen) await this.#call('POST', `/config/${SERVER_PATH}/listen`, [listen]);
      const https = server.automatic_https;
      if (!isJsonObject(https) || https.disable !== true) await this.#call('POST', `/config/${SERVER_PATH}/automatic_https`, { disable: true });
      const routes = Array.isArray(server.routes) ? server.routes : [];
      if (!routes.some((route) => isJsonObject(route) && route['@id'] === DEFAULT_ROUTE_ID)) {
        await this.#call('POST', `/config/${SERVER_PATH}/routes`, Array.isArray(server.routes) ? buildDefaultRoute() : [buildDefaultRoute()]);
      }
    });
  }

  /**
   * Makes this Caddy an edge with HTTPS (see https-config.ts): Slipway's server on `https.listen`
   * with automatic HTTPS, plain HTTP on `httpListen` (redirects, ACME challenges, 404), the TLS
   * automation policies of `https.acme`. Keeps the routes; one reload when anything differs, none
   * when all is in place.
   */
  ensureHttps(httpListen: string, https: HttpsSpec, publicListen = false): Promise<void> {
    return this.#serial(async () => {
      if (!publicListen) {
        assertLoopbackAddress(httpListen, 'proxy listen address');
        assertLoopbackAddress(https.listen, 'HTTPS listen address');
      }
      const current = await this.getConfig('');
      const next = withHttps(current, httpListen, https);
      if (!sameJson(current, next)) await this.#load(next);
    });
  }

  /**
   * Creates or replaces the route `id`: requests whose Host is one of `hosts` go to `upstreams`
   * (`IPv4:PORT`, `[IPv6]:PORT` or `host:PORT`). A new route goes first, ahead of the 404
   * fallback; a replaced one keeps its place. Nothing is sent when the route is already so.
   */
  setRoute(id: string, hosts: string[], upstreams: string[]): Promise<void> {
    const spec: RouteSpec = { id, hosts: [...hosts], upstreams: [...upstreams] };
    return this.#serial(async () => {
      validateRouteSpec(spec);
      const routes = await this.#routes();
      const at = routes.findIndex((route) => isJsonObject(route) && route['@id'] === id);
      const wanted = buildRoute(spec);
      if (at < 0 || !sameJson(routes[at], wanted)) {
        const next = at < 0 ? [wanted, ...routes] : routes.map((route, i) => (i === at ? wanted : route));
        const before = at < 0 ? [] : (parseRoute(routes[at] ?? null)?.upstreams ?? []);
        await this.#writeRoutes(await this.#withDrainHolders(next, id, before, spec.upstreams));
      }
      this.#observer?.routeSet(spec);
    });
  }

  /** Removes the route `id` (its upstreams drain in a holder); a route that does not exist is not an error. */
  removeRoute(id: string): Promise<void> {
    return this.#serial(async () => {
      const routes = await this.#routes();
      const current = id === DEFAULT_ROUTE_ID ? undefined : routes.find((route) => isJsonObject(route) && route['@id'] === id);
      if (current !== undefined) {
        const next = routes.filter((route) => route !== current);
        await this.#writeRoutes(await this.#withDrainHolders(next, id, parseRoute(current)?.upstreams ?? [], []));
      }
      this.#observer?.routeRemoved(id);
    });
  }

  /**
   * Access logs for exactly these hosts (see access-log.ts); none when `hosts` is empty. One
   * config change (a graceful reload, like a route change).
   */
  setAccessLogHosts(hosts: string[], port: number | null): Promise<void> {
    return this.#serial(async () => {
      const wanted = buildServerLogs(hosts, port);
      const current = await this.getConfig(`${SERVER_PATH}/logs`);
      if (sameJson(current ?? null, wanted)) return;
      if (wanted === null) await this.#call('DELETE', `/config/${SERVER_PATH}/logs`);
      else await this.#call('POST', `/config/${SERVER_PATH}/logs`, wanted);
    });
  }

  /** Slipway's routes on the `slipway` server, in match order (the 404 fallback and drain holders left out). */
  async listRoutes(): Promise<RouteSpec[]> {
    return parseRoutes(await this.getConfig(`${SERVER_PATH}/routes`));
  }

  /** In-flight request counts per upstream address, across every reverse proxy Caddy runs. */
  async upstreams(): Promise<UpstreamStatus[]> {
    const body = (await this.#call('GET', '/reverse_proxy/upstreams')).body;
    if (!Array.isArray(body)) return [];
    return body.flatMap((item) =>
      isJsonObject(item) && typeof item.address === 'string'
        ? [{ address: item.address, numRequests: Number(item.num_requests ?? 0), fails: Number(item.fails ?? 0) }]
        : [],
    );
  }

  /**
   * Requests in flight right now to any of `upstreams` (each address counted once; one Caddy does
   * not know counts 0). Includes requests of earlier configs to upstreams a route no longer names,
   * as long as their drain holder is there: what a drain waits on after a switch.
   */
  async inFlight(upstreams: string[]): Promise<number> {
    const wanted = new Set(upstreams);
    let total = 0;
    for (const upstream of await this.upstreams()) if (wanted.has(upstream.address)) total += upstream.numRequests;
    return total;
  }

  /**
   * Stops this Caddy (`POST /stop`: it finishes in-flight requests, then exits) and waits until its
   * admin API no longer answers, at most `timeoutMs`. False when no Caddy answered to begin with.
   */
  async shutdown(timeoutMs = 15_000): Promise<boolean> {
    if (!(await this.isUp())) return false;
    await this.#call('POST', '/stop').catch((error: unknown) => {
      // Caddy may close the connection as it exits, before its answer is out.
      if (!(error instanceof CaddyAdminError && error.unreachable)) throw error;
    });
    const deadline = Date.now() + timeoutMs;
    // Polls every 100 ms: a stop takes a few ms plus the longest request in flight; one process.
    while (await this.isUp(1_000)) {
      if (Date.now() > deadline) throw new Error(`caddy at ${this.socketPath} still answers ${timeoutMs} ms after POST /stop`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return true;
  }

  /**
   * `routes` with the drain holders brought up to date for a change of route `id` from `before`
   * to `after` upstreams: the upstreams it drops join `id`'s holder; in every other holder, only
   * upstreams that still have requests in flight stay; empty holders go.
   */
  async #withDrainHolders(routes: Json[], id: string, before: string[], after: string[]): Promise<Json[]> {
    const dropped = before.filter((upstream) => !after.includes(upstream));
    const holders = routes.flatMap((route) => parseDrainRoute(route) ?? []);
    if (dropped.length === 0 && holders.length === 0) return routes;
    const busy = new Set((await this.upstreams()).flatMap((u) => (u.numRequests > 0 ? [u.address] : [])));
    const kept = new Map<string, string[]>();
    for (const holder of holders) {
      const still = holder.upstreams.filter((upstream) => busy.has(upstream) && !(holder.id === id && after.includes(upstream)));
      if (still.length > 0) kept.set(holder.id, still);
    }
    if (dropped.length > 0) kept.set(id, [...new Set([...(kept.get(id) ?? []), ...dropped])]);
    const others = routes.filter((route) => parseDrainRoute(route) === undefined);
    const fallback = others.findIndex((route) => isJsonObject(route) && route['@id'] === DEFAULT_ROUTE_ID);
    const drains = [...kept].map(([holderId, upstreams]) => buildDrainRoute(holderId, upstreams));
    // Holders never match; they sit just ahead of the fallback, which stays last.
    return fallback < 0 ? [...others, ...drains] : [...others.slice(0, fallback), ...drains, ...others.slice(fallback)];
  }

  async #writeRoutes(routes: Json[]): Promise<void> {
    await this.#call('PATCH', `/config/${SERVER_PATH}/routes`, routes);
  }

  async #routes(): Promise<Json[]> {
    const routes = await this.getConfig(`${SERVER_PATH}/routes`);
    if (!Array.isArray(routes)) {
      throw new Error(`caddy has no '${SERVER_NAME}' server with routes; call ensureServer(listen) first`);
    }
    return routes;
  }

  /** Creates `value` at `segments`, wrapping it in the missing parent objects. */
  async #create(segments: string[], value: Json): Promise<void> {
    let wrapped = value;
    for (let depth = segments.length; depth > 1; depth -= 1) {
      const parent = await this.getConfig(segments.slice(0, depth - 1).join('/'));
      if (isJsonObject(parent)) {
        await this.#call('POST', `/config/${segments.slice(0, depth).join('/')}`, wrapped);
        return;
      }
      wrapped = { [segments[depth - 1] ?? '']: wrapped };
    }
    const root = await this.getConfig('');
    if (isJsonObject(root)) await this.#call('POST', `/config/${segments[0] ?? ''}`, wrapped);
    else await this.#call('POST', '/config/', { [segments[0] ?? '']: wrapped });
  }

  #call(method: string, path: string, body?: Json): Promise<{ status: number; body: Json }> {
    this.#onRequest?.(method, path);
    return adminRequest(this.socketPath, method, path, { body, timeoutMs: this.#timeoutMs });
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
