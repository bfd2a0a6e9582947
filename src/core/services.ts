/**
 * Services: shared infrastructure (PostgreSQL, MySQL/MariaDB, Redis, RabbitMQ, or a custom image)
 * that environments attach to, each attachment of a data kind with credentials of its own. Pure
 * rules: kinds, admin URLs, the names Slipway creates on a server, and the connection variables
 * injected into an environment (custom services' own rules: core/custom-services.ts).
 *
 * Nothing a tenant types reaches a server's SQL, ACL or API as an identifier: databases, users,
 * vhosts and key prefixes are named from random attachment ids ({@link attachmentNames}).
 *
 * @module
 */
import { SlipwayError } from './errors.js';

export const serviceKinds = ['postgres', 'mysql', 'redis', 'rabbitmq', 'custom'] as const;
export type ServiceKind = (typeof serviceKinds)[number];
/** The kinds Slipway makes a database / vhost / key prefix and credentials on, per attachment (all but `custom`). */
export type DataServiceKind = Exclude<ServiceKind, 'custom'>;

/** A custom service (any image with a port) has no per-attachment resource, credentials or backups. */
export function isDataKind(kind: ServiceKind): kind is DataServiceKind {
  return kind !== 'custom';
}

export function isServiceKind(value: string): value is ServiceKind {
  return (serviceKinds as readonly string[]).includes(value);
}

/** The URL schemes an admin URL of each kind may use, and the kind's default port. */
const kindInfo: Record<DataServiceKind, { schemes: readonly string[]; port: number }> = {
  postgres: { schemes: ['postgres', 'postgresql'], port: 5432 },
  mysql: { schemes: ['mysql', 'mariadb'], port: 3306 },
  redis: { schemes: ['redis'], port: 6379 },
  rabbitmq: { schemes: ['amqp'], port: 5672 },
};

/** Where a server answers and the admin credentials Slipway uses on it (decrypted: never log it). */
export interface AdminConnection {
  kind: ServiceKind;
  host: string;
  port: number;
  username: string;
  password: string;
  /** PostgreSQL: the database the admin connects to (default `postgres`). */
  database: string | null;
  /** RabbitMQ: the management API's base URL (default `http://HOST:15672`). */
  managementUrl: string | null;
}

/** A network address: what the control plane connects to, or what workloads are given. */
export interface Endpoint {
  host: string;
  port: number;
}

function invalid(message: string): SlipwayError {
  return new SlipwayError('SLW_SERVICE_URL_INVALID', message);
}

const hostPattern = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])$/;

/** Checks a host (name, IPv4, or bracketed IPv6) and port, for admin URLs and `--workload-address`. */
export function parseEndpoint(value: string, defaultPort: number, what: string): Endpoint {
  const match = /^(.*?)(?::(\d{1,5}))?$/.exec(value.trim().toLowerCase());
  const host = match?.[1] ?? '';
  const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
  if (!hostPattern.test(host)) throw invalid(`${what} ${JSON.stringify(value)} is not HOST[:PORT] (a host name, an IPv4 address or a bracketed IPv6 address)`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`${what} ${JSON.stringify(value)} has a port outside 1-65535`);
  return { host, port };
}

/**
 * Reads an admin URL of `kind`: `postgres://USER:PASSWORD@HOST:PORT/DATABASE`,
 * `mysql://root:PASSWORD@HOST:3306`, `redis://USER:PASSWORD@HOST:6379`,
 * `amqp://USER:PASSWORD@HOST:5672` (the management API at `managementUrl`, default port 15672).
 * The message of a refusal never repeats the URL (it holds a password).
 */
