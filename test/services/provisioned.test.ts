/**
 * Provisioned PostgreSQL end to end, on the real Docker engine and Caddy: Slipway runs a
 * PostgreSQL 15 image (made from this machine's binaries, pushed to Slipway's registry) as a
 * workload with a data volume, a private network and limits; dev and prod get databases of their
 * own on it (dev's credentials are refused on prod's, tried); an environment attached to it joins
 * that network, and the Node app built by Slipway writes and reads through the injected
 * DATABASE_URL. The service's port is published on loopback only; removing the service keeps its
 * volume unless --drop-data --confirm NAME; bad input gets its code and leaves nothing behind.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, ok } from '../support/api.js';
import { deployWorld, viaProxy, type DeployWorld } from '../support/deploy.js';
import { cleanup, tempDir } from '../support/server-process.js';
import { buildServiceApp, pushNodeBase } from '../support/service-app.js';
import { pushPostgresImage } from '../support/postgres-image.js';

interface Provisioned {
  name: string;
  mode: string;
  address: string;
  workloadAddress: string;
  serverVersion: string | null;
  provisioned?: { image: string; imageDigest: string; volume: string; network: string; memoryBytes: number | null; cpuMillis: number | null; health: string };
}

let w: DeployWorld;
const made = { volumes: new Set<string>(), networks: new Set<string>() };
const domain = (env: string) => `${env}.svcapp.${w.ws}.localhost`;
const code = (r: { json<T>(): T }) => r.json<{ error: { code: string } }>().error.code;

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting until ${what}`);
}

async function create(name: string, extra: string[] = []): Promise<{ service: Provisioned; ms: number }> {
  const started = Date.now();
  const r = await w.run(['service', 'create', name, '-w', w.ws, '--kind', 'postgres', '--image', 'base:postgres15', ...extra, '--json']);
  const ms = Date.now() - started;
  expect(r.code, r.stderr).toBe(0);
  const service = r.json<Provisioned>();
  made.volumes.add(service.provisioned?.volume ?? '');
  made.networks.add(service.provisioned?.network ?? '');
  return { service, ms };
}

async function volumeExists(name: string): Promise<boolean> {
  return w.docker(['volume', 'inspect', name]).then(
    () => true,
    () => false,
  );
}

async function waitDeployment(id: string | undefined): Promise<void> {
  if (!id) return;
  const r = await w.run(['logs', id, '-w', w.ws, '--follow', '--json']);
  expect(r.code, r.stderr).toBe(0);
}

beforeAll(async () => {
  w = await deployWorld({ workspace: 'prov' });
  ok(await apiClient(w.server.url, w.server.adminToken).post(`/api/v1/workspaces/${w.ws}/projects`, { name: 'svcapp' }));
  await pushNodeBase(w.docker, `${w.host}/${w.ws}/base:node`);
  await pushPostgresImage(w.docker, `${w.host}/${w.ws}/base:postgres15`);
  const archive = await buildServiceApp(tempDir('slipway-provapp-'));
  const built = await w.run(['build', archive, '-w', w.ws, '-p', 'svcapp', '--runtime', 'node', '--version', '1.0.0', '--base', `${w.host}/${w.ws}/base:node`, '--json']);
  if (built.code !== 0) throw new Error(`build failed: ${built.stderr}`);
}, 400_000);

afterAll(async () => {
  await w?.dispose();
  for (const v of made.volumes) if (v) await w.docker(['volume', 'rm', '-f', v]).catch(() => undefined);
  for (const n of made.networks) if (n) await w.docker(['network', 'rm', n]).catch(() => undefined);
  await cleanup();
}, 120_000);

describe('provisioned PostgreSQL', () => {
  let db: Provisioned;

  it('runs the image pinned by digest with a volume, a private network and limits; ready before create answers', async () => {
    const { service, ms } = await create('db', ['--memory', '256m', '--cpus', '0.5']);
    db = service;
    console.log(`provisioned postgres create-to-ready: ${ms} ms`);
    expect(db.mode).toBe('provisioned');
    expect(db.serverVersion).toMatch(/^15\./);
    expect(db.provisioned?.health).toBe('ready');
    expect(db.provisioned?.image).toMatch(new RegExp(`/${w.ws}/base@sha256:[0-9a-f]{64}$`));
    expect(db.provisioned?.memoryBytes).toBe(256 * 1024 ** 2);
    expect(db.provisioned?.cpuMillis).toBe(500);
    expect(db.workloadAddress).toBe(`${db.provisioned?.volume}-1:5432`);
    const list = await w.run(['service', 'list', '-w', w.ws, '--json']);
    const listed = list.json<{ services: Provisioned[] }>().services.find((s) => s.name === 'db');
    expect(listed?.provisioned?.health).toBe('ready');
    expect(listed?.provisioned?.imageDigest).toBe(db.provisioned?.imageDigest);
  });

  it('publishes the service port on loopback only and labels it with the instance', async () => {
    const container = `${db.provisioned?.volume}-1`;
    const [inspected] = JSON.parse(await w.docker(['inspect', container])) as Array<{
      Config: { Labels: Record<string, string> };
      HostConfig: { Memory: number; NanoCpus: number; PortBindings: Record<string, Array<{ HostIp: string }>> };
      NetworkSettings: { Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null>; Networks: Record<string, unknown> };
      Mounts: Array<{ Type: string; Name?: string; Destination: string }>;
    }>;
    const bindings = Object.values(inspected!.NetworkSettings.Ports).flatMap((b) => b ?? []);
    expect(bindings.length).toBeGreaterThan(0);
    for (const b of bindings) expect(b.HostIp).toBe('127.0.0.1');
    for (const b of Object.values(inspected!.HostConfig.PortBindings).flat()) expect(b.HostIp).toBe('127.0.0.1');
    expect(inspected!.HostConfig.Memory).toBe(256 * 1024 ** 2);
    expect(inspected!.HostConfig.NanoCpus).toBe(500_000_000);
    expect(Object.keys(inspected!.NetworkSettings.Networks)).toEqual([db.provisioned?.network]);
    expect(inspected!.Mounts).toContainEqual(expect.objectContaining({ Type: 'volume', Name: db.provisioned?.volume, Destination: '/var/lib/postgresql/data' }));
    expect(inspected!.Config.Labels['io.slipway.instance']).toBeTruthy();
    expect(inspected!.Config.Labels['io.slipway.service']).toBe('db');
  });

  it('an attached environment joins the service network; the app writes and reads through DATABASE_URL', async () => {
    const a = await w.run(['service', 'attach', 'db', '-w', w.ws, '-p', 'svcapp', '-e', 'dev', '--json']);
    expect(a.code, a.stderr).toBe(0);
    const d = await w.run(['deploy', '-w', w.ws, '-p', 'svcapp', '-e', 'dev', '--version', '1.0.0', '--json']);
    expect(d.code, d.stderr).toBe(0);
    for (const [path, body] of [['/pg/write?v=provisioned-dev', 'ok'], ['/pg/read', 'provisioned-dev']] as const) {
      const r = await viaProxy(w.proxyPort, domain('dev'), path);
      expect(r.status, r.body).toBe(200);
      expect(r.body).toBe(body);
    }
    const ids = (await w.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.environment=dev'])).split('\n').filter(Boolean);
    const [app] = JSON.parse(await w.docker(['inspect', ids[0] ?? ''])) as Array<{ Config: { Env: string[] }; NetworkSettings: { Networks: Record<string, unknown> } }>;
    expect(Object.keys(app!.NetworkSettings.Networks)).toContain(db.provisioned?.network);
    const url = new URL(app!.Config.Env.find((e) => e.startsWith('DATABASE_URL='))!.slice('DATABASE_URL='.length));
    expect(`${url.hostname}:${url.port}`).toBe(db.workloadAddress);
    const removing = await w.run(['service', 'remove', 'db', '-w', w.ws, '--json']);
    expect(code(removing)).toBe('SLW_SERVICE_ATTACHED');
  });

  it("prod gets a database of its own on the same server; dev's credentials cannot reach it (tried)", async () => {
    const a = await w.run(['service', 'attach', 'db', '-w', w.ws, '-p', 'svcapp', '-e', 'prod', '--json']);
    expect(a.code, a.stderr).toBe(0);
    const d = await w.run(['deploy', '-w', w.ws, '-p', 'svcapp', '-e', 'prod', '--version', '1.0.0', '--skip-approval', '--json']);
    expect(d.code, d.stderr).toBe(0);
    expect((await viaProxy(w.proxyPort, domain('prod'), '/pg/write?v=provisioned-prod')).body).toBe('ok');
    expect((await viaProxy(w.proxyPort, domain('prod'), '/pg/read')).body).toBe('provisioned-prod');
    expect((await viaProxy(w.proxyPort, domain('dev'), '/pg/read')).body).toBe('provisioned-dev');
    const envOf = async (env: string) => {
      const ids = (await w.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', `label=io.slipway.environment=${env}`])).split('\n').filter(Boolean);
      const [c] = JSON.parse(await w.docker(['inspect', ids[0] ?? ''])) as Array<{ Config: { Env: string[] } }>;
      return Object.fromEntries(c!.Config.Env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    };
    const dev = await envOf('dev');
    const prod = await envOf('prod');
    expect(dev.PGDATABASE).not.toBe(prod.PGDATABASE);
    // The server's port as the host reaches it (published on loopback only).
    const [service] = JSON.parse(await w.docker(['inspect', `${db.provisioned?.volume}-1`])) as Array<{ NetworkSettings: { Ports: Record<string, Array<{ HostPort: string }> | null> } }>;
    const port = Number(Object.values(service!.NetworkSettings.Ports).flatMap((b) => b ?? [])[0]?.HostPort);
    const own = new Client({ host: '127.0.0.1', port, user: dev.PGUSER, password: dev.PGPASSWORD, database: dev.PGDATABASE });
    await own.connect();
    await own.end();
    const foreign = new Client({ host: '127.0.0.1', port, user: dev.PGUSER, password: dev.PGPASSWORD, database: prod.PGDATABASE });
    await expect(foreign.connect()).rejects.toThrow(/permission denied|not permitted|does not have CONNECT/i);
    await foreign.end().catch(() => undefined);
    const wrong = new Client({ host: '127.0.0.1', port, user: dev.PGUSER, password: 'not-the-password', database: dev.PGDATABASE });
    await expect(wrong.connect()).rejects.toThrow(/password authentication failed/i);
    await wrong.end().catch(() => undefined);
  });

  it('keeps the admin password out of logs, answers, audit entries, labels and the plain store', async () => {
    const [inspected] = JSON.parse(await w.docker(['inspect', `${db.provisioned?.volume}-1`])) as Array<{ Config: { Env: string[] } }>;
    const password = inspected!.Config.Env.find((e) => e.startsWith('POSTGRES_PASSWORD='))!.slice('POSTGRES_PASSWORD='.length);
    expect(password.length).toBeGreaterThan(16);
    const show = await w.run(['service', 'show', 'db', '-w', w.ws, '--json']);
    const audit = await w.run(['audit', '-w', w.ws, '--json', '--limit', '200']);
    const labels = await w.docker(['ps', '-a', '--filter', `label=io.slipway.workspace=${w.ws}`, '--format', '{{.Labels}} {{.Names}}']);
    for (const text of [show.stdout, audit.stdout, labels, w.server.logs()]) expect(text).not.toContain(password);
    expect(readFileSync(join(w.server.dataDir, 'slipway.db')).includes(password)).toBe(false);
  });

  it('removing the service keeps its volume; --drop-data --confirm deletes it', async () => {
    for (const env of ['dev', 'prod']) {
      const detach = await w.run(['service', 'detach', 'db', '-w', w.ws, '-p', 'svcapp', '-e', env, '--json']);
      expect(detach.code, detach.stderr).toBe(0);
      await waitDeployment(detach.json<{ deployment: { id: string } | null }>().deployment?.id);
    }
    await until('the attachment is gone', async () => (await w.run(['service', 'show', 'db', '-w', w.ws, '--json'])).json<{ attachments: unknown[] }>().attachments.length === 0);
    const kept = await w.run(['service', 'remove', 'db', '-w', w.ws, '--json']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.json<{ volumeKept: string | null }>().volumeKept).toBe(db.provisioned?.volume);
    expect(await volumeExists(db.provisioned?.volume ?? '')).toBe(true);
    expect((await w.docker(['ps', '-aq', '--filter', `name=${db.provisioned?.volume}-1`])).trim()).toBe('');

    const { service: other } = await create('scratch');
    const noConfirm = await apiClient(w.server.url, w.server.adminToken).delete(`/api/v1/workspaces/${w.ws}/services/scratch?dropData=true`);
    expect((noConfirm.json as { error: { code: string } }).error.code).toBe('SLW_CONFIRM_REQUIRED');
    const dropped = await w.run(['service', 'remove', 'scratch', '-w', w.ws, '--drop-data', '--confirm', 'scratch', '--json']);
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(dropped.json<{ volumeKept: string | null }>().volumeKept).toBeNull();
    expect(await volumeExists(other.provisioned?.volume ?? '')).toBe(false);
    expect(await w.docker(['network', 'inspect', other.provisioned?.network ?? '']).then(() => true, () => false)).toBe(false);
  });

  it('refuses bad input with a code and leaves nothing behind', async () => {
    const before = (await w.docker(['volume', 'ls', '-q'])).split('\n').filter((v) => v.startsWith('slw-svc-')).length;
    const both = await w.cli(['service', 'create', 'x', '-w', w.ws, '--kind', 'postgres', '--image', 'base:postgres15', '--adopt', '-', '--json'], 'postgres://u:p@db.example:5432/postgres');
    expect(code(both)).toBe('SLW_USAGE');
    const missing = await w.run(['service', 'create', 'x', '-w', w.ws, '--kind', 'postgres', '--image', 'base:nope', '--json']);
    expect(code(missing)).toBe('SLW_IMAGE_NOT_FOUND');
    const kind = await w.run(['service', 'create', 'x', '-w', w.ws, '--kind', 'redis', '--image', 'base:postgres15', '--json']);
    expect(code(kind)).toBe('SLW_VALIDATION');
    // An image that does not follow the contract (the node base: nothing listens on 5432) is taken down again.
    const wrong = await w.run(['service', 'create', 'x', '-w', w.ws, '--kind', 'postgres', '--image', 'base:node', '--json']);
    expect(code(wrong)).toBe('SLW_SERVICE_PROVISION_FAILED');
    const list = await w.run(['service', 'list', '-w', w.ws, '--json']);
    expect(list.json<{ services: unknown[] }>().services).toEqual([]);
    expect((await w.docker(['volume', 'ls', '-q'])).split('\n').filter((v) => v.startsWith('slw-svc-')).length).toBe(before);
  });
});
