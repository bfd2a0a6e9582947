/**
 * Free loopback ports for the servers tests and benches start (Slipway, Caddy, registries,
 * upstreams).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The lowest port the kernel hands out on its own (outgoing connections, `listen(0)`, Docker's published ports). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 21_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** Whether `port` can be bound on 127.0.0.1 now (bound and released at once). */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback port nothing listens on, for a server a test starts later: picked at random below
 * the kernel's ephemeral range, then checked by binding it. A port from `listen(0)` comes from
 * that range, where the kernel keeps handing ports out to every other test's connections and
 * containers until the server binds it (CI saw Caddy fail to start with "address already in use").
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow() - 1;
  for (let i = 0; i < 100; i += 1) {
    const port = 20_000 + Math.floor(Math.random() * (high - 20_000));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port between 20000 and ${high}`);
}
