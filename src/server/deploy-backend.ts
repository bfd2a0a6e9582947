/**
 * The deploy engine's backend on one machine: Caddy, started and supervised by the server (or
 * adopted when its admin API already answers), configured only through its admin API; and the
 * local Docker engine as the target.
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SlipwayError } from '../core/errors.js';
import { CaddySupervisor } from '../edge/index.js';
import type { Edge, Placement } from '../deploy/target.js';
import { DockerTarget } from '../targets/docker-target.js';
import type { ServerOptions } from './options.js';

const address = (a: { host: string; port: number }) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;

export async function startDeployBackend(options: ServerOptions, logger: Logger): Promise<Placement & { stop(): Promise<void> }> {
  const proxyListen = address(options.proxyListen!);
  mkdirSync(join(options.dataDir, 'caddy'), { recursive: true, mode: 0o700 });
  const supervisor = new CaddySupervisor({
    adminListen: address(options.caddyAdmin),
    proxyListen,
    stateDir: join(options.dataDir, 'caddy'),
    onLog: (line) => logger.debug({ caddy: line }, 'caddy'),
    onEvent: (event) => (event.type === 'warning' ? logger.warn({ caddy: event.type }, `edge proxy: ${event.message}`) : logger.info({ caddy: event.type }, `edge proxy: ${event.type}`)),
  });
  try {
    await supervisor.start();
    await supervisor.admin.ensureServer(proxyListen);
  } catch (error) {
    await supervisor.stop().catch(() => undefined);
    throw new SlipwayError('SLW_PROXY_UNAVAILABLE', `cannot start the edge proxy (caddy) on ${proxyListen} with its admin API on ${address(options.caddyAdmin)}: ${(error as Error).message}`, { cause: error });
  }
  logger.info({ proxy: proxyListen }, `edge proxy listening on ${proxyListen}`);
  const admin = supervisor.admin;
  const edge: Edge = {
    // An environment with nothing serving has no route: its domain answers the proxy's 404.
    setRoute: (id, hosts, upstreams) => (upstreams.length > 0 ? admin.setRoute(id, hosts, upstreams) : admin.removeRoute(id)),
    removeRoute: (id) => admin.removeRoute(id),
  };
  return { target: new DockerTarget({ name: 'local' }), edge, stop: () => supervisor.stop() };
}
