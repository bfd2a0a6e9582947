/**
 * `slipway agent`: joins once (with a join token), then keeps a session with the agent gateway:
 * heartbeats with its server's metrics, renews its certificate, converges the workloads, jobs and
 * edge routes placed on its server on its own Docker engine and its own Caddy, answers commands,
 * and reports what runs, until stopped or revoked. Its containers and edge keep serving when the
 * control plane is away, and when the agent itself stops.
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { join as joinPath, resolve } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import { CaddySupervisor } from '../edge/index.js';
import { DockerEngine } from '../targets/docker/engine.js';
import { DockerTarget } from '../targets/docker-target.js';
import { Commands } from './commands.js';
import { Converger, type AgentEdge } from './converge.js';
import { join } from './join.js';
import { metricsSampler } from './metrics.js';
import { startRegistryProxy } from './registry-proxy.js';
import { runSession, type AgentSession, type SessionEvents } from './session.js';
import { loadIdentity, type AgentIdentity } from './state.js';

export interface AgentOptions {
  dataDir: string;
  /** A join token; needed only before the first join (ignored once joined). */
  joinToken?: string | undefined;
  /** `unix:///path` of the Docker engine (default /var/run/docker.sock). */
  dockerHost?: string | undefined;
  advertiseAddress?: string | undefined;
  /** Where this server's edge (Caddy) listens for HTTP, on the advertise address; null or absent: no edge. */
  httpPort?: number | null | undefined;
  /** The loopback port of the registry proxy the engine pulls through (default: a free port chosen at start). */
  registryPort?: number | undefined;
  events?: SessionEvents;
}

function socketPath(dockerHost: string | undefined): string {
  if (dockerHost === undefined) return '/var/run/docker.sock';
  const m = /^unix:\/\/(\/.+)$/.exec(dockerHost);
  if (!m) throw new SlipwayError('SLW_USAGE', `--docker-host '${dockerHost}' is not unix:///PATH (only a local engine socket is supported)`);
  return m[1]!;
}

const noEdge: AgentEdge = { setRoute: async () => undefined, removeRoute: async () => undefined, listRoutes: async () => [] };

async function startEdge(dataDir: string, listen: string, log: (level: 'info' | 'warn', message: string) => void): Promise<{ edge: AgentEdge; release(): Promise<void> }> {
  const supervisor = new CaddySupervisor({ proxyListen: listen, publicListen: true, stateDir: joinPath(dataDir, 'caddy'), onEvent: (e) => log(e.type === 'warning' ? 'warn' : 'info', `edge: ${e.type}${'message' in e ? `: ${String(e.message)}` : ''}`) });
  try {
    await supervisor.start();
    await supervisor.admin.ensureServer(listen, true);
  } catch (error) {
    await (supervisor.owned ? supervisor.stop() : supervisor.release()).catch(() => undefined);
    throw new SlipwayError('SLW_PROXY_UNAVAILABLE', `cannot start this server's edge (caddy) on ${listen}: ${(error as Error).message}`, { cause: error });
  }
  const admin = supervisor.admin;
  return { edge: { setRoute: (id, hosts, upstreams) => admin.setRoute(id, hosts, upstreams), removeRoute: (id) => admin.removeRoute(id), listRoutes: () => admin.listRoutes() }, release: () => supervisor.release() };
}

export type RunningAgent = AgentSession & { serverName: string; joined: boolean; registryHost: string };

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const log = options.events?.log ?? (() => undefined);
  const docker = new DockerEngine({ socketPath: socketPath(options.dockerHost) });
  let identity: AgentIdentity | null = loadIdentity(dataDir);
  let joined = false;
  if (!identity) {
    if (!options.joinToken) throw new SlipwayError('SLW_USAGE', `this agent has not joined yet (nothing in ${dataDir}): give --join TOKEN (from slipway server add NAME)`);
    identity = await join(options.joinToken, dataDir);
    joined = true;
    log('info', `joined as server '${identity.serverName}'; certificate valid until ${identity.notAfter}`);
  }
  const first = identity;
  let session: AgentSession | undefined;
  const current = () => session?.identity() ?? first;
  const proxy = await startRegistryProxy(current, options.registryPort ?? 0);
  const edge = options.httpPort == null ? { edge: noEdge, release: async () => undefined } : await startEdge(dataDir, `${options.advertiseAddress ?? '0.0.0.0'}:${options.httpPort}`, log).catch(async (error: unknown) => {
    await proxy.close();
    throw error;
  });
  const target = new DockerTarget({ name: first.serverName, engine: docker });
  const send = (m: Parameters<AgentSession['send']>[0]) => session?.send(m);
  const converger = new Converger(target, edge.edge, proxy.host, (s) => send({ type: 'status', workloads: s.workloads, jobs: s.jobs }), (revision) => send({ type: 'applied', revision }), log);
  const commands = new Commands(target, send);
  const metrics = metricsSampler(dataDir, async () => (await docker.listContainers({ labels: {}, all: false })).length);
  session = runSession({
    dataDir,
    identity: first,
    advertiseAddress: options.advertiseAddress ?? null,
    metrics,
    ...(options.events ? { events: options.events } : {}),
    handlers: {
      opened: () => void converger.status(true).catch(() => undefined),
      desired: (m) => converger.set(m),
      command: (id, c) => commands.handle(id, c),
    },
  });
  // What runs is reported when it changes (checked every second), and the desired state re-converged every 10 s.
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
    if (ticks % 10 === 0) converger.kick();
    void converger.status().catch((error: unknown) => log('warn', `status failed: ${(error as Error).message}`));
  }, 1000);
  const running = session;
  const done = running.done.finally(async () => {
    clearInterval(timer);
    commands.stop();
    await proxy.close();
    // The edge keeps serving what runs here; the next agent start adopts it.
    await edge.release().catch(() => undefined);
  });
  return { ...running, done, serverName: first.serverName, joined, registryHost: proxy.host };
}
