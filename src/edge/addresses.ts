/**
 * What the edge accepts as addresses before anything reaches Caddy: the host names a route
 * matches (they come from users: hostile until checked), the upstreams it proxies to (reported by
 * targets: loopback for the local Docker engine, routable addresses for agents and other targets),
 * and the loopback address the proxy itself listens on.
 *
 * Each is matched whole against a strict pattern: no spaces, schemes, paths, placeholders
 * (`{…}`), network prefixes (`unix/`, `tcp/`) or port ranges, so a value can never become
 * anything other than one host name or one `host:port` in Caddy's config.
 *
 * @module
 */
import { isIPv4, isIPv6 } from 'node:net';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** A DNS name (labels of letters, digits and inner hyphens), optionally `*.` for one level of wildcard. */
const HOST_PATTERN = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);
/** A DNS name without wildcard (an upstream host). */
const NAME_PATTERN = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const PORT_PATTERN = /^[1-9]\d{0,4}$/;
const LOOPBACK_ADDRESS = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost):(\d{1,5})$/;

/** True when `host` is a host name a route may match (`shop.example.com`, `*.preview.example.com`). */
export function isRouteHost(host: string): boolean {
  return host.length <= 253 && HOST_PATTERN.test(host);
}

/** Throws a clear error unless `address` is `127.x.y.z:PORT`, `[::1]:PORT` or `localhost:PORT`. */
export function assertLoopbackAddress(address: string, what: string): void {
  const match = LOOPBACK_ADDRESS.exec(address);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) {
    throw new Error(`${what} '${address}' is not a loopback address; use 127.0.0.1:PORT`);
  }
}

/** Why `address` is not an upstream the edge can dial, or undefined when it is one. */
export function upstreamProblem(address: string): string | undefined {
  const colon = address.lastIndexOf(':');
  if (colon <= 0) return 'is not HOST:PORT';
  const host = address.slice(0, colon);
  const port = address.slice(colon + 1);
  if (!PORT_PATTERN.test(port) || Number(port) > 65535) return 'needs a port from 1 to 65535';
  if (host.startsWith('[') && host.endsWith(']')) {
    const ip = host.slice(1, -1);
    if (!isIPv6(ip) || ip.includes('%')) return 'has an invalid IPv6 address';
    return ip === '::' || /^[0:]+$/.test(ip) ? 'has the unspecified address' : undefined;
  }
  if (/^[\d.]+$/.test(host)) {
    if (!isIPv4(host)) return 'has an invalid IPv4 address';
    return host === '0.0.0.0' ? 'has the unspecified address' : undefined;
  }
  if (host.length > 253 || !NAME_PATTERN.test(host)) return 'has an invalid host name';
  return undefined;
}

/**
 * Throws a clear error unless `address` is `IPv4:PORT`, `[IPv6]:PORT` or `hostname:PORT`
 * (port 1–65535; not the unspecified address).
 */
export function assertUpstreamAddress(address: string, what: string): void {
  const problem = upstreamProblem(address);
  if (problem) throw new Error(`${what} '${address}' ${problem}; use IPv4:PORT, [IPv6]:PORT or HOSTNAME:PORT (e.g. 10.0.0.5:8080)`);
}
