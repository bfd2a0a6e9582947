/**
 * Deploy test support: a server with the deploy engine (Caddy on free loopback ports), a
 * workspace with a Java base image and a JAR built once, requests through the edge proxy by
 * host name, and a bounded load generator that counts failed requests.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { cli, startServerProcess, tempDir, type CliResult, type ServerProcess } from './server-process.js';
import { buildJar, dockerClient, pushBase } from './images.js';
import { workspaceToken } from './fixtures.js';
import { apiClient } from './api.js';
import { freePort } from './docker-registry.js';

export { freePort };

export interface DeployWorld {
  /** The workspace (unique per test file: test files run side by side on one Docker engine). */
  ws: string;
  server: ServerProcess;
  proxyPort: number;
  host: string;
  /** An admin-role token of a second member (the approver) and a developer token (the requester). */
  approver: string;
  developer: string;
  jar: string;
  docker: ReturnType<typeof dockerClient>;
  run(args: string[], token?: string): Promise<CliResult>;
  /** Like run, with `input` on stdin (secret values). */
  cli(args: string[], input: string | Buffer, token?: string): Promise<CliResult>;
  /** Starts the server again on the same data dir, address and proxy (after a stop or a kill), with `extraArgs` added. */
  restart(extraArgs?: string[]): Promise<void>;
  /** Stops the server, its Caddy (also an adopted one) and every container of the workspace. */
  dispose(): Promise<void>;
}

/**
 * GET through Caddy with `Host: domain`, over a keep-alive connection. Like browsers and curl
 * (RFC 9110 §9.2.2), a GET that fails on a *reused* idle connection before any response byte
 * arrived is retried once on a new connection: a server may close an idle keep-alive connection
 * at any time (Caddy does on every config change), and that race is not a failed request. Any
 * failure on a fresh connection, and any HTTP error status, counts.
 */
export async function viaProxy(proxyPort: number, domain: string, path = '/', stats?: { retried: number }): Promise<{ status: number; body: string }> {
  try {
    return await getOnce(proxyPort, domain, path, true);
  } catch (error) {
    if (!(error instanceof ReusedConnectionClosed)) throw error;
    if (stats) stats.retried += 1;
    return getOnce(proxyPort, domain, path, false);
  }
}

class ReusedConnectionClosed extends Error {}

