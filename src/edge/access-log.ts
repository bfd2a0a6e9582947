/**
 * Real traffic for the health gate: Caddy's access log, switched on only for the hosts a gate
 * watches. The server's `logs` maps each watched host to the logger `http.log.access.slipway-gate`
 * and skips every other host (`skip_unmapped_hosts`), so an edge that bakes nothing logs nothing.
 * Caddy writes those lines with its own log (stderr, into `<state>/caddy.log`); the supervisor
 * passes every line on, and {@link AccessCounter} counts requests and failures (5xx) per host.
 *
 * Seen on Caddy 2.6.2: `logger_names` matches the Host header as sent, port included, so a watched
 * host is mapped both bare and with the proxy's port; a 5xx is logged at level `error`, with
 * `status`, `request.host` and `request.headers` (the health gate's own probes carry the
 * User-Agent {@link PROBE_USER_AGENT} and are left out here: the gate counts them itself).
 *
 * @module
 */
import type { JsonObject } from './caddy-config.js';

export const ACCESS_LOGGER = 'slipway-gate';
export const PROBE_USER_AGENT = 'slipway-health-gate';

/** The `logs` object of Slipway's server for these hosts; null: no access log at all. */
export function buildServerLogs(hosts: string[], port: number | null): JsonObject | null {
  if (hosts.length === 0) return null;
  const names: JsonObject = {};
  for (const host of [...hosts].sort()) {
    names[host] = ACCESS_LOGGER;
    if (port !== null) names[`${host}:${port}`] = ACCESS_LOGGER;
  }
  return { logger_names: names, skip_unmapped_hosts: true };
}

/** One access log line of a watched host; null for any other line. */
export function parseAccessLine(line: string): { host: string; status: number; probe: boolean } | null {
  if (!line.includes(`"http.log.access.${ACCESS_LOGGER}"`)) return null;
  try {
    const entry = JSON.parse(line) as { status?: unknown; request?: { host?: unknown; headers?: Record<string, unknown> } };
    const host = typeof entry.request?.host === 'string' ? entry.request.host.replace(/:\d+$/, '').toLowerCase() : null;
    if (host === null || typeof entry.status !== 'number') return null;
    const agent = entry.request?.headers?.['User-Agent'];
    return { host, status: entry.status, probe: Array.isArray(agent) && agent.includes(PROBE_USER_AGENT) };
  } catch {
    return null;
  }
}

/** Requests and failures per watched host since the last {@link AccessCounter.take}. */
export class AccessCounter {
  readonly #counts = new Map<string, { requests: number; errors: number; watchers: number }>();

  /** Starts counting `host`; returns the hosts to log now. */
  watch(host: string): string[] {
    const c = this.#counts.get(host);
    if (c) c.watchers += 1;
    else this.#counts.set(host, { requests: 0, errors: 0, watchers: 1 });
    return this.hosts();
  }

  /** Stops counting `host` (once each watcher is gone); returns the hosts to log now. */
  unwatch(host: string): string[] {
    const c = this.#counts.get(host);
    if (c && --c.watchers <= 0) this.#counts.delete(host);
    return this.hosts();
  }

  hosts(): string[] {
    return [...this.#counts.keys()];
  }

  onLine(line: string): void {
    const entry = parseAccessLine(line);
    if (!entry || entry.probe) return;
    const c = this.#counts.get(entry.host);
    if (!c) return;
    c.requests += 1;
    if (entry.status >= 500 || entry.status === 0) c.errors += 1;
  }

  /** What was counted for `host` since the last take. */
  take(host: string): { requests: number; errors: number } {
    const c = this.#counts.get(host);
    if (!c) return { requests: 0, errors: 0 };
    const out = { requests: c.requests, errors: c.errors };
    c.requests = 0;
    c.errors = 0;
    return out;
  }
}
