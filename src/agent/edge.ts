/**
 * The agent's edge: its own Caddy (src/edge), supervised, on the server's advertise address.
 * Plain HTTP on `--http-port`; unless `--https-port none`, HTTPS on `--https-port` with
 * automatic certificates (tls internal for private names, ACME for the others), HTTP then
 * redirecting to it. The control plane's routes arrive through the converger.
 *
 * The instance's ACME settings come with every session's welcome. They are kept in the data
 * directory (`edge-acme.json`, the CA roots in `acme-ca-root-<sha256>.pem`; nothing secret) so
 * that an agent restarted while the control plane is away configures its Caddy the same way; the
 * roots' file is named by content so that new roots are a config change Caddy reloads on.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import type { EdgeAcme } from '../api/agent-protocol.js';
import { SlipwayError } from '../core/errors.js';
import { CaddySupervisor, CertificateWatch, type CertificateState, type HttpsSpec } from '../edge/index.js';
import type { AgentEdge } from './converge.js';

/** The agent's handle on its edge. */
export interface AgentEdgeHandle {
  edge: AgentEdge;
  /** The instance's ACME settings (from a welcome): kept, and applied when the edge has others. */
  configure(acme: EdgeAcme | undefined): Promise<void>;
  /** The certificate of each routed domain (none on an edge without HTTPS). */
  certificates(): Promise<CertificateState[]>;
  /** Stops supervising; Caddy keeps serving (the next agent start adopts it). */
  release(): Promise<void>;
}

export interface EdgeOptions {
  dataDir: string;
  /** The advertise address (absent: every address). */
  address: string | undefined;
  httpPort: number;
  /** null: HTTP only. */
  httpsPort: number | null;
  log: (level: 'info' | 'warn', message: string) => void;
}

const NO_ACME: EdgeAcme = { directory: null, caRootPem: null, email: null };
const SETTINGS_FILE = 'edge-acme.json';
const ROOTS_PREFIX = 'acme-ca-root-';

/** An agent without an edge (`--http-port none`). */
export const noEdge: AgentEdgeHandle = {
  edge: { setRoute: async () => undefined, removeRoute: async () => undefined, listRoutes: async () => [] },
  configure: async () => undefined,
  certificates: async () => [],
  release: async () => undefined,
};

