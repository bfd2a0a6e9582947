/**
 * The deploy engine's backend on one machine: Caddy, started and supervised by the server (or
 * adopted when its admin socket already answers), configured only through its admin API on the
 * unix socket `<data-dir>/caddy/admin.sock`; and the local Docker engine as the target.
 *
 * The proxy outlives the server: a stop leaves it serving with its last routes (unless the server
 * runs with --stop-proxy), and the next server on the same data directory adopts it. `slipway
 * proxy stop --data-dir DIR` ({@link stopProxyOf}) stops it on purpose.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SlipwayError, isSlipwayError } from '../core/errors.js';
import { AccessCounter, CaddyAdmin, CaddySupervisor, PROBE_USER_AGENT, adminSocketOf, assertSocketPath } from '../edge/index.js';
import type { Edge, Placement } from '../deploy/target.js';
import { DockerTarget } from '../targets/docker-target.js';
import { lockDataDir } from './lock.js';
import type { ServerOptions } from './options.js';

const address = (a: { host: string; port: number }) => `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;

/** One GET through the proxy listener with `Host: host`: the answer's status, 0 when none came in time. */
function probeThrough(listen: { host: string; port: number }, host: string, path: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host, port: listen.port, path, method: 'GET', headers: { host, 'user-agent': PROBE_USER_AGENT }, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Where the proxy of a data directory keeps its state (mode 0700) and its admin socket. */
export function proxyPaths(dataDir: string): { stateDir: string; socket: string } {
  const stateDir = join(dataDir, 'caddy');
  return { stateDir, socket: adminSocketOf(stateDir) };
}

/** The server's edge: the engine's Edge port plus what the rollout's drain reads. */
export type ServerEdge = Edge & {
  /** Requests in flight through the proxy to these upstreams right now (see CaddyAdmin.inFlight). */
  inFlight(upstreams: string[]): Promise<number>;
  probe(host: string, path: string, timeoutMs: number): Promise<number>;
  traffic: NonNullable<Edge['traffic']>;
};

export async function startDeployBackend(options: ServerOptions, logger: Logger): Promise<Placement & { edge: ServerEdge; stop(): Promise<void> }> {
  const proxyListen = address(options.proxyListen!);
  const { stateDir, socket } = proxyPaths(options.dataDir);
  try {
    assertSocketPath(socket);
  } catch (error) {
    throw new SlipwayError('SLW_SERVER_CONFIG', (error as Error).message, { cause: error });
  }
  // Access log lines of the hosts a health gate watches are counted here (edge/access-log.ts).
  const access = new AccessCounter();
  const supervisor = new CaddySupervisor({
    proxyListen,
    stateDir,
    onLog: (line) => {
      access.onLine(line);
      logger.debug({ caddy: line }, 'caddy');
    },
    onEvent: (event) => (event.type === 'warning' ? logger.warn({ caddy: event.type }, `edge proxy: ${event.message}`) : logger.info({ caddy: event.type }, `edge proxy: ${event.type}`)),
  });
  try {
    await supervisor.start();
    await supervisor.admin.ensureServer(proxyListen);
  } catch (error) {
    // A Caddy this start made goes again; one it adopted keeps serving what it served.
    await (supervisor.owned ? supervisor.stop() : supervisor.release()).catch(() => undefined);
    throw new SlipwayError('SLW_PROXY_UNAVAILABLE', `cannot start the edge proxy (caddy) on ${proxyListen} with its admin API on ${socket}: ${(error as Error).message}`, { cause: error });
  }
  logger.info({ proxy: proxyListen, adopted: !supervisor.owned }, `edge proxy listening on ${proxyListen}${supervisor.owned ? '' : ' (adopted the one already running)'}`);
  const admin = supervisor.admin;
  const edge: ServerEdge = {
    // An environment with nothing serving has no route: its domain answers the proxy's 404.
    setRoute: (id, hosts, upstreams) => (upstreams.length > 0 ? admin.setRoute(id, hosts, upstreams) : admin.removeRoute(id)),
    removeRoute: (id) => admin.removeRoute(id),
    inFlight: (upstreams) => admin.inFlight(upstreams),
    probe: (host, path, timeoutMs) => probeThrough(options.proxyListen!, host, path, timeoutMs),
    traffic: {
      watch: (host) => admin.setAccessLogHosts(access.watch(host), options.proxyListen!.port),
      unwatch: (host) => admin.setAccessLogHosts(access.unwatch(host), options.proxyListen!.port),
      take: (host) => access.take(host),
    },
  };
  const stop = async () => {
    if (options.stopProxy) {
      await supervisor.stop();
      logger.info('edge proxy stopped (--stop-proxy)');
    } else {
      await supervisor.release();
      logger.info({ proxy: proxyListen }, `edge proxy left running on ${proxyListen}; the next server on this data directory adopts it`);
    }
  };
  return { target: new DockerTarget({ name: 'local' }), edge, stop };
}

/**
 * Stops the proxy of `dataDir` on purpose (`slipway proxy stop`): refused while a server runs on
 * that directory (it would start the proxy again). Resolves false when no proxy was running.
 */
export async function stopProxyOf(dataDir: string): Promise<boolean> {
  if (!existsSync(dataDir)) throw new SlipwayError('SLW_USAGE', `no data directory at ${dataDir}; pass the --data-dir the server ran with`);
  const { stateDir, socket } = proxyPaths(dataDir);
  // Nothing to stop (and no lock file to leave behind in a directory that is not a data dir).
  if (!existsSync(stateDir)) return false;
  let lock: { release(): void };
  try {
    lock = lockDataDir(dataDir);
  } catch (error) {
    if (!isSlipwayError(error) || error.code !== 'SLW_DATA_DIR_LOCKED') throw error;
    throw new SlipwayError(
      'SLW_DATA_DIR_LOCKED',
      `a Slipway server runs on ${dataDir} and would start its proxy again: stop that server first (it leaves the proxy running), then run this again; or start the server with --stop-proxy to stop both together`,
      { cause: error },
    );
  }
  try {
    if (!existsSync(socket)) return false;
    return await new CaddyAdmin(socket).shutdown();
  } catch (error) {
    if (isSlipwayError(error)) throw error;
    throw new SlipwayError('SLW_PROXY_UNAVAILABLE', `cannot stop the edge proxy of ${dataDir}: ${(error as Error).message}; end it with pkill -f ${join(stateDir, 'caddy.json')}`, { cause: error });
  } finally {
    lock.release();
  }
}
