/**
 * Restoring a backup whose attachment is gone into the environment's new attachment, per kind
 * against the machine's PostgreSQL, MariaDB, Redis and RabbitMQ, on both store engines: data
 * written through attachment A's own credentials, backed up, A detached (the sweep finishes it),
 * the service attached again (B: a new database / prefix / vhost and users), then A's backup
 * restored into B with fromDetached: the rows, keys (with their TTL) and queues are there, and
 * B's credentials read and write them (PostgreSQL objects owned by B's role, MySQL views and
 * triggers defined by B's user). Refused with SLW_BACKUP_INVALID, changing nothing: without
 * fromDetached (the message says how), a backup of another service, of another attachment that
 * is still attached, a corrupt file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAdminUrl, type DataServiceKind } from '../core/services.js';
import { serviceBackupDrivers } from '../drivers/backup/index.js';
import { serviceDrivers } from '../drivers/index.js';
import { api } from '../drivers/rabbitmq.js';
import { AmqpConnection } from '../drivers/test-support/amqp.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { engines } from '../../test/support/engines.js';
import { environment, expectCode, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { attach, detach } from './attachments.js';
import { backupHeaderBytes } from './backup-file.js';
import { listServiceBackups } from './backup-records.js';
import { createBackup, restoreBackup, type BackupContext } from './backups.js';
import { attachmentVariables } from './credentials.js';
import { ServiceHostPolicy } from './host-policy.js';
import { retire } from './retire.js';
import { createService } from './services.js';

const adminUrls: Record<DataServiceKind, string> = {
  postgres: 'postgres://postgres@127.0.0.1:5432/postgres',
  mysql: 'mysql://root@127.0.0.1:3306',
  redis: 'redis://127.0.0.1:6379',
  rabbitmq: 'amqp://guest:guest@127.0.0.1:5672',
};
const rabbit = parseAdminUrl('rabbitmq', adminUrls.rabbitmq);

/** The connection variables of the environment's attachment (what its workloads get). */
type Vars = Record<string, string>;

interface Probe {
  /** Writes the first data through the attachment's own credentials. */
  seed(v: Vars): Promise<void>;
  /** What there is, read by the admin, without names that differ between attachments. */
  snapshot(resource: string): Promise<unknown>;
  /** Through the attachment's own credentials: reads the restored data and writes more; returns what it read. */
  use(v: Vars): Promise<unknown>;
  /** Who owns / defines the objects (PostgreSQL: the table's owner; MySQL: the view's and trigger's DEFINER). */
  owners?(resource: string): Promise<string[]>;
}

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
const pgAdmin = (db: string) => `postgres://postgres@127.0.0.1:5432/${db}`;

