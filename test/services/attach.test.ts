/**
 * Services end to end, on the machine's real PostgreSQL, MariaDB, Redis and RabbitMQ (adopted), the real
 * Docker engine and Caddy: a Node app built by Slipway writes and reads through each injected
 * URL in dev and prod (attaching to running prod under load fails no request); dev's credentials cannot reach prod's database, tables, keys or vhost (tried);
 * a rotation under load fails no request and the old credentials stop working after the drain;
 * detach with --drop-data drops the data; secrets (an admin password canary, the generated
 * credentials) are in no log, answer, audit entry, label or plain-text store; bad input gets
 * its code and leaves nothing behind.
 *
 * The machine's servers listen on 127.0.0.1, which containers cannot reach: a relay on the
 * Docker bridge's gateway stands in for a server on a private address (--workload-address).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { adoptedDatabases, dropAdoptedAdmin } from '../support/postgres.js';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, ok, type Api } from '../support/api.js';
import { addMember, workspaceToken } from '../support/fixtures.js';
import { deployWorld, loadGenerator, viaProxy, type DeployWorld } from '../support/deploy.js';
import { cleanup, tempDir } from '../support/server-process.js';
import { AmqpConnection } from '../../src/drivers/test-support/amqp.js';
import { bridgeGateway, buildServiceApp, pushNodeBase, relay } from '../support/service-app.js';

let w: DeployWorld;
let admin: Api;
const relays: Array<{ close(): Promise<void> }> = [];
const canary = `canary-admin-${process.pid}-pw`;
const canaryRole = `slwtest_admin_${process.pid}`;
const domain = (env: string) => `${env}.svcapp.${w.ws}.localhost`;
const pgAdmin = () => new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });

async function withPg<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const c = pgAdmin();
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The environment variables of a running container of `env` (what the workload got). */
async function containerEnv(env: string): Promise<Record<string, string>> {
  const ids = (await w.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.project=svcapp', '--filter', `label=io.slipway.environment=${env}`])).split('\n').filter(Boolean);
  expect(ids.length).toBeGreaterThan(0);
  const inspected = JSON.parse(await w.docker(['inspect', ids[0] ?? ''])) as Array<{ Config: { Env: string[] } }>;
  return Object.fromEntries((inspected[0]?.Config.Env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

/** Connection URLs as the test (on the host) reaches them: the relay's address swapped for the server's own. */
const direct = (url: string, port: number) => url.replace(/@[^/]+\//, `@127.0.0.1:${port}/`);

async function get(env: string, path: string): Promise<string> {
  const r = await viaProxy(w.proxyPort, domain(env), path);
  expect(r.status, r.body).toBe(200);
  return r.body;
}

async function waitDeployment(id: string | undefined): Promise<void> {
  if (!id) return;
  const r = await w.run(['logs', id, '-w', w.ws, '--follow', '--json']);
  expect(r.code, r.stderr).toBe(0);
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting until ${what}; server warnings: ${w.server.logs().split('\n').filter((l) => l.includes('"level":40') || l.includes('"level":50')).slice(-3).join('\n')}`);
}

beforeAll(async () => {
  await withPg(async (c) => {
    await c.query(`drop role if exists ${canaryRole}`);
    await c.query(`create role ${canaryRole} login createdb createrole password '${canary}'`);
  });
  w = await deployWorld({ workspace: 'svc', args: ['--allow-service-host', '127.0.0.1', '--keep-backups', '2'] });
  admin = apiClient(w.server.url, w.server.adminToken);
  ok(await admin.post(`/api/v1/workspaces/${w.ws}/projects`, { name: 'svcapp' }));
  await pushNodeBase(w.docker, `${w.host}/${w.ws}/base:node`);
  const archive = await buildServiceApp(tempDir('slipway-svcapp-'));
  const built = await w.run(['build', archive, '-w', w.ws, '-p', 'svcapp', '--runtime', 'node', '--version', '1.0.0', '--base', `${w.host}/${w.ws}/base:node`, '--json']);
  if (built.code !== 0) throw new Error(`build failed: ${built.stderr}`);
  const gateway = await bridgeGateway();
  const through = async (port: number) => {
    const r = await relay(gateway, port);
    relays.push(r);
    return `${gateway}:${r.port}`;
  };
  const services: Array<[string, string, string, string]> = [
    ['pg', 'postgres', `postgres://${canaryRole}:${canary}@127.0.0.1:5432/postgres`, await through(5432)],
    ['db', 'mysql', 'mysql://root@127.0.0.1:3306', await through(3306)],
    ['cache', 'redis', 'redis://127.0.0.1:6379', await through(6379)],
    ['mq', 'rabbitmq', 'amqp://guest:guest@127.0.0.1:5672', await through(5672)],
  ];
  for (const [name, kind, url, reach] of services) {
    const r = await w.cli(['service', 'create', name, '-w', w.ws, '--kind', kind, '--adopt', '-', '--workload-address', reach, '--json'], url);
    if (r.code !== 0) throw new Error(`service create ${name}: ${r.stderr}`);
  }
}, 400_000);

afterAll(async () => {
  await w?.dispose();
  for (const r of relays) await r.close();
  await withPg(async (c) => {
    await dropAdoptedAdmin(c, canaryRole);
  }).catch(() => undefined);
  await cleanup();
}, 120_000);

describe('services attached to environments', () => {
  it('injects each attachment into dev and prod; the app writes and reads through every URL', async () => {
    for (const env of ['dev', 'prod']) {
      for (const name of ['pg', 'db', 'mq']) {
        const r = await w.run(['service', 'attach', name, '-w', w.ws, '-p', 'svcapp', '-e', env, '--json']);
        expect(r.code, r.stderr).toBe(0);
        expect(r.json<{ deployment: unknown }>().deployment).toBeNull();
      }
      // prod requires approval (tier high): the instance admin skips it, on the record.
      const d = await w.run(['deploy', '-w', w.ws, '-p', 'svcapp', '-e', env, '--version', '1.0.0', ...(env === 'prod' ? ['--skip-approval'] : []), '--json']);
      expect(d.code, d.stderr).toBe(0);
      // Attaching to a running environment rolls a release with the new variables (prod: under load).
      const load = env === 'prod' ? loadGenerator(w.proxyPort, domain('prod')) : null;
      const cache = await w.run(['service', 'attach', 'cache', '-w', w.ws, '-p', 'svcapp', '-e', env, '--json']);
      expect(cache.code, cache.stderr).toBe(0);
      const rolled = cache.json<{ deployment: { id: string } | null; attachment: { variables: string[] } }>();
      expect(rolled.attachment.variables).toEqual(['REDIS_URL', 'REDIS_KEY_PREFIX']);
      expect(rolled.deployment, `${d.stdout} ${(await w.run(['status', '-w', w.ws, '-p', 'svcapp', '--json'])).stdout}`).not.toBeNull();
      await waitDeployment(rolled.deployment?.id);
      if (load) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const result = await load.stop();
        expect(result.sent).toBeGreaterThan(100);
        expect(result.failures).toEqual([]);
      }
      for (const kind of ['pg', 'mysql', 'redis', 'amqp']) {
        expect(await get(env, `/${kind}/write?v=${env}-${kind}`)).toBe('ok');
        expect(await get(env, `/${kind}/read`)).toBe(`${env}-${kind}`);
      }
    }
    const list = await w.run(['service', 'attachments', '-w', w.ws, '-p', 'svcapp', '-e', 'prod', '--json']);
    expect(list.json<{ attachments: Array<{ service: string; state: string }> }>().attachments.map((a) => `${a.service}:${a.state}`)).toEqual(['cache:attached', 'db:attached', 'mq:attached', 'pg:attached']);
  });

  it("dev's credentials cannot read prod's database, tables or keys", async () => {
    const dev = await containerEnv('dev');
    const prod = await containerEnv('prod');
    expect(dev.PGDATABASE).not.toBe(prod.PGDATABASE);
    // PostgreSQL: dev's user cannot connect to prod's database.
    const pg = new Client({ host: '127.0.0.1', port: 5432, user: dev.PGUSER, password: dev.PGPASSWORD, database: prod.PGDATABASE });
    await expect(pg.connect()).rejects.toThrow(/permission denied|not permitted|does not have CONNECT/i);
    await pg.end().catch(() => undefined);
    // MariaDB: dev's user cannot select from prod's table.
    const my = await mysql.createConnection(direct(dev.MYSQL_URL ?? '', 3306));
    await expect(my.query(`select v from \`${prod.MYSQL_DATABASE}\`.kv`)).rejects.toThrow(/denied/i);
    await my.end();
    // Redis: dev's user cannot read a key under prod's prefix.
    const redis = new Redis(direct(dev.REDIS_URL ?? '', 6379).replace(/\/0$/, '/0'), { lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
    await expect(redis.get(`${prod.REDIS_KEY_PREFIX}k`)).rejects.toThrow(/NOPERM/);
    expect(await redis.get(`${dev.REDIS_KEY_PREFIX}k`)).toBe('dev-redis');
    redis.disconnect();
    // RabbitMQ: dev's user cannot open prod's vhost.
    const amqp = new URL(dev.AMQP_URL ?? '');
    await expect(AmqpConnection.open(5672, decodeURIComponent(amqp.username), decodeURIComponent(amqp.password), prod.AMQP_VHOST ?? '')).rejects.toThrow(/530|access|refused|closed/i);
  });

  it('rotates prod credentials under load with zero failed requests; the old ones stop working after the drain', async () => {
    const before = await containerEnv('prod');
    const load = loadGenerator(w.proxyPort, domain('prod'));
    const r = await w.run(['service', 'rotate', 'pg', '-w', w.ws, '-p', 'svcapp', '-e', 'prod', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const rotated = r.json<{ attachment: { generation: number }; deployment: { id: string } | null }>();
    expect(rotated.attachment.generation).toBe(2);
    await waitDeployment(rotated.deployment?.id);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const result = await load.stop();
    expect(result.sent).toBeGreaterThan(100);
    expect(result.failures).toEqual([]);
    const after = await containerEnv('prod');
    expect(after.PGUSER).not.toBe(before.PGUSER);
    expect(after.PGDATABASE).toBe(before.PGDATABASE);
    // The data written with the old credentials is there for the new ones.
    expect(await get('prod', '/pg/read')).toBe('prod-pg');
    await until('the old PostgreSQL user is revoked', async () => {
      const old = new Client({ host: '127.0.0.1', port: 5432, user: before.PGUSER, password: before.PGPASSWORD, database: before.PGDATABASE });
      // The rotation's drain may terminate this probe's backend (57P01) between connect and end:
      // that arrives as an 'error' event, which must not become an unhandled error.
      old.on('error', () => undefined);
      try {
        await old.connect();
        await old.end();
        return false;
      } catch {
        return true;
      }
    });
    // Revoked for good: the role itself is gone, not only its login.
    await until('the old PostgreSQL role is dropped', async () => (await withPg((c) => c.query('select 1 from pg_roles where rolname = $1', [before.PGUSER]))).rowCount === 0);
    expect(await get('prod', '/pg/write?v=after-rotation')).toBe('ok');
    expect(await get('prod', '/pg/read')).toBe('after-rotation');
  });

  it('refuses bad input with a code and leaves nothing behind', async () => {
    // Only the databases of this test's adopted service: other tests make and drop theirs meanwhile.
    const databases = async () => (await withPg((c) => adoptedDatabases(c, canaryRole))).length;
    const before = await databases();
    // dev's and prod's databases, at least (the query sees this test's own).
    expect(before).toBeGreaterThanOrEqual(2);
    const code = (r: { stderr: string; json<T>(): T }) => r.json<{ error: { code: string } }>().error.code;
    const unknown = await w.cli(['service', 'create', 'x', '-w', w.ws, '--kind', 'mongodb', '--adopt', '-', '--json'], 'mongodb://127.0.0.1');
    expect(code(unknown)).toBe('SLW_SERVICE_KIND_UNKNOWN');
    const closed = await w.cli(['service', 'create', 'x', '-w', w.ws, '--kind', 'postgres', '--adopt', '-', '--json'], `postgres://postgres:${canary}@127.0.0.1:1/postgres`);
    expect(code(closed)).toBe('SLW_SERVICE_UNREACHABLE');
    expect(closed.stdout + closed.stderr).not.toContain(canary);
    const internal = await w.cli(['service', 'create', 'x', '-w', w.ws, '--kind', 'redis', '--adopt', '-', '--json'], 'redis://10.1.2.3:6379');
    expect(code(internal)).toBe('SLW_SERVICE_HOST_REFUSED');
    const twice = await w.run(['service', 'attach', 'pg', '-w', w.ws, '-p', 'svcapp', '-e', 'dev', '--json']);
    expect(code(twice)).toBe('SLW_ALREADY_ATTACHED');
    const badPrefix = await w.run(['service', 'attach', 'cache', '-w', w.ws, '-p', 'svcapp', '-e', 'dev', '--as', 'lower', '--json']);
    expect(code(badPrefix)).toBe('SLW_VALIDATION');
    const noConfirm = await admin.post(`/api/v1/workspaces/${w.ws}/projects/svcapp/environments/dev/attachments/pg/detach`, { dropData: true });
    expect(noConfirm.status).toBe(400);
    expect((noConfirm.json as { error: { code: string } }).error.code).toBe('SLW_CONFIRM_REQUIRED');
    const attached = await w.run(['service', 'remove', 'pg', '-w', w.ws, '--json']);
    expect(code(attached)).toBe('SLW_SERVICE_ATTACHED');
    const list = await w.run(['service', 'list', '-w', w.ws, '--json']);
    expect(list.json<{ services: Array<{ name: string }> }>().services.map((s) => s.name)).toEqual(['cache', 'db', 'mq', 'pg']);
    expect(await databases()).toBe(before);
  });

  it('detaches with --drop-data: a release rolls without the variables, then the data is dropped', async () => {
    const dev = await containerEnv('dev');
    const r = await w.run(['service', 'detach', 'pg', '-w', w.ws, '-p', 'svcapp', '-e', 'dev', '--drop-data', '--confirm', 'pg', '--json']);
    expect(r.code, r.stderr).toBe(0);
    await waitDeployment(r.json<{ deployment: { id: string } | null }>().deployment?.id);
    expect((await containerEnv('dev')).DATABASE_URL).toBeUndefined();
    await until('the dev database is dropped', async () => (await withPg((c) => c.query('select 1 from pg_database where datname = $1', [dev.PGDATABASE]))).rowCount === 0);
    const prod = await containerEnv('prod');
    expect(await withPg(async (c) => (await c.query('select 1 from pg_database where datname = $1', [prod.PGDATABASE])).rowCount)).toBe(1);
  });

  it('backs up prod PostgreSQL, and a restore brings back exactly the rows of the backup', async () => {
    const db = (await containerEnv('prod')).PGDATABASE ?? '';
    const rows = async () => {
      const c = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: db });
      await c.connect();
      try {
        return (await c.query('select x from backup_probe order by x')).rows.map((r: { x: number }) => r.x);
      } finally {
        await c.end();
      }
    };
    const asTenant = async (sql: string) => {
      const c = new Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: db });
      await c.connect();
      await c.query(`set role "${db}"; ${sql}`).finally(() => c.end());
    };
    await asTenant('create table backup_probe (x int); insert into backup_probe values (1), (2)');
    const b = await w.run(['service', 'backup', 'pg', '-w', w.ws, '-p', 'svcapp', '-e', 'prod', '--json']);
    expect(b.code, b.stderr).toBe(0);
    const backup = b.json<{ id: string; size: number; sha256: string; release: number | null }>();
    expect(backup.size).toBeGreaterThan(0);
    expect(backup.release).not.toBeNull();
    await asTenant('insert into backup_probe values (3); delete from backup_probe where x = 1');
    const dev = await w.run(['service', 'restore', 'pg', '-w', w.ws, '-p', 'svcapp', '-e', 'dev', '--from', backup.id, '--json']);
    expect(dev.code).not.toBe(0);
    const r = await w.run(['service', 'restore', 'pg', '-w', w.ws, '-p', 'svcapp', '-e', 'prod', '--from', backup.id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(backup.id);
    expect(await rows()).toEqual([1, 2]);
    const list = await w.run(['service', 'backups', 'pg', '-w', w.ws, '-p', 'svcapp', '-e', 'prod', '--json']);
    expect(list.json<{ backups: Array<{ id: string }> }>().backups.map((x) => x.id)).toEqual([backup.id]);

    // --keep-backups 2: a third backup removes the oldest; a developer may not remove one, an admin may.
    const more: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const m = await w.run(['service', 'backup', 'pg', '-w', w.ws, '-p', 'svcapp', '-e', 'prod', '--json']);
      expect(m.code, m.stderr).toBe(0);
      more.push(m.json<{ id: string }>().id);
    }
    const listed = async () => (await w.run(['service', 'backups', 'pg', '-w', w.ws, '-p', 'svcapp', '-e', 'prod', '--json'])).json<{ backups: Array<{ id: string }> }>().backups.map((x) => x.id);
    expect(await listed()).toEqual([...more].reverse());
    await addMember(admin, w.ws, 'dev@example.com', 'developer');
    const developer = (await workspaceToken(admin, w.ws, 'developer', 'dev@example.com')).api;
    const path = `/api/v1/workspaces/${w.ws}/projects/svcapp/environments/prod/attachments/pg/backups/${more[0]}`;
    const refused = await developer.delete(path);
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('SLW_FORBIDDEN');
    const rm = await w.run(['service', 'backup-rm', 'pg', '-w', w.ws, '-p', 'svcapp', '-e', 'prod', '--backup', more[0]!, '--json']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.json<{ deleted: string }>().deleted).toBe(more[0]);
    expect(await listed()).toEqual([more[1]]);
    const again = await w.run(['service', 'backup-rm', 'pg', '-w', w.ws, '-p', 'svcapp', '-e', 'prod', '--backup', more[0]!]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('SLW_NOT_FOUND');
  });

  it('keeps every secret out of logs, answers, audit entries, labels and the plain store', async () => {
    const prod = await containerEnv('prod');
    const secrets = [canary, prod.PGPASSWORD, prod.MYSQL_PASSWORD, new URL(prod.REDIS_URL ?? 'redis://x').password, new URL(prod.AMQP_URL ?? 'amqp://x').password].filter((s): s is string => typeof s === 'string' && s.length > 8);
    expect(secrets.length).toBe(5);
    const show = await w.run(['service', 'show', 'pg', '-w', w.ws, '--json']);
    const audit = await w.run(['audit', '-w', w.ws, '--json', '--limit', '200']);
    const labels = await w.docker(['ps', '-a', '--filter', `label=io.slipway.workspace=${w.ws}`, '--format', '{{.Labels}} {{.Names}} {{.Command}}']);
    const store = readFileSync(join(w.server.dataDir, 'slipway.db'));
    const wal = (() => {
      try {
        return readFileSync(join(w.server.dataDir, 'slipway.db-wal'));
      } catch {
        return Buffer.alloc(0);
      }
    })();
    for (const secret of secrets) {
      for (const text of [show.stdout, audit.stdout, labels, w.server.logs()]) expect(text).not.toContain(secret);
      expect(store.includes(secret)).toBe(false);
      expect(wal.includes(secret)).toBe(false);
    }
  });
});
