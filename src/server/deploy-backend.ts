/**
 * The deploy engine's backend on one machine: Caddy, started and supervised by the server (or
 * adopted when its admin socket already answers), configured only through its admin API on the
 * unix socket `<data-dir>/caddy/admin.sock`; and the local Docker engine as the target.
 *
 * @module
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SlipwayError } from '../core/errors.js';
import { CaddySupervisor, adminSocketOf, assertSocketPath } from '../edge/index.js';
import type { Edge, Target } from '../deploy/target.js';
import { DockerTarget } from '../targets/docker-target.js';
import type { ServerOptions } from './options.js';

const address = (a: { host: string; port: number }) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;

/** Where the proxy of a data directory keeps its state (mode 0700) and its admin socket. */
export function proxyPaths(dataDir: string): { stateDir: string; socket: string } {
  const stateDir = join(dataDir, 'caddy');
  return { stateDir, socket: adminSocketOf(stateDir) };
}

/** The server's edge: the engine's Edge port plus what the rollout's drain reads. */
export type ServerEdge = Edge & {
  /** Requests in flight through the proxy to these upstreams right now (see CaddyAdmin.inFlight). */
  inFlight(upstreams: string[]): Promise<number>;
};

export async function startDeployBackend(options: ServerOptions, logger: Logger): Promise<{ target: Target; edge: ServerEdge; stop(): Promise<void> }> {
  const proxyListen = address(options.proxyListen!);
  const { stateDir, socket } = proxyPaths(options.dataDir);
  try {
    assertSocketPath(socket);
  } catch (error) {
    throw new SlipwayError('SLW_SERVER_CONFIG', (error as Error).message, { cause: error });
  }
  const supervisor = new CaddySupervisor({
    proxyListen,
    stateDir,
    onLog: (line) => logger.debug({ caddy: line }, 'caddy'),
    onEvent: (event) => (event.type === 'warning' ? logger.warn({ caddy: event.type }, `edge proxy: ${event.message}`) : logger.info({ caddy: event.type }, `edge proxy: ${event.type}`)),
  });
  try {
    await supervisor.start();
    await supervisor.admin.ensureServer(proxyListen);
  } catch (error) {
    await supervisor.release().catch(() => undefined);
    throw new SlipwayError('SLW_PROXY_UNAVAILABLE', `cannot start the edge proxy (caddy) on ${proxyListen} with its admin API on ${socket}: ${(error as Error).message}`, { cause: error });
  }
  logger.info({ proxy: proxyListen, adopted: !supervisor.owned }, `edge proxy listening on ${proxyListen}${supervisor.owned ? '' : ' (adopted the one already running)'}`);
  const admin = supervisor.admin;
  const edge: ServerEdge = {
    // An environment with nothing serving has no route: its domain answers the proxy's 404.
    setRoute: (id, hosts, upstreams) => (upstreams.length > 0 ? admin.setRoute(id, hosts, upstreams) : admin.removeRoute(id)),
    removeRoute: (id) => admin.removeRoute(id),
    inFlight: (upstreams) => admin.inFlight(upstreams),
  };
  // A Caddy this server started stops with it; an adopted one keeps running.
  const stop = () => (supervisor.owned ? supervisor.stop() : supervisor.release());
  return { target: new DockerTarget(), edge, stop };
}