async function withMysql<T>(url: string, fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection(url);
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function withRedis<T>(url: string, fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, { lazyConnect: true, enableReadyCheck: false });
  await r.connect();
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

async function amqp(v: Vars): Promise<AmqpConnection> {
  const url = new URL(v.AMQP_URL ?? '');
  return AmqpConnection.open(Number(url.port), decodeURIComponent(url.username), decodeURIComponent(url.password), v.AMQP_VHOST ?? '');
}

const probes: Record<DataServiceKind, Probe> = {
  postgres: {
    seed: (v) => withPg(v.DATABASE_URL ?? '', async (c) => {
      await c.query("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL); INSERT INTO items (name) VALUES ('one'), ('two'); CREATE VIEW named AS SELECT name FROM items; CREATE INDEX items_name ON items (name); GRANT SELECT ON items TO PUBLIC");
    }),
    snapshot: (db) => withPg(pgAdmin(db), async (c) => ({
      rows: (await c.query('SELECT id, name FROM items ORDER BY id')).rows,
      tables: (await c.query("SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")).rows,
    })),
    use: (v) => withPg(v.DATABASE_URL ?? '', async (c) => {
      const read = (await c.query('SELECT name FROM named ORDER BY name')).rows;
      await c.query("INSERT INTO items (name) VALUES ('three')"); // the sequence, too
      await c.query('ALTER TABLE items ADD COLUMN note text'); // only the owner may
      await c.query('CREATE TABLE later (x int)');
      return { read, after: (await c.query('SELECT id, name FROM items ORDER BY id')).rows };
    }),
    owners: (db) => withPg(pgAdmin(db), async (c) => (await c.query("SELECT DISTINCT r.rolname FROM pg_class k JOIN pg_roles r ON r.oid = k.relowner JOIN pg_namespace n ON n.oid = k.relnamespace WHERE n.nspname = 'public'")).rows.map((r: { rolname: string }) => r.rolname)),
  },
  mysql: {
    seed: (v) => withMysql(v.MYSQL_URL ?? '', async (c) => {
      await c.query('CREATE TABLE items (id int AUTO_INCREMENT PRIMARY KEY, name varchar(20), data blob)');
      await c.query("INSERT INTO items (name, data) VALUES ('one', x'00ff10'), ('two', NULL)");
      await c.query('CREATE VIEW named AS SELECT name FROM items');
      await c.query('CREATE TRIGGER upper BEFORE INSERT ON items FOR EACH ROW SET NEW.name = UPPER(NEW.name)');
    }),
    snapshot: (db) => withMysql('mysql://root@127.0.0.1:3306', async (c) => ({
      rows: (await c.query(`SELECT id, name, HEX(data) AS data FROM \`${db}\`.items ORDER BY id`))[0],
      tables: (await c.query('SELECT TABLE_NAME AS t, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [db]))[0],
      triggers: (await c.query('SELECT TRIGGER_NAME AS t FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [db]))[0],
    })),
    use: (v) => withMysql(v.MYSQL_URL ?? '', async (c) => {
      const read = (await c.query('SELECT name FROM named ORDER BY name'))[0];
      await c.query("INSERT INTO items (name) VALUES ('three')"); // the trigger runs as its definer
      return { read, after: (await c.query('SELECT name FROM items ORDER BY id'))[0] };
    }),
    owners: (db) => withMysql('mysql://root@127.0.0.1:3306', async (c) => {
      const views = (await c.query('SELECT DEFINER AS d FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?', [db]))[0] as { d: string }[];
      const triggers = (await c.query('SELECT DEFINER AS d FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [db]))[0] as { d: string }[];
      return [...new Set([...views, ...triggers].map((x) => x.d))];
    }),
  },
  redis: {
    seed: (v) => withRedis(v.REDIS_URL ?? '', async (r) => {
      const p = v.REDIS_KEY_PREFIX ?? '';
      await r.set(`${p}a`, 'alpha');
      await r.hset(`${p}h`, { f1: 'v1', f2: 'v2' });
      await r.set(`${p}ttl`, 'short-lived', 'PX', 600_000);
      await r.set(Buffer.from(`${p}bin\u00ff`), Buffer.from([0, 1, 2, 255]));
    }),
    snapshot: (prefix) => withRedis('redis://127.0.0.1:6379', async (r) => {
      const keys = (await r.keys(`${prefix}:*`)).map((k) => k.slice(prefix.length + 1)).sort();
      const ttl = await r.pttl(`${prefix}:ttl`);
      return { keys, a: await r.get(`${prefix}:a`), h: await r.hgetall(`${prefix}:h`), bin: (await r.getBuffer(Buffer.from(`${prefix}:bin\u00ff`)))?.toString('hex') ?? null, ttlSet: ttl > 0 && ttl <= 600_000 };
    }),
    use: (v) => withRedis(v.REDIS_URL ?? '', async (r) => {
      const p = v.REDIS_KEY_PREFIX ?? '';
      const read = { a: await r.get(`${p}a`), h: await r.hgetall(`${p}h`) };
      await r.set(`${p}new`, 'written by the new attachment');
      return { read, after: await r.get(`${p}new`) };
    }),
  },
  rabbitmq: {
    seed: async (v) => {
      const vh = encodeURIComponent(v.AMQP_VHOST ?? '');
      await api(rabbit, 'declare', 'PUT', `/queues/${vh}/orders`, { durable: true, arguments: { 'x-max-length': 100 } });
      await api(rabbit, 'declare', 'PUT', `/exchanges/${vh}/events`, { type: 'fanout', durable: true });
      await api(rabbit, 'bind', 'POST', `/bindings/${vh}/e/events/q/orders`, { routing_key: '' });
      await api(rabbit, 'policy', 'PUT', `/policies/${vh}/short`, { pattern: '^orders$', definition: { 'message-ttl': 60_000 }, 'apply-to': 'queues' });
    },
    snapshot: async (vh) => ({
      queues: ((await api(rabbit, 'list', 'GET', `/queues/${vh}`)) as { name: string; arguments: unknown }[]).map((q) => [q.name, q.arguments]).sort(),
      exchanges: ((await api(rabbit, 'list', 'GET', `/exchanges/${vh}`)) as { name: string }[]).map((e) => e.name).filter((n) => n !== '' && !n.startsWith('amq.')),
      bindings: ((await api(rabbit, 'list', 'GET', `/bindings/${vh}`)) as { source: string; destination: string; routing_key: string }[]).filter((b) => b.source !== '').map((b) => `${b.source}->${b.destination}:${b.routing_key}`),
      policies: ((await api(rabbit, 'list', 'GET', `/policies/${vh}`)) as { name: string }[]).map((p) => p.name),
    }),
    use: async (v) => {
      const c = await amqp(v);
      try {
        c.publish('orders', 'order 1');
        let got: string | null = null;
        for (let i = 0; i < 50 && got === null; i++) got = await c.get('orders');
        return { got };
      } finally {
        c.close();
      }
    },
  },
};

const kinds = Object.keys(probes) as DataServiceKind[];

describe.each(engines)('restoring a backup whose attachment is gone on %s', (engine) => {
  let ctx: TestContext;
  let ws: WorkspaceAccess;
  let dev: EnvironmentAccess;
  let prod: EnvironmentAccess;
  let bctx: BackupContext;
  let dataDir: string;
  const made: { kind: DataServiceKind; resource: string }[] = [];

  beforeEach(async () => {
    ctx = await setupContext(engine);
    ws = await workspace(ctx, 'acme', 'high');
    const app = await project(ctx, ws, 'app');
    dev = await environment(ctx, app, 'dev');
    prod = await environment(ctx, app, 'prod');
    dataDir = mkdtempSync(join(tmpdir(), 'slipway-backups-'));
    bctx = { db: ctx.db, keyring: testKeyring(), drivers: serviceDrivers(), hosts: new ServiceHostPolicy(['127.0.0.1']), backups: serviceBackupDrivers(), dataDir };
  });
  afterEach(async () => {
    const drivers = serviceDrivers();
    for (const { kind, resource } of made.splice(0)) {
      const admin = parseAdminUrl(kind, adminUrls[kind]);
      for (const n of [1, 2]) await drivers[kind].revokeUser(admin, resource, `${resource}_${n}`).catch(() => undefined);
      await drivers[kind].dropResource(admin, resource).catch(() => undefined);
    }
    rmSync(dataDir, { recursive: true, force: true });
    await ctx.cleanup();
  });

  const vars = (env: EnvironmentAccess) => attachmentVariables(ctx.db, bctx.keyring, env.environment.id);

  it.each(kinds)('%s: detach, attach again, restore the old backup into the new attachment; its credentials read and write it', async (kind) => {
    const probe = probes[kind];
    await createService(bctx, ws, { name: 'data', kind, adopt: adminUrls[kind] });
    await createService(bctx, ws, { name: 'other', kind, adopt: adminUrls[kind] });
    const a = await attach(bctx, dev, 'data', null);
    made.push({ kind, resource: a.resource });
    await probe.seed(await vars(dev));
    const atBackup = await probe.snapshot(a.resource);
    const backup = await createBackup(bctx, dev, 'data', null);

    // Detached (data kept), the sweep finishes it: the backup is listed as detached.
    await detach(bctx, dev, 'data', null, { dropData: false });
    expect(await retire(bctx)).toMatchObject({ detached: 1 });
    expect((await listServiceBackups(ctx.db, ws, 'data')).map((x) => [x.id, x.attachment])).toEqual([[backup.id, 'detached']]);

    // Attached again: a new resource, with nothing in it yet.
    const b = await attach(bctx, dev, 'data', null);
    made.push({ kind, resource: b.resource });
    expect(b.resource).not.toBe(a.resource);
    const empty = await probe.snapshot(b.resource).catch((error: unknown) => `unreadable: ${String(error)}`);
    expect(empty).not.toEqual(atBackup);

    // Without the flag: refused, the message says how; nothing changed.
    const refused = await expectCode(() => restoreBackup(bctx, dev, 'data', null, backup.id), 'SLW_BACKUP_INVALID');
    expect(refused.message).toContain('--from-detached');
    expect(refused.message).toContain('app/dev');
    expect(await probe.snapshot(b.resource).catch((error: unknown) => `unreadable: ${String(error)}`)).toEqual(empty);

    // A corrupt file: refused, nothing changed.
    const path = join(dataDir, 'service-backups', (await ctx.db.selectFrom('service_backups').select('attachment_id').where('id', '=', backup.id).executeTakeFirstOrThrow()).attachment_id, `${backup.id}.dump`);
    const original = readFileSync(path);
    const flipped = Buffer.from(original);
    const at = backupHeaderBytes + Math.floor((flipped.length - backupHeaderBytes) / 2);
    flipped[at] = (flipped[at] ?? 0) ^ 0x01;
    writeFileSync(path, flipped);
    expect((await expectCode(() => restoreBackup(bctx, dev, 'data', null, backup.id, { fromDetached: true }), 'SLW_BACKUP_INVALID')).message).toContain('checksum');
    expect(await probe.snapshot(b.resource).catch((error: unknown) => `unreadable: ${String(error)}`)).toEqual(empty);
    writeFileSync(path, original);

    // Restored: the same data, in B's resource.
    const restored = await restoreBackup(bctx, dev, 'data', null, backup.id, { fromDetached: true });
    expect(restored.backup).toMatchObject({ id: backup.id, project: 'app', environment: 'dev' });
    expect(restored.from).toEqual({ attachment: expect.any(String), state: 'detached', project: 'app', environment: 'dev', as: null, resource: a.resource });
    expect(await probe.snapshot(b.resource)).toEqual(atBackup);
    // Owned by B (PostgreSQL: B's role; MySQL: B's current user defines the view and the trigger).
    if (kind === 'postgres') expect(await probe.owners?.(b.resource)).toEqual([b.resource]);
    if (kind === 'mysql') expect(await probe.owners?.(b.resource)).toEqual([`${b.resource}_1@%`]);
    // B's own credentials read it and write more.
    const used = await probe.use(await vars(dev));
    const expected: Record<DataServiceKind, unknown> = {
      postgres: { read: [{ name: 'one' }, { name: 'two' }], after: [{ id: 1, name: 'one' }, { id: 2, name: 'two' }, { id: 3, name: 'three' }] },
      mysql: { read: [{ name: 'one' }, { name: 'two' }], after: [{ name: 'one' }, { name: 'two' }, { name: 'THREE' }] },
      redis: { read: { a: 'alpha', h: { f1: 'v1', f2: 'v2' } }, after: 'written by the new attachment' },
      rabbitmq: { got: 'order 1' },
    };
    expect(used).toEqual(expected[kind]);

    // Audited with the backup and its original attachment.
    const audit = await ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'service.restore').execute();
    expect(audit.map((x) => JSON.parse(x.details) as unknown)).toEqual([expect.objectContaining({ project: 'app', environment: 'dev', backup: backup.id, from: expect.objectContaining({ attachment: restored.from?.attachment, resource: a.resource, state: 'detached' }) })]);

    // Refused, changing nothing: another service's backup, and a backup of an attachment still attached.
    const after = await probe.snapshot(b.resource);
    const o = await attach(bctx, prod, 'other', null);
    made.push({ kind, resource: o.resource });
    const ofOther = await createBackup(bctx, prod, 'other', null);
    expect((await expectCode(() => restoreBackup(bctx, dev, 'data', null, ofOther.id, { fromDetached: true }), 'SLW_BACKUP_INVALID')).message).toContain("of service 'other'");
    const c = await attach(bctx, prod, 'data', 'SECOND');
    made.push({ kind, resource: c.resource });
    const ofAttached = await createBackup(bctx, prod, 'data', 'SECOND');
    expect((await expectCode(() => restoreBackup(bctx, dev, 'data', null, ofAttached.id, { fromDetached: true }), 'SLW_BACKUP_INVALID')).message).toContain('still attached');
    expect(await probe.snapshot(b.resource)).toEqual(after);
  });
});
