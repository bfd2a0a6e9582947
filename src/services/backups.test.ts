/**
 * Backups and restores of attachments on both store engines, per kind against the machine's
 * PostgreSQL, MariaDB, Redis and RabbitMQ: write data, back up, change it, restore → exactly the
 * data at the backup; a corrupt file, another attachment's backup or file, and a file of another
 * instance are refused with SLW_BACKUP_INVALID and change nothing.
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
import type { EnvironmentAccess } from '../projects/projects.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { engines } from '../../test/support/engines.js';
import { auditCount, environment, expectCode, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { attach, type AttachmentInfo } from './attachments.js';
import { backupHeaderBytes } from './backup-file.js';
import { createBackup, listBackups, restoreBackup, type BackupContext } from './backups.js';
import { ServiceHostPolicy } from './host-policy.js';
import { createService } from './services.js';

const adminUrls: Record<DataServiceKind, string> = {
  postgres: 'postgres://postgres@127.0.0.1:5432/postgres',
  mysql: 'mysql://root@127.0.0.1:3306',
  redis: 'redis://127.0.0.1:6379',
  rabbitmq: 'amqp://guest:guest@127.0.0.1:5672',
};

/** Per kind: put the first data in, change it after the backup, and read what there is. */
interface Probe {
  seed(resource: string): Promise<void>;
  change(resource: string): Promise<void>;
  read(resource: string): Promise<unknown>;
}

async function inPostgres<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function inMysql<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function inRedis<T>(fn: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  await r.connect();
  try {
    return await fn(r);
  } finally {
    r.disconnect();
  }
}

const rabbit = parseAdminUrl('rabbitmq', adminUrls.rabbitmq);

