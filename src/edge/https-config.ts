/**
 * The edge with HTTPS (a server's edge, run by its agent): the same `slipway` server and routes
 * as the HTTP-only edge, but on the HTTPS address, with Caddy's automatic HTTPS on, plus:
 *
 * - `slipway-http`, a plain HTTP server on the HTTP address that answers 404 for unknown hosts.
 *   Caddy puts its HTTP→HTTPS redirects (308, same host and URI) for every routed domain ahead of
 *   that 404, and answers ACME http-01 challenges on it before any route (Caddy 2.6.2
 *   `caddyhttp/autohttps.go`, `server.go`).
 * - `apps.tls`: which issuer signs which name. Private names get `tls internal` (the edge's own
 *   CA): Caddy does that by itself for `localhost`, `*.localhost`, `*.local` and IP addresses,
 *   and an explicit policy adds single-label names, `*.internal`, `*.home.arpa` and `*.lan`. Every other name goes to
 *   the ACME directory of the instance's settings (with the CA roots it trusts), or to Caddy's
 *   default issuers (Let's Encrypt, then ZeroSSL) when none is set.
 * - `apps.pki`: the internal CA never installs its root into the machine's trust store.
 *
 * Pure functions only; the admin client applies them (see `CaddyAdmin.ensureHttps`).
 *
 * @module
 */
import { isIP } from 'node:net';
import { DEFAULT_ROUTE_ID, NO_ROUTE_BODY, SERVER_NAME, buildDefaultRoute, buildServer, isJsonObject, type Json, type JsonObject } from './caddy-config.js';

/** The name of the plain HTTP server (redirects, ACME challenges) in `apps.http.servers`. */
export const HTTP_SERVER_NAME = 'slipway-http';

/** Where certificates come from for names that are not private. */
export interface AcmeSettings {
  /** The ACME directory URL; null: Caddy's default issuers (Let's Encrypt, then ZeroSSL). */
  directory: string | null;
  /** PEM files of the CA roots trusted when talking to the directory (for a private ACME CA). */
  trustedRootFiles: string[];
  /** The ACME account's contact address; null: none. */
  email: string | null;
}

/** How an edge serves HTTPS. */
export interface HttpsSpec {
  /** `ADDRESS:PORT` of the HTTPS listener (the proxy listen address serves plain HTTP). */
  listen: string;
  acme: AcmeSettings;
}

/** The issuer Slipway's config picks for a name. */
export type CertificateSource = 'acme' | 'internal';

/** Private suffixes beyond Caddy's own (`localhost`, `local`): names nobody can get a public certificate for. */
export const PRIVATE_SUFFIXES = ['internal', 'home.arpa', 'lan'] as const;
/** Labels in front of a private suffix the internal policy covers (its subjects are `*.x`, `*.*.x`, …). */
const PRIVATE_DEPTH = 4;

/** True when `host` gets `tls internal` rather than an ACME certificate. */
export function isPrivateName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (isIP(name) !== 0 || !name.includes('.')) return true;
  if (name === 'localhost' || name.endsWith('.localhost') || name.endsWith('.local')) return true;
  return PRIVATE_SUFFIXES.some((suffix) => name.endsWith(`.${suffix}`) && name.split('.').length - suffix.split('.').length <= PRIVATE_DEPTH);
}

/** Which issuer signs `host`'s certificate on an edge with HTTPS. */
export function certificateSource(host: string): CertificateSource {
  return isPrivateName(host) ? 'internal' : 'acme';
}

/**
 * Subjects of the explicit internal policy: `*` (single-label names, which Caddy would otherwise
 * send to ACME), then `*.internal`, `*.*.internal`, … (Caddy's wildcard match is per label).
 */
function privateSubjects(): string[] {
  return ['*', ...PRIVATE_SUFFIXES.flatMap((suffix) => Array.from({ length: PRIVATE_DEPTH }, (_, depth) => `${'*.'.repeat(depth + 1)}${suffix}`))];
}

/** The ACME issuer for public names. */
export function buildAcmeIssuer(acme: AcmeSettings): JsonObject {
  const issuer: JsonObject = { module: 'acme' };
  if (acme.directory !== null) issuer.ca = acme.directory;
  if (acme.trustedRootFiles.length > 0) issuer.trusted_roots_pem_files = [...acme.trustedRootFiles];
  if (acme.email !== null) issuer.email = acme.email;
  return issuer;
}

/** `apps.tls`: the internal policy for private names first, then the catch-all for every other name. */
export function buildTlsApp(acme: AcmeSettings): JsonObject {
  const policies: Json[] = [{ subjects: privateSubjects(), issuers: [{ module: 'internal' }] }];
  // Without a directory the catch-all has no issuers, so Caddy fills in its defaults.
  policies.push(acme.directory === null && acme.trustedRootFiles.length === 0 && acme.email === null ? {} : { issuers: [buildAcmeIssuer(acme)] });
  return { automation: { policies } };
}

