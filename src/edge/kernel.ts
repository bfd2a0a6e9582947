/**
 * The one kernel setting the edge depends on for zero-downtime reloads.
 *
 * Caddy 2.6 on Linux binds a new SO_REUSEPORT socket for every config change and closes the old
 * one; connections that the kernel had already queued on the old socket are reset, unless
 * `net.ipv4.tcp_migrate_req` is 1 (Linux 5.14+), which moves them to the new socket. Measured on
 * this machine with a connection per request at 300 requests/s: 11 resets in 120 route changes
 * with 0, none with 1. The setting is per network namespace and needs root, so Slipway reports it
 * rather than changing it.
 *
 * @module
 */
import { readFileSync } from 'node:fs';

/** `net.ipv4.tcp_migrate_req` of this network namespace: '0', '1', or undefined when unknown. */
export function tcpMigrateReq(): string | undefined {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_migrate_req', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A warning to log when route changes can reset queued connections, else undefined. */
export function reloadSafetyWarning(): string | undefined {
  if (tcpMigrateReq() !== '0') return undefined;
  return 'net.ipv4.tcp_migrate_req is 0: each Caddy config change may reset a few connections that are being opened; set it to 1 (sysctl -w net.ipv4.tcp_migrate_req=1) for zero-downtime route switches';
}