const probes: Record<DataServiceKind, Probe> = {
  postgres: {
    seed: (db) => inPostgres(db, async (c) => {
      await c.query(`SET ROLE "${db}"; CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'one'), (2, 'two'); CREATE VIEW named AS SELECT name FROM items`);
    }),
    change: (db) => inPostgres(db, async (c) => {
      await c.query(`SET ROLE "${db}"; INSERT INTO items VALUES (3, 'three'); UPDATE items SET name = 'uno' WHERE id = 1; CREATE TABLE later (x int)`);
    }),
    read: (db) => inPostgres(db, async (c) => ({
      rows: (await c.query('SELECT id, name FROM items ORDER BY id')).rows,
      tables: (await c.query("SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name")).rows,
      owner: (await c.query("SELECT tableowner FROM pg_tables WHERE tablename = 'items'")).rows,
    })),
  },
  mysql: {
    seed: (db) => inMysql(async (c) => {
      await c.query(`CREATE TABLE \`${db}\`.items (id int PRIMARY KEY, name varchar(20), data blob)`);
      await c.query(`INSERT INTO \`${db}\`.items VALUES (1, 'one', x'00ff10'), (2, 'two', NULL)`);
      await c.query(`CREATE VIEW \`${db}\`.named AS SELECT name FROM \`${db}\`.items`);
      await c.query(`CREATE TRIGGER \`${db}\`.upper BEFORE INSERT ON \`${db}\`.items FOR EACH ROW SET NEW.name = UPPER(NEW.name)`);
    }),
    change: (db) => inMysql(async (c) => {
      await c.query(`INSERT INTO \`${db}\`.items VALUES (3, 'three', NULL)`);
      await c.query(`UPDATE \`${db}\`.items SET name = 'uno' WHERE id = 1`);
      await c.query(`CREATE TABLE \`${db}\`.later (x int)`);
    }),
    read: (db) => inMysql(async (c) => ({
      rows: (await c.query(`SELECT id, name, HEX(data) AS data FROM \`${db}\`.items ORDER BY id`))[0],
      view: (await c.query(`SELECT name FROM \`${db}\`.named ORDER BY name`))[0],
      tables: (await c.query('SELECT TABLE_NAME AS t, TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [db]))[0],
      triggers: (await c.query('SELECT TRIGGER_NAME AS t FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?', [db]))[0],
    })),
  },
  redis: {
    seed: (p) => inRedis(async (r) => {
      await r.set(`${p}:a`, 'alpha');
      await r.hset(`${p}:h`, { f1: 'v1', f2: 'v2' });
      await r.set(`${p}:ttl`, 'short-lived', 'PX', 600_000);
      await r.set(Buffer.from(`${p}:bin\u00ff`), Buffer.from([0, 1, 2, 255]));
    }),
    change: (p) => inRedis(async (r) => {
      await r.set(`${p}:a`, 'changed');
      await r.del(`${p}:h`);
      await r.set(`${p}:new`, 'later');
      await r.persist(`${p}:ttl`);
    }),
    read: (p) => inRedis(async (r) => {
      const keys = (await r.keys(`${p}:*`)).sort();
      const ttl = await r.pttl(`${p}:ttl`);
      return { keys, a: await r.get(`${p}:a`), h: await r.hgetall(`${p}:h`), bin: (await r.getBuffer(Buffer.from(`${p}:bin\u00ff`)))?.toString('hex') ?? null, ttlSet: ttl > 0 && ttl <= 600_000 };
    }),
  },
  rabbitmq: {
    seed: async (vh) => {
      await api(rabbit, 'declare', 'PUT', `/queues/${vh}/orders`, { durable: true, arguments: { 'x-max-length': 100 } });
      await api(rabbit, 'bind', 'POST', `/bindings/${vh}/e/amq.direct/q/orders`, { routing_key: 'new-order' });
    },
    change: async (vh) => {
      await api(rabbit, 'declare', 'PUT', `/queues/${vh}/later`, { durable: true });
      await api(rabbit, 'unbind', 'DELETE', `/bindings/${vh}/e/amq.direct/q/orders/new-order`, undefined, [404]);
      await api(rabbit, 'declare', 'PUT', `/exchanges/${vh}/events`, { type: 'fanout' });
    },
    read: async (vh) => ({
      queues: ((await api(rabbit, 'list', 'GET', `/queues/${vh}`)) as { name: string; arguments: unknown }[]).map((q) => [q.name, q.arguments]).sort(),
      exchanges: ((await api(rabbit, 'list', 'GET', `/exchanges/${vh}`)) as { name: string }[]).map((e) => e.name).filter((n) => n !== '' && !n.startsWith('amq.')),
      bindings: ((await api(rabbit, 'list', 'GET', `/bindings/${vh}`)) as { source: string; destination: string; routing_key: string }[]).filter((b) => b.source !== '').map((b) => `${b.source}->${b.destination}:${b.routing_key}`),
    }),
  },
};

const kinds = Object.keys(probes) as DataServiceKind[];

describe.each(engines)('service backups on %s', (engine) => {
  let ctx: TestContext;
  let ws: WorkspaceAccess;
  let dev: EnvironmentAccess;
  let prod: EnvironmentAccess;
  let bctx: BackupContext;
  let dataDir: string;
  const made: { kind: DataServiceKind; a: AttachmentInfo }[] = [];

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
    for (const { kind, a } of made.splice(0)) {
      const admin = parseAdminUrl(kind, adminUrls[kind]);
      await drivers[kind].revokeUser(admin, a.resource, `${a.resource}_1`).catch(() => undefined);
      await drivers[kind].dropResource(admin, a.resource).catch(() => undefined);
    }
    rmSync(dataDir, { recursive: true, force: true });
    await ctx.cleanup();
  });

  it.each(kinds)('%s: backup, change, restore gives the data of the backup; corrupt and foreign backups are refused and change nothing', async (kind) => {
    const probe = probes[kind];
    await createService(bctx, ws, { name: 'data', kind, adopt: adminUrls[kind] });
    const a = await attach(bctx, dev, 'data', null);
    const b = await attach(bctx, prod, 'data', null);
    made.push({ kind, a }, { kind, a: b });
    await probe.seed(a.resource);
    await probe.seed(b.resource);
    const atBackup = await probe.read(a.resource);
    const otherAtSeed = await probe.read(b.resource);

    let t = Date.now();
    const backup = await createBackup(bctx, dev, 'data', null);
    const backupMs = Date.now() - t;
    expect(backup).toMatchObject({ service: 'data', kind, project: 'app', environment: 'dev', as: null, release: null });
    expect(backup.size).toBeGreaterThan(0);
    expect(backup.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await listBackups(ctx.db, dev, 'data', null)).map((x) => x.id)).toEqual([backup.id]);

    await probe.change(a.resource);
    const changed = await probe.read(a.resource);
    expect(changed).not.toEqual(atBackup);
    t = Date.now();
    const restored = await restoreBackup(bctx, dev, 'data', null, backup.id);
    const restoreMs = Date.now() - t;
    expect(restored.backup.id).toBe(backup.id);
    expect(await probe.read(a.resource)).toEqual(atBackup);
    console.log(`[backup timing] ${kind} on ${engine}: backup ${backupMs} ms (${backup.size} bytes), restore ${restoreMs} ms`);

    // Changed again: every refused restore below must leave exactly this.
    await probe.change(a.resource);
    const before = await probe.read(a.resource);
    const path = join(dataDir, 'service-backups', (await ctx.db.selectFrom('service_backups').select('attachment_id').where('id', '=', backup.id).executeTakeFirstOrThrow()).attachment_id, `${backup.id}.dump`);
    const original = readFileSync(path);

    // A byte flipped in the dump.
    const flipped = Buffer.from(original);
    const at = backupHeaderBytes + Math.floor((flipped.length - backupHeaderBytes) / 2);
    flipped[at] = (flipped[at] ?? 0) ^ 0x01;
    writeFileSync(path, flipped);
    expect((await expectCode(() => restoreBackup(bctx, dev, 'data', null, backup.id), 'SLW_BACKUP_INVALID')).message).toContain('checksum');
    // The other attachment's backup, by id and as a file copied over this one's.
    const other = await createBackup(bctx, prod, 'data', null);
    await expectCode(() => restoreBackup(bctx, dev, 'data', null, other.id), 'SLW_BACKUP_INVALID');
    const otherPath = join(dataDir, 'service-backups', (await ctx.db.selectFrom('service_backups').select('attachment_id').where('id', '=', other.id).executeTakeFirstOrThrow()).attachment_id, `${other.id}.dump`);
    writeFileSync(path, readFileSync(otherPath));
    expect((await expectCode(() => restoreBackup(bctx, dev, 'data', null, backup.id), 'SLW_BACKUP_INVALID')).message).toContain('another attachment');
    // The right file, read by another instance (another master key).
    writeFileSync(path, original);
    expect((await expectCode(() => restoreBackup({ ...bctx, keyring: testKeyring() }, dev, 'data', null, backup.id), 'SLW_BACKUP_INVALID')).message).toContain('signature');
    // A header edited to claim this attachment (signature no longer matches).
    const forged = Buffer.from(readFileSync(otherPath));
    const header = forged.subarray(0, backupHeaderBytes).toString('utf8');
    const forgedHeader = header.replace(JSON.parse(header).attachment as string, JSON.parse(original.subarray(0, backupHeaderBytes).toString('utf8')).attachment as string).replace(other.id, backup.id);
    forged.write(forgedHeader, 0, 'utf8');
    writeFileSync(path, forged);
    await expectCode(() => restoreBackup(bctx, dev, 'data', null, backup.id), 'SLW_BACKUP_INVALID');
    // A missing file.
    rmSync(path);
    await expectCode(() => restoreBackup(bctx, dev, 'data', null, backup.id), 'SLW_BACKUP_INVALID');
    expect(await probe.read(a.resource)).toEqual(before);
    await expectCode(() => restoreBackup(bctx, dev, 'data', null, 'sbk_nope'), 'SLW_NOT_FOUND');

    // The intact file restores again; the other attachment was never touched.
    writeFileSync(path, original);
    await restoreBackup(bctx, dev, 'data', null, backup.id);
    expect(await probe.read(a.resource)).toEqual(atBackup);
    expect(await probe.read(b.resource)).toEqual(otherAtSeed);
    const audit = await ctx.db.selectFrom('audit_events').select(['action', 'details']).where('action', 'in', ['service.backup', 'service.restore']).execute();
    expect(audit.map((x) => x.action).sort()).toEqual(['service.backup', 'service.backup', 'service.restore', 'service.restore']);
    expect(await auditCount(ctx.db, ws.workspace.id)).toBeGreaterThan(0);
  });
});