/** `apps.pki`: the edge's internal CA, never installed into the machine's trust store. */
export function buildPkiApp(): JsonObject {
  return { certificate_authorities: { local: { install_trust: false } } };
}

function portOf(listen: string): number {
  return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

/** Throws a clear error when the two listeners cannot be an edge with HTTPS. */
export function validateHttps(httpListen: string, https: HttpsSpec): void {
  const http = portOf(httpListen);
  const secure = portOf(https.listen);
  if (!Number.isInteger(secure) || secure < 1 || secure > 65535) throw new Error(`HTTPS listen address '${https.listen}' is not ADDRESS:PORT`);
  if (http === secure) throw new Error(`the HTTP and HTTPS ports are both ${http}; give them different ports`);
}

/**
 * `apps.http`, `apps.tls` and `apps.pki` of an edge with HTTPS: Slipway's server on the HTTPS
 * address with `routes` (the 404 fallback added when missing), the HTTP server on `httpListen`.
 */
export function buildHttpsApps(httpListen: string, https: HttpsSpec, routes: Json[]): JsonObject {
  validateHttps(httpListen, https);
  const withFallback = withDefaultRoute(routes);
  return {
    http: {
      // The HTTP port tells Caddy where its redirects go (onto our HTTP server). The HTTPS port is
      // left at its default (443) on purpose: Caddy writes a redirect's port into its Location
      // unless it is 443 or that setting, and this edge is reached on its HTTPS port directly.
      http_port: portOf(httpListen),
      servers: {
        // Automatic HTTPS on (no `automatic_https` key): certificates for the routes' hosts, redirects.
        [SERVER_NAME]: { listen: [https.listen], protocols: ['h1', 'h2'], tls_connection_policies: [{}], routes: withFallback },
        [HTTP_SERVER_NAME]: { listen: [httpListen], protocols: ['h1', 'h2'], routes: [{ handle: [{ handler: 'static_response', status_code: 404, body: NO_ROUTE_BODY }], terminal: true }] },
      },
    },
    tls: buildTlsApp(https.acme),
    pki: buildPkiApp(),
  };
}

function withDefaultRoute(routes: Json[]): Json[] {
  return routes.some((route) => isJsonObject(route) && route['@id'] === DEFAULT_ROUTE_ID) ? routes : [...routes, buildDefaultRoute()];
}

/** The parts of a whole config this module rewrites (missing ones as empty objects). */
function partsOf(config: Json): { root: JsonObject; apps: JsonObject; http: JsonObject; servers: JsonObject; routes: Json[] } {
  const root = isJsonObject(config) ? config : {};
  const apps = isJsonObject(root.apps) ? root.apps : {};
  const http = isJsonObject(apps.http) ? apps.http : {};
  const servers = isJsonObject(http.servers) ? http.servers : {};
  const slipway = servers[SERVER_NAME];
  return { root, apps, http, servers, routes: isJsonObject(slipway) && Array.isArray(slipway.routes) ? slipway.routes : [] };
}

/**
 * `config` (a whole Caddy config as `GET /config/` returns it) made an edge with HTTPS: its admin
 * section, other apps and Slipway's routes kept, everything else of `http`, `tls` and `pki` as
 * {@link buildHttpsApps} makes it (other servers are left as they are).
 */
export function withHttps(config: Json, httpListen: string, https: HttpsSpec): JsonObject {
  const { root, apps, http, servers, routes } = partsOf(config);
  const built = buildHttpsApps(httpListen, https, routes);
  const builtHttp = built.http as JsonObject;
  return { ...root, apps: { ...apps, ...built, http: { ...http, ...builtHttp, servers: { ...servers, ...(builtHttp.servers as JsonObject) } } } };
}

/**
 * `config` made an HTTP-only edge again (an agent restarted with `--https-port none`): Slipway's
 * server back on `listen` with automatic HTTPS off and its routes kept; the HTTP server, the
 * ports and the `tls` and `pki` apps gone.
 */
export function withoutHttps(config: Json, listen: string): JsonObject {
  const { root, apps, http, servers, routes } = partsOf(config);
  const { [HTTP_SERVER_NAME]: _redirects, ...otherServers } = servers;
  const { http_port: _httpPort, https_port: _httpsPort, ...httpRest } = http;
  const { tls: _tls, pki: _pki, ...otherApps } = apps;
  const server = { ...buildServer(listen), routes: withDefaultRoute(routes) };
  return { ...root, apps: { ...otherApps, http: { ...httpRest, servers: { ...otherServers, [SERVER_NAME]: server } } } };
}
