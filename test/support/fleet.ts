/**
 * A fleet on one machine, for the fleet test and bench/fleet.ts: a server with the deploy engine,
 * a static site built once by Slipway on a busybox base, many environments of one project, all
 * deployed at once through the API, and the server process's CPU time and resident memory.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiClient, type Api } from './api.js';
import { freePort } from './docker-registry.js';
import { buildSite, dockerClient, pushBase } from './images.js';
import { cli, startServerProcess, tempDir, type ServerProcess } from './server-process.js';

export interface FleetWorld {
  ws: string;
  server: ServerProcess;
  admin: Api;
  proxyPort: number;
  /** Creates environments `<prefix>-1` … `<prefix>-n` of project `site`. */
  environments(prefix: string, n: number): Promise<string[]>;
  /** Asks for a deploy of version 1.0.0 to each environment at once; resolves with the deployment ids. */
  deployAll(names: string[]): Promise<string[]>;
  /** Polls until every deployment has ended; returns their statuses by id. */
  waitAll(ids: string[], timeoutMs: number): Promise<Map<string, string>>;
  /** CPU seconds (user + system) the server process has used so far, and its resident memory now, in bytes. */
  usage(): { cpuSeconds: number; rssBytes: number };
  dispose(): Promise<void>;
}

export async function fleetWorld(ws: string): Promise<FleetWorld> {
  const proxyPort = await freePort();
  const server = await startServerProcess({ args: ['--proxy-listen', `127.0.0.1:${proxyPort}`] });
  const host = new URL(server.url).host;
  const work = tempDir('slipway-fleet-');
  mkdirSync(join(work, 'docker'));
  const docker = dockerClient(join(work, 'docker'));
  const admin = apiClient(server.url, server.adminToken);
  await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' });
  for (const name of ['base', 'site']) await admin.post(`/api/v1/workspaces/${ws}/projects`, { name });
  await docker(['login', host, '-u', 'ci', '--password-stdin'], server.adminToken);
  await pushBase(docker, 'static', `${host}/${ws}/base:static`);
  const site = await buildSite(join(work, 'site'), 'fleet');
  const built = await cli(['build', site, '-w', ws, '-p', 'site', '--version', '1.0.0', '--runtime', 'static', '--base', `${host}/${ws}/base:static`, '--json'], { server: server.url, token: server.adminToken });
  if (built.code !== 0) throw new Error(`build failed: ${built.stderr}`);
  const ticks = 100; // USER_HZ on Linux
  return {
    ws,
    server,
    admin,
    proxyPort,
    async environments(prefix, n) {
      const names = Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);
      for (const name of names) {
        const r = await admin.post(`/api/v1/workspaces/${ws}/projects/site/environments`, { name });
        if (r.status !== 201) throw new Error(`creating ${name}: ${r.status} ${r.text}`);
        // Readiness waits on a machine that also starts a hundred containers: give each time.
        const s = await admin.call({ method: 'PATCH', path: `/api/v1/workspaces/${ws}/projects/site/environments/${name}/settings`, body: { healthTimeout: 300 } });
        if (s.status !== 200) throw new Error(`settings of ${name}: ${s.status} ${s.text}`);
      }
      return names;
    },
    async deployAll(names) {
      const answers = await Promise.all(names.map((name) => admin.post(`/api/v1/workspaces/${ws}/projects/site/environments/${name}/deployments`, { version: '1.0.0' })));
      return answers.map((r, i) => {
        if (r.status !== 202) throw new Error(`deploy to ${names[i]}: ${r.status} ${r.text}`);
        return (r.json as { deployment: { id: string } }).deployment.id;
      });
    },
    async waitAll(ids, timeoutMs) {
      const until = Date.now() + timeoutMs;
      const done = new Map<string, string>();
      while (done.size < ids.length) {
        if (Date.now() > until) throw new Error(`${ids.length - done.size} of ${ids.length} deployments did not end within ${timeoutMs} ms`);
        for (const id of ids.filter((x) => !done.has(x))) {
          const r = await admin.get(`/api/v1/workspaces/${ws}/deployments/${id}`);
          const status = (r.json as { status: string }).status;
          if (['succeeded', 'failed', 'cancelled'].includes(status)) done.set(id, status);
        }
        if (done.size < ids.length) await new Promise((r) => setTimeout(r, 500));
      }
      return done;
    },
    usage() {
      const stat = readFileSync(`/proc/${server.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / ticks;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1];
      return { cpuSeconds, rssBytes: Number(rss ?? 0) * 1024 };
    },
    async dispose() {
      const ids = (await docker(['ps', '-aq', '--filter', `label=io.slipway.workspace=${ws}`]).catch(() => '')).split('\n').filter(Boolean);
      await server.stop().catch(() => undefined);
      await new Promise<void>((resolve) => execFile('pkill', ['-f', `${server.dataDir}/caddy/caddy.json`], () => resolve()));
      for (let i = 0; i < ids.length; i += 50) await docker(['rm', '-f', ...ids.slice(i, i + 50)]).catch(() => undefined);
      const images = (await docker(['images', '-q', '--filter', `reference=${host}/*/*`]).catch(() => '')).split('\n').filter(Boolean);
      if (images.length > 0) await docker(['rmi', '-f', ...new Set(images)]).catch(() => undefined);
    },
  };
}
