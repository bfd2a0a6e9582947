/**
 * A client of Caddy's admin API that manages Slipway's routes on one HTTP server, `slipway`.
 *
 * Every route change is one admin call, which Caddy applies as a graceful config reload: the
 * listener is handed over, requests in flight finish on the old config, new ones get the new one.
 * Mutations from one client are serialised (a promise queue), so a read-then-write such as
 * {@link CaddyAdmin.setRoute} never interleaves with another from the same process; Slipway has
 * one edge writer (the deploy controller's leader), so there is no cross-process locking.
 *
 * @module
 */
import { CaddyAdminError, adminRequest } from './admin-http.js';
import {
  SERVER_NAME, SERVER_PATH, DEFAULT_ROUTE_ID, assertLoopbackAddress, buildDefaultRoute, buildRoute, buildServer,
  isJsonObject, parseRoutes, validateRouteSpec, type Json, type RouteSpec,
} from './caddy-config.js';

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
}

/** How one upstream is doing, from `GET /reverse_proxy/upstreams`. */
export interface UpstreamStatus {
  address: string;
  /** Requests in flight to it right now (0 means drained). */
  numRequests: number;
  fails: number;
}

/** Client of one Caddy's admin API (`http://127.0.0.1:2019`). */
export class CaddyAdmin {
  readonly baseUrl: URL;
  readonly #timeoutMs: number;
  readonly #observer: RouteObserver | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(baseUrl: string, options: CaddyAdminOptions = {}) {
    this.baseUrl = new URL(baseUrl);
    assertLoopbackAddress(this.baseUrl.host, 'caddy admin address');
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#observer = options.observer;
  }

  /** Replaces Caddy's whole config (`POST /load`). */
  load(config: Json): Promise<void> {
    return this.#serial(async () => {
      await this.#call('POST', '/load', config);
      this.#observer?.configLoaded(config);
    });
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

  /** True when the admin API answers within `timeoutMs`. */
  async isUp(timeoutMs = 1_000): Promise<boolean> {
    try {
      await adminRequest(this.baseUrl, 'GET', '/config/', { timeoutMs });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Makes sure the `slipway` server exists, listens on `listen` only, has automatic HTTPS off and
   * ends with the 404 fallback route. Creates what is missing (including `apps.http`), changes
   * nothing when all is in place, and keeps existing routes.
   */
  ensureServer(listen: string): Promise<void> {
    return this.#serial(async () => {
      assertLoopbackAddress(listen, 'proxy listen address');
      const server = await this.getConfig(SERVER_PATH);
      if (!isJsonObject(server)) return this.#create(['apps', 'http', 'servers', SERVER_NAME], buildServer(listen));
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
   * Creates or replaces the route `id`: requests whose Host is one of `hosts` go to `upstreams`
   * (`127.0.0.1:PORT`). A new route goes first, ahead of the 404 fallback.
   */
  setRoute(id: string, hosts: string[], upstreams: string[]): Promise<void> {
    const spec: RouteSpec = { id, hosts: [...hosts], upstreams: [...upstreams] };
    return this.#serial(async () => {
      validateRouteSpec(spec);
      const routes = await this.#routes();
      if (routes.some((route) => isJsonObject(route) && route['@id'] === id)) {
        await this.#call('PATCH', `/id/${encodeURIComponent(id)}`, buildRoute(spec));
      } else {
        await this.#call('PUT', `/config/${SERVER_PATH}/routes/0`, buildRoute(spec));
      }
      this.#observer?.routeSet(spec);
    });
  }

  /** Removes the route `id`; a route that does not exist is not an error. */
  removeRoute(id: string): Promise<void> {
    return this.#serial(async () => {
      const routes = await this.#routes();
      if (routes.some((route) => isJsonObject(route) && route['@id'] === id && id !== DEFAULT_ROUTE_ID)) {
        await this.#call('DELETE', `/id/${encodeURIComponent(id)}`);
      }
      this.#observer?.routeRemoved(id);
    });
  }

  /** Slipway's routes on the `slipway` server, in match order (the 404 fallback left out). */
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
    return adminRequest(this.baseUrl, method, path, { body, timeoutMs: this.#timeoutMs });
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
