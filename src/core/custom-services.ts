/**
 * Custom services, i.e. any image with a port, environment variables and (optionally) a data volume,
 * or any server at HOST:PORT (adopted). They have no per-attachment database, user or
 * credentials: every environment attached to one gets where it answers, as `<PREFIX>_HOST`,
 * `<PREFIX>_PORT` and `<PREFIX>_URL`, the prefix being the service's name in capitals unless
 * `--as` names another. Pure rules: the health check, the URL scheme, the volume path, the
 * environment given at create (its values may be secrets), the default prefix.
 *
 * @module
 */
import { assertKey, assertValue } from './config.js';
import { SlipwayError } from './errors.js';
import { parseEndpoint, type Endpoint } from './services.js';

/** How the target decides that a custom service is ready: a TCP connect, or an HTTP GET answering 2xx/3xx. */
export type CustomHealth = { type: 'tcp' } | { type: 'http'; path: string };

const bad = (message: string) => new SlipwayError('SLW_VALIDATION', message);

/** `tcp` (default) or `http:/PATH`. */
export function parseHealth(value: string | undefined): CustomHealth {
  if (value === undefined || value === 'tcp') return { type: 'tcp' };
  const m = /^http:(\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]{0,255})$/.exec(value);
  if (!m?.[1]) throw bad(`--health ${JSON.stringify(value)} is not tcp or http:/PATH (e.g. http:/healthz)`);
  return { type: 'http', path: m[1] };
}

/** The stored form: `tcp` or `http:/PATH`. */
export function formatHealth(health: CustomHealth): string {
  return health.type === 'tcp' ? 'tcp' : `http:${health.path}`;
}

/** The scheme of `<PREFIX>_URL`: `--scheme`, else `http` for an HTTP health check and `tcp` otherwise. */
export function parseScheme(value: string | undefined, health: CustomHealth): string {
  if (value === undefined) return health.type === 'http' ? 'http' : 'tcp';
  if (!/^[a-z][a-z0-9+.-]{0,31}$/.test(value)) throw bad(`--scheme ${JSON.stringify(value)} is not a URL scheme (lowercase letters, digits, + . -; e.g. http, nats, memcached)`);
  return value;
}

/** The port the image listens on. */
export function parsePort(value: number | undefined): number {
  if (value === undefined) throw bad('a custom service needs --port N: the port its image listens on');
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw bad(`--port ${value} is outside 1-65535`);
  return value;
}

/** Where the named volume is mounted: an absolute path, not `/`, without `..` or `:`. */
export function parseVolumePath(value: string | undefined): string | null {
  if (value === undefined) return null;
  const ok = /^\/[A-Za-z0-9._@+/-]{1,255}$/.test(value) && !value.split('/').some((part) => part === '..' || part === '.');
  if (!ok) throw bad(`--volume ${JSON.stringify(value)} is not an absolute path in the container (e.g. /data)`);
  return value.replace(/\/+$/, '') || value;
}

/** At most this many variables, of at most this many bytes in all. */
export const customEnvLimits = { entries: 100, bytes: 64 * 1024 } as const;

/** Checks the environment given at create: names as for config keys, values as for secrets. */
export function parseCustomEnv(env: Record<string, string> | undefined): Record<string, string> {
  const entries = Object.entries(env ?? {});
  if (entries.length > customEnvLimits.entries) throw bad(`a custom service takes at most ${customEnvLimits.entries} variables, not ${entries.length}`);
  let bytes = 0;
  for (const [key, value] of entries) {
    assertKey('env', key);
    assertValue('env', key, value);
    bytes += key.length + value.length;
  }
  if (bytes > customEnvLimits.bytes) throw bad(`the variables of a custom service hold at most ${customEnvLimits.bytes / 1024} KiB in all`);
  return Object.fromEntries(entries);
}

/** Reads `KEY=VALUE` (as the CLI's --env gives it). */
export function parseEnvPair(pair: string): [string, string] {
  const i = pair.indexOf('=');
  if (i <= 0) throw bad(`--env ${JSON.stringify(pair.length > 40 ? `${pair.slice(0, 32)}…` : pair.slice(0, i < 0 ? undefined : i))} is not KEY=VALUE`);
  return [pair.slice(0, i), pair.slice(i + 1)];
}

/** The default variable prefix of a custom service: its name in capitals, `-` as `_` (`search` → `SEARCH`); null when that is no valid prefix. */
export function customPrefix(serviceName: string): string | null {
  const prefix = serviceName.toUpperCase().replace(/-/g, '_');
  return /^[A-Z][A-Z0-9_]{0,31}$/.test(prefix) ? prefix : null;
}

/** An adopted custom service: `HOST:PORT` (the port is required: no kind gives a default). */
export function parseCustomAddress(value: string): Endpoint {
  if (!/:\d{1,5}$/.test(value.trim())) throw new SlipwayError('SLW_SERVICE_URL_INVALID', `a custom service is adopted as HOST:PORT (e.g. search.internal:7700), not ${JSON.stringify(value.length > 60 ? `${value.slice(0, 56)}…` : value)}`);
  return parseEndpoint(value, 0, '--adopt');
}