function listenOf(address: string | undefined, port: number): string {
  const host = address ?? '0.0.0.0';
  return `${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

function loadAcme(dataDir: string): EdgeAcme {
  try {
    const saved = JSON.parse(readFileSync(join(dataDir, SETTINGS_FILE), 'utf8')) as Partial<EdgeAcme>;
    return { directory: saved.directory ?? null, caRootPem: saved.caRootPem ?? null, email: saved.email ?? null };
  } catch {
    return NO_ACME;
  }
}

/** The edge's HTTPS spec for `acme`; writes the CA roots' file when there are roots. */
function httpsSpec(dataDir: string, listen: string, acme: EdgeAcme): HttpsSpec {
  const trustedRootFiles: string[] = [];
  if (acme.caRootPem !== null) {
    const file = join(dataDir, `${ROOTS_PREFIX}${createHash('sha256').update(acme.caRootPem).digest('hex').slice(0, 16)}.pem`);
    if (!existsSync(file)) writeFileSync(file, acme.caRootPem, { mode: 0o644 });
    trustedRootFiles.push(file);
  }
  return { listen, acme: { directory: acme.directory, trustedRootFiles, email: acme.email } };
}

/** Removes CA roots' files the edge no longer names. */
function pruneRoots(dataDir: string, keep: string[]): void {
  for (const name of readdirSync(dataDir)) {
    const file = join(dataDir, name);
    if (name.startsWith(ROOTS_PREFIX) && name.endsWith('.pem') && !keep.includes(file)) rmSync(file, { force: true });
  }
}

const migrateReq = '/proc/sys/net/ipv4/tcp_migrate_req';

/**
 * Caddy takes over its listening sockets at every config change (each route switch of a deploy);
 * without `net.ipv4.tcp_migrate_req = 1` the kernel resets connections still queued on the old
 * socket. The setting is per network namespace: the agent sets it for its server, as
 * scripts/system-deps.sh does on the control plane's machine, or says why it cannot.
 */
function allowListenerHandover(log: EdgeOptions['log']): void {
  try {
    if (readFileSync(migrateReq, 'utf8').trim() === '1') return;
    writeFileSync(migrateReq, '1');
    log('info', 'set net.ipv4.tcp_migrate_req=1 (no connection reset when the edge switches a route)');
  } catch (error) {
    log('warn', `net.ipv4.tcp_migrate_req is not 1 and cannot be set (${(error as Error).message}): a few new connections may be reset when a deploy switches traffic; run sysctl -w net.ipv4.tcp_migrate_req=1 as root`);
  }
}

/** Starts (or adopts) this server's Caddy; see the module comment. */
export async function startEdge(options: EdgeOptions): Promise<AgentEdgeHandle> {
  const { dataDir, log } = options;
  allowListenerHandover(log);
  const httpListen = listenOf(options.address, options.httpPort);
  const httpsListen = options.httpsPort === null ? null : listenOf(options.address, options.httpsPort);
  let acme = loadAcme(dataDir);
  const watch = options.httpsPort === null ? null : new CertificateWatch(options.address ?? '0.0.0.0', options.httpsPort);
  const supervisor = new CaddySupervisor({
    proxyListen: httpListen,
    publicListen: true,
    stateDir: join(dataDir, 'caddy'),
    ...(httpsListen === null ? {} : { https: httpsSpec(dataDir, httpsListen, acme) }),
    onLog: (line) => watch?.observe(line),
    onEvent: (e) => log(e.type === 'warning' ? 'warn' : 'info', `edge: ${e.type}${'message' in e ? `: ${String(e.message)}` : ''}`),
  });
  const where = httpsListen === null ? httpListen : `${httpListen} and ${httpsListen}`;
  try {
    await supervisor.start();
    if (supervisor.https) await supervisor.setHttps(supervisor.https);
    else await supervisor.admin.ensureServer(httpListen, true);
  } catch (error) {
    await (supervisor.owned ? supervisor.stop() : supervisor.release()).catch(() => undefined);
    throw new SlipwayError('SLW_PROXY_UNAVAILABLE', `cannot start this server's edge (caddy) on ${where}: ${(error as Error).message}`, { cause: error });
  }
  log('info', `edge on ${where}${httpsListen === null ? ' (HTTP only)' : ` (HTTPS; certificates from ${acme.directory ?? "Caddy's default ACME issuers"} for public names)`}`);
  const admin = supervisor.admin;
  return {
    edge: { setRoute: (id, hosts, upstreams) => admin.setRoute(id, hosts, upstreams), removeRoute: (id) => admin.removeRoute(id), listRoutes: () => admin.listRoutes() },
    async configure(next) {
      if (httpsListen === null) return;
      const wanted = next ?? NO_ACME;
      const spec = httpsSpec(dataDir, httpsListen, wanted);
      await supervisor.setHttps(spec);
      if (JSON.stringify(wanted) !== JSON.stringify(acme)) {
        writeFileSync(join(dataDir, SETTINGS_FILE), `${JSON.stringify(wanted, null, 2)}\n`, { mode: 0o600 });
        log('info', `edge: certificates for public names now from ${wanted.directory ?? "Caddy's default ACME issuers"}`);
        acme = wanted;
      }
      pruneRoots(dataDir, spec.acme.trustedRootFiles);
    },
    async certificates() {
      if (watch === null) return [];
      const routes = await admin.listRoutes();
      return watch.status(routes.flatMap((route) => route.hosts));
    },
    release: () => supervisor.release(),
  };
}