export function parseAdminUrl(kind: DataServiceKind, raw: string, managementUrl?: string): AdminConnection {
  const info = kindInfo[kind];
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(`the admin URL is not a URL; give ${info.schemes[0]}://USER:PASSWORD@HOST:${info.port}`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!info.schemes.includes(scheme)) throw invalid(`a ${kind} admin URL starts with ${info.schemes.map((s) => `${s}://`).join(' or ')}, not ${scheme}://`);
  if (url.search !== '' || url.hash !== '') throw invalid('the admin URL takes no query or fragment; TLS options are not supported yet');
  const endpoint = parseEndpoint(url.port === '' ? url.hostname : `${url.hostname}:${url.port}`, info.port, 'the admin URL host');
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  if (username === '' && kind !== 'redis') throw invalid(`the admin URL names no user; give ${scheme}://USER:PASSWORD@${endpoint.host}:${endpoint.port}`);
  const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (/[\u0000-\u001f]/.test(username + password + path)) throw invalid('the admin URL holds a control character');
  let management: string | null = null;
  if (kind === 'rabbitmq') {
    const m = managementUrl ?? `http://${endpoint.host}:15672`;
    let parsed: URL;
    try {
      parsed = new URL(m);
    } catch {
      throw invalid('the management URL is not a URL; give http://HOST:15672');
    }
    if (!['http:', 'https:'].includes(parsed.protocol) || parsed.username !== '' || parsed.search !== '') throw invalid('the management URL is http(s)://HOST:PORT without credentials or query (the admin URL carries them)');
    parseEndpoint(parsed.port === '' ? parsed.hostname : `${parsed.hostname}:${parsed.port}`, 15672, 'the management URL host');
    management = `${parsed.protocol}//${parsed.host}`;
  } else if (managementUrl !== undefined) {
    throw invalid('--management-url is for rabbitmq services only');
  }
  return { kind, ...endpoint, username: username === '' ? 'default' : username, password, database: kind === 'postgres' ? path || 'postgres' : null, managementUrl: management };
}

/** What Slipway names on a server for one attachment: a database / vhost / key prefix, and users. */
export interface AttachmentNames {
  /** Database (postgres, mysql), vhost (rabbitmq) or key prefix without the colon (redis). */
  resource: string;
  /** The user of credential generation `generation`. */
  user(generation: number): string;
}

const suffixPattern = /^[a-z0-9]{10}$/;

/** Names from an attachment's random suffix (10 lowercase letters/digits): `slw_<suffix>`, users `slw_<suffix>_<generation>`. */
export function attachmentNames(suffix: string): AttachmentNames {
  if (!suffixPattern.test(suffix)) throw new SlipwayError('SLW_INTERNAL', 'attachment suffix must be 10 lowercase letters or digits');
  const resource = `slw_${suffix}`;
  return { resource, user: (generation) => `${resource}_${generation}` };
}

/** True for names Slipway made ({@link attachmentNames}); drivers refuse anything else. */
export function isSlipwayName(name: string): boolean {
  return /^slw_[a-z0-9]{10}(?:_[0-9]{1,9})?$/.test(name);
}

/** A prefix for several attachments of one kind: `--as ANALYTICS` gives `ANALYTICS_DATABASE_URL`. */
export function assertVariablePrefix(prefix: string): void {
  if (!/^[A-Z][A-Z0-9_]{0,31}$/.test(prefix)) throw new SlipwayError('SLW_VALIDATION', `--as ${JSON.stringify(prefix)} is not a variable prefix; use capital letters, digits and _ (e.g. ANALYTICS)`);
}

/** The credentials of one attachment as workloads use them. Holds a password: never log it. */
export interface AttachmentCredentials {
  endpoint: Endpoint;
  resource: string;
  username: string;
  password: string;
  /** Custom services only: the URL scheme of `<PREFIX>_URL` (they have no credentials: resource, username and password are unused). */
  scheme?: string;
}

const enc = encodeURIComponent;

/** The variables an environment gets for one attachment, named by the kind's conventions. */
export function connectionVariables(kind: ServiceKind, prefix: string | null, c: AttachmentCredentials): Record<string, string> {
  const host = c.endpoint.host;
  const port = String(c.endpoint.port);
  const auth = `${enc(c.username)}:${enc(c.password)}@${host}:${port}`;
  let vars: Record<string, string>;
  switch (kind) {
    case 'postgres':
      vars = { DATABASE_URL: `postgres://${auth}/${enc(c.resource)}`, PGHOST: host, PGPORT: port, PGUSER: c.username, PGPASSWORD: c.password, PGDATABASE: c.resource };
      break;
    case 'mysql':
      vars = { MYSQL_URL: `mysql://${auth}/${enc(c.resource)}`, MYSQL_HOST: host, MYSQL_PORT: port, MYSQL_USER: c.username, MYSQL_PASSWORD: c.password, MYSQL_DATABASE: c.resource };
      break;
    case 'redis':
      vars = { REDIS_URL: `redis://${auth}/0`, REDIS_KEY_PREFIX: `${c.resource}:` };
      break;
    case 'rabbitmq':
      vars = { AMQP_URL: `amqp://${auth}/${enc(c.resource)}`, AMQP_VHOST: c.resource };
      break;
    case 'custom':
      // Always under a prefix (the service's name by default): bare HOST and PORT would hide the app's own.
      if (prefix === null) throw new SlipwayError('SLW_INTERNAL', 'a custom service attachment always has a variable prefix');
      vars = { HOST: host, PORT: port, URL: `${c.scheme ?? 'tcp'}://${host}:${port}` };
      break;
  }
  if (prefix === null) return vars;
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [`${prefix}_${k}`, v]));
}

/** The names {@link connectionVariables} would inject, without credentials (for listings and clashes). */
export function connectionVariableNames(kind: ServiceKind, prefix: string | null): string[] {
  return Object.keys(connectionVariables(kind, prefix, { endpoint: { host: 'h', port: 1 }, resource: 'r', username: 'u', password: 'p' }));
}
