/**
 * `slipway agent`: joins once (with a join token), then keeps a session with the agent gateway:
 * heartbeats with its server's metrics, renews its certificate, converges the workloads, jobs and
 * edge routes placed on its server on its own Docker engine and its own Caddy (with HTTPS: see
 * edge.ts), answers commands, and reports what runs and its edge's certificates, until stopped or
 * revoked. Its containers and edge keep serving when the
 * control plane is away, and when the agent itself stops.
 *
 * @module
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import { DockerEngine } from '../targets/docker/engine.js';
import { DockerTarget } from '../targets/docker-target.js';
import { Commands } from './commands.js';
import { certificateReporter } from './certificates.js';
import { Converger } from './converge.js';
import { noEdge, startEdge } from './edge.js';
import { join } from './join.js';
import { metricsSampler } from './metrics.js';
import { startRegistryProxy } from './registry-proxy.js';
import { gatewayTransfers } from './transfers.js';
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
  /** Where it listens for HTTPS (automatic certificates; HTTP then redirects); null or absent: HTTP only. */
  httpsPort?: number | null | undefined;
  /** The loopback port of the registry proxy the engine pulls through (default: a free port chosen at start). */
  registryPort?: number | undefined;
  /** The longest wait between two dials while the gateway is unreachable (before jitter). @default 15_000 */
  maxBackoffMs?: number | undefined;
  events?: SessionEvents;
}

function socketPath(dockerHost: string | undefined): string {
  if (dockerHost === undefined) return '/var/run/docker.sock';
  const m = /^unix:\/\/(\/.+)$/.exec(dockerHost);
  if (!m) throw new SlipwayError('SLW_USAGE', `--docker-host '${dockerHost}' is not unix:///PATH (only a local engine socket is supported)`);
  return m[1]!;
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
  const edge = options.httpPort == null ? noEdge : await startEdge({ dataDir, address: options.advertiseAddress, httpPort: options.httpPort, httpsPort: options.httpsPort ?? null, log }).catch(async (error: unknown) => {
    await proxy.close();
    throw error;
  });
  const target = new DockerTarget({ name: first.serverName, engine: docker });
  const send = (m: Parameters<AgentSession['send']>[0]) => session?.send(m);
  const certificates = certificateReporter(edge, send, log);
  const converger = new Converger(target, edge.edge, proxy.host, (s) => send({ type: 'status', workloads: s.workloads, jobs: s.jobs }), (revision) => send({ type: 'applied', revision }), log);
  const commands = new Commands(target, send, { gateway: gatewayTransfers(current), proxyHost: proxy.host });
  const metrics = metricsSampler(dataDir, async () => (await docker.listContainers({ labels: {}, all: false })).length);
  session = runSession({
    dataDir,
    identity: first,
    advertiseAddress: options.advertiseAddress ?? null,
    metrics,
    ...(options.maxBackoffMs !== undefined ? { maxBackoffMs: options.maxBackoffMs } : {}),
    ...(options.events ? { events: options.events } : {}),
    handlers: {
      opened: () => {
        void converger.status(true).catch(() => undefined);
        certificates.resend();
      },
      welcome: (m) => void edge.configure(m.acme).catch((error: unknown) => log('warn', `edge: cannot apply the instance's ACME settings: ${(error as Error).message}`)),
      desired: (m) => converger.set(m),
      command: (id, c) => commands.handle(id, c),
    },
  });
  // What runs is reported when it changes (checked every second), and the desired state re-converged every 10 s.
  // The edge's certificates are checked every 10 s too (one TLS handshake per routed domain on this
  // server's own edge): an issuance takes a second or so, so a new one shows within about 10 s.
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
    if (ticks % 10 === 0) converger.kick();
    if (ticks % 10 === 5) certificates.check();
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