function getOnce(proxyPort: number, domain: string, path: string, keepAlive: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxyPort, path, headers: { host: domain }, timeout: 10_000, ...(keepAlive ? {} : { agent: false }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      const closed = error.code === 'ECONNRESET' || error.message === 'socket hang up';
      reject(closed && req.reusedSocket ? new ReusedConnectionClosed(error.message) : error);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/** Starts a server with the deploy engine and a project `shop` (in workspace `ws`) whose JAR is built once as 1.0.0. */
export async function deployWorld(options: { env?: Record<string, string>; workspace?: string; args?: string[] } = {}): Promise<DeployWorld> {
  const ws = options.workspace ?? 'acme';
  const proxyPort = await freePort();
  const apiPort = await freePort();
  // The proxy's admin API is a unix socket in the server's data dir: nothing to allocate for it.
  const serverOptions = { args: ['--proxy-listen', `127.0.0.1:${proxyPort}`, ...(options.args ?? [])], env: { ...options.env }, listen: `127.0.0.1:${apiPort}` };
  const server = await startServerProcess(serverOptions);
  const host = new URL(server.url).host;
  const work = tempDir('slipway-deploy-');
  mkdirSync(join(work, 'docker'));
  const docker = dockerClient(join(work, 'docker'));
  const admin = apiClient(server.url, server.adminToken);
  await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' });
  for (const name of ['base', 'shop']) await admin.post(`/api/v1/workspaces/${ws}/projects`, { name });
  for (const [email, role] of [['ada@example.com', 'admin'], ['dave@example.com', 'developer']] as const) await admin.post(`/api/v1/workspaces/${ws}/members`, { email, role });
  const approver = (await workspaceToken(admin, ws, 'admin', 'ada@example.com')).api.token;
  const developer = (await workspaceToken(admin, ws, 'developer', 'dave@example.com')).api.token;
  await docker(['login', host, '-u', 'ci', '--password-stdin'], server.adminToken);
  await pushBase(docker, 'java', `${host}/${ws}/base:java`);
  const jar = await buildJar(join(work, 'jar'), 'built once');
  const built = await cli(['build', jar, '-w', ws, '-p', 'shop', '--version', '1.0.0', '--base', `${host}/${ws}/base:java`, '--json'], { server: server.url, token: server.adminToken });
  if (built.code !== 0) throw new Error(`build failed: ${built.stderr}`);
  const world: DeployWorld = {
    ws,
    server,
    proxyPort,
    host,
    approver,
    developer,
    jar,
    docker,
    run: (args, token = world.server.adminToken) => cli(args, { server: world.server.url, token }),
    cli: (args, input, token = world.server.adminToken) => cli(args, { server: world.server.url, token, input }),
    restart: async (extraArgs = []) => {
      world.server = await startServerProcess({ ...serverOptions, args: [...serverOptions.args, ...extraArgs], dataDir: world.server.dataDir });
    },
    dispose: async () => {
      const ids = (await docker(['ps', '-aq', '--filter', `label=io.slipway.workspace=${ws}`]).catch(() => '')).split('\n').filter(Boolean);
      await world.server.stop().catch(() => undefined);
      // Caddy runs detached and outlives the server (stopped or killed); end the one of this data dir.
      await new Promise<void>((resolve) => execFile('pkill', ['-f', `${world.server.dataDir}/caddy/caddy.json`], () => resolve()));
      for (const id of ids) await docker(['rm', '-f', id]).catch(() => undefined);
      const images = (await docker(['images', '-q', '--filter', `reference=${host}/*/*`]).catch(() => '')).split('\n').filter(Boolean);
      if (images.length > 0) await docker(['rmi', '-f', ...new Set(images)]).catch(() => undefined);
    },
  };
  return world;
}

/** The pid of the Caddy serving `dataDir`'s proxy (its command line names `<data-dir>/caddy/caddy.json`), if one runs. */
/** Deletes every Docker volume labelled with the world's workspace (after `dispose`, which keeps them). */
export async function removeWorkspaceVolumes(w: DeployWorld): Promise<void> {
  const volumes = await w.docker(['volume', 'ls', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`]).catch(() => '');
  for (const v of volumes.split('\n').filter(Boolean)) await w.docker(['volume', 'rm', '-f', v]).catch(() => undefined);
}

export async function proxyPid(dataDir: string): Promise<number | undefined> {
  const out = await new Promise<string>((resolve) => execFile('pgrep', ['-f', `${dataDir}/caddy/caddy.json`], (_error, stdout) => resolve(stdout)));
  const pids = out.split('\n').filter(Boolean).map(Number);
  if (pids.length > 1) throw new Error(`more than one Caddy for ${dataDir}: ${pids.join(', ')}`);
  return pids[0];
}

export interface LoadResult {
  sent: number;
  /** GETs retried once after a reused keep-alive connection was closed under them (not failures). */
  retried: number;
  failed: number;
  failures: string[];
  bodies: Map<string, number>;
}

/**
 * Sends about `rate` requests per second to `domain` through the proxy (at most `concurrency`
 * at once) until `stop()` is called or `maxSeconds` pass; counts every non-200 and error.
 */
export function loadGenerator(proxyPort: number, domain: string, rate = 150, concurrency = 10, maxSeconds = 120): { stop(): Promise<LoadResult>; snapshot(): Promise<{ sent: number; failed: number }> } {
  const result: LoadResult = { sent: 0, retried: 0, failed: 0, failures: [], bodies: new Map() };
  let running = true;
  const until = Date.now() + maxSeconds * 1000;
  const interval = (1000 * concurrency) / rate;
  const worker = async () => {
    while (running && Date.now() < until) {
      const started = Date.now();
      result.sent += 1;
      try {
        const res = await viaProxy(proxyPort, domain, '/', result);
        if (res.status !== 200) {
          result.failed += 1;
          if (result.failures.length < 20) result.failures.push(`HTTP ${res.status}: ${res.body.slice(0, 120)}`);
        } else {
          result.bodies.set(res.body, (result.bodies.get(res.body) ?? 0) + 1);
        }
      } catch (error) {
        result.failed += 1;
        if (result.failures.length < 20) result.failures.push((error as Error).message);
      }
      const wait = interval - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const workers = Array.from({ length: concurrency }, () => worker());
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return result;
    },
    /** The counts so far, while it runs. */
    snapshot: async () => ({ sent: result.sent, failed: result.failed }),
  };
}
