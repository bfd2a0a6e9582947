/**
 * Backups whose attachment is gone, through the served API and the CLI (`bin/slipway`, built
 * first), on the machine's PostgreSQL: back up, detach (the sweep finishes it), the attachment's
 * list is gone but `service backups NAME` (and `--detached`) lists the backup with where it was
 * taken; a developer may not remove it, an admin does with `service backup-rm NAME --backup ID`
 * (file and row gone); a service that still has backups is removed only with --drop-backups, which
 * removes them with it; unknown ids and bad input are 4xx with their code; both routes are in
 * /api/v1/openapi.json. An environment deleted by mistake and made again gets its old data back:
 * `service restore --from-detached` loads the gone attachment's backup into the new attachment
 * (rows there, owned by the new attachment's role; refused without the flag and for a developer).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, ok, type Api } from '../support/api.js';
import { addMember, seedWorkspace, workspaceToken } from '../support/fixtures.js';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { cleanup, cli } from '../support/server-process.js';

const adminUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
let srv: InProcessServer;
let developer: Api;
let adminToken: string;
const resources: string[] = [];

interface Listed {
  backups: Array<{ id: string; project: string | null; environment: string | null; as: string | null; resource: string | null; attachment: string; size: number; neededBy: string | null }>;
  totalBytes: number;
}

const as = (token: string) => ({ server: srv.url, token });

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting until ${what}`);
}

beforeAll(async () => {
  srv = await startInProcessServer({ SLIPWAY_ALLOW_SERVICE_HOSTS: '127.0.0.1' });
  await seedWorkspace(srv.admin, 'acme', 'web', 'qa');
  await addMember(srv.admin, 'acme', 'dave@example.com', 'developer');
  await addMember(srv.admin, 'acme', 'ada@example.com', 'admin');
  developer = (await workspaceToken(srv.admin, 'acme', 'developer', 'dave@example.com')).api;
  adminToken = (await workspaceToken(srv.admin, 'acme', 'admin', 'ada@example.com')).api.token;
  ok(await srv.admin.post('/api/v1/workspaces/acme/services', { name: 'pg', kind: 'postgres', adopt: adminUrl }));
}, 60_000);

afterAll(async () => {
  await srv?.close();
  const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await c.connect();
  for (const r of resources) {
    await c.query(`DROP DATABASE IF EXISTS "${r}" WITH (FORCE)`).catch(() => undefined);
    for (const n of [1, 2]) await c.query(`DROP ROLE IF EXISTS "${r}_${n}"`).catch(() => undefined);
    await c.query(`DROP ROLE IF EXISTS "${r}"`).catch(() => undefined);
  }
  await c.end();
  await cleanup();
});

async function inDatabase<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe('backups whose attachment is gone', () => {
  it('are listed by the service after a detach and removed by id, by an admin only', async () => {
    const w = ['-w', 'acme'];
    const attached = await cli(['service', 'attach', 'pg', ...w, '-p', 'web', '-e', 'qa', '--json'], as(srv.adminToken));
    expect(attached.code, attached.stderr).toBe(0);
    resources.push(attached.json<{ attachment: { resource: string } }>().attachment.resource);
    const made = await cli(['service', 'backup', 'pg', ...w, '-p', 'web', '-e', 'qa', '--json'], as(srv.adminToken));
    expect(made.code, made.stderr).toBe(0);
    const backup = made.json<{ id: string; size: number }>();
    const detached = await cli(['service', 'detach', 'pg', ...w, '-p', 'web', '-e', 'qa', '--json'], as(srv.adminToken));
    expect(detached.code, detached.stderr).toBe(0);
    // The sweep finishes the detach (nothing runs with it): the attachment's own list is gone.
    await until('the detach is finished', async () => ok<{ attachments: unknown[] }>(await srv.admin.get('/api/v1/workspaces/acme/services/pg')).attachments.length === 0);
    const old = await cli(['service', 'backups', 'pg', ...w, '-p', 'web', '-e', 'qa', '--json'], as(srv.adminToken));
    expect(old.code).not.toBe(0);
    expect(old.json<{ error: { code: string } }>().error.code).toBe('SLW_NOT_FOUND');

    // The service's list still has it, with where it was taken.
    const all = await cli(['service', 'backups', 'pg', ...w, '--json'], as(srv.adminToken));
    expect(all.code, all.stderr).toBe(0);
    expect(all.json<Listed>()).toEqual({ backups: [expect.objectContaining({ id: backup.id, project: 'web', environment: 'qa', as: null, resource: resources[0], attachment: 'detached', size: backup.size, neededBy: null })], totalBytes: backup.size });
    expect((await cli(['service', 'backups', 'pg', ...w, '--detached', '--json'], as(srv.adminToken))).json<Listed>().backups.map((b) => b.id)).toEqual([backup.id]);
    const table = await cli(['service', 'backups', 'pg', ...w], as(srv.adminToken));
    expect(table.stdout).toContain(backup.id);
    expect(table.stdout).toContain('web/qa');
    expect(table.stdout).toContain('detached');
    expect(table.stdout).toContain('service backup-rm pg --backup ID');
    // A viewer-level read over HTTP; a developer may not remove it.
    expect(ok<Listed>(await developer.get('/api/v1/workspaces/acme/services/pg/backups?detached=true')).backups).toHaveLength(1);
    const refused = await developer.delete(`/api/v1/workspaces/acme/services/pg/backups/${backup.id}`);
    expect([refused.status, errorCode(refused)]).toEqual([403, 'SLW_FORBIDDEN']);
    const cliRefused = await cli(['service', 'backup-rm', 'pg', ...w, '--backup', backup.id, '--json'], as(developer.token));
    expect(cliRefused.json<{ error: { code: string } }>().error.code).toBe('SLW_FORBIDDEN');
    const files = () => readdirSync(join(srv.dataDir, 'service-backups'), { recursive: true }).map(String).filter((f) => f.endsWith('.dump'));
    expect(files().some((f) => f.includes(backup.id))).toBe(true);

    // An admin removes it: row and file gone, an audit entry.
    const rm = await cli(['service', 'backup-rm', 'pg', ...w, '--backup', backup.id, '--json'], as(adminToken));
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.json()).toEqual({ deleted: backup.id });
    expect(files()).toEqual([]);
    expect(ok<Listed>(await srv.admin.get('/api/v1/workspaces/acme/services/pg/backups'))).toEqual({ backups: [], totalBytes: 0 });
    const audit = ok<{ events: Array<{ action: string; details: Record<string, unknown> }> }>(await srv.admin.get('/api/v1/workspaces/acme/audit'));
    expect(audit.events.find((e) => e.action === 'service.backup.delete')?.details).toMatchObject({ backup: backup.id, project: 'web', environment: 'qa', attachmentGone: true });
    const again = await cli(['service', 'backup-rm', 'pg', ...w, '--backup', backup.id], as(adminToken));
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('SLW_NOT_FOUND');
  }, 120_000);

  it('an environment deleted and made again gets its data back with service restore --from-detached', async () => {
    const w = ['-w', 'acme'];
    const envs = '/api/v1/workspaces/acme/projects/web/environments';
    ok(await srv.admin.post(envs, { name: 'stage' }));
    const first = await cli(['service', 'attach', 'pg', ...w, '-p', 'web', '-e', 'stage', '--json'], as(srv.adminToken));
    expect(first.code, first.stderr).toBe(0);
    const old = first.json<{ attachment: { resource: string } }>().attachment.resource;
    resources.push(old);
    await inDatabase(old, (c) => c.query(`SET ROLE "${old}"; CREATE TABLE orders (id serial PRIMARY KEY, item text); INSERT INTO orders (item) VALUES ('boat'), ('oar')`));
    const made = await cli(['service', 'backup', 'pg', ...w, '-p', 'web', '-e', 'stage', '--json'], as(srv.adminToken));
    expect(made.code, made.stderr).toBe(0);
    const backup = made.json<{ id: string }>();

    // Deleted by mistake (the sweep finishes its attachment), made again, attached again: a new, empty database.
    ok(await srv.admin.delete(`${envs}/stage`));
    await until('the attachment is gone', async () => ok<{ attachments: unknown[] }>(await srv.admin.get('/api/v1/workspaces/acme/services/pg')).attachments.length === 0);
    ok(await srv.admin.post(envs, { name: 'stage' }));
    const second = await cli(['service', 'attach', 'pg', ...w, '-p', 'web', '-e', 'stage', '--json'], as(srv.adminToken));
    expect(second.code, second.stderr).toBe(0);
    const fresh = second.json<{ attachment: { resource: string } }>().attachment.resource;
    resources.push(fresh);
    expect(fresh).not.toBe(old);
    const tables = (db: string) => inDatabase(db, async (c) => (await c.query("SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'")).rows);
    expect(await tables(fresh)).toEqual([]);

    // Without --from-detached, and as a developer: refused, nothing changed.
    const restore = ['service', 'restore', 'pg', ...w, '-p', 'web', '-e', 'stage', '--from', backup.id];
    const plain = await cli([...restore, '--json'], as(srv.adminToken));
    expect(plain.code).not.toBe(0);
    expect(plain.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'SLW_BACKUP_INVALID', message: expect.stringContaining('--from-detached') });
    const dev = await cli([...restore, '--from-detached', '--json'], as(developer.token));
    expect(dev.json<{ error: { code: string } }>().error.code).toBe('SLW_FORBIDDEN');
    expect(await tables(fresh)).toEqual([]);

    const done = await cli([...restore, '--from-detached'], as(adminToken));
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain(`restored pg (postgres) of web/stage from ${backup.id}`);
    expect(done.stdout).toContain(`taken in web/stage (${old}, attachment detached)`);
    expect(await tables(fresh)).toEqual([{ tablename: 'orders', tableowner: fresh }]);
    expect(await inDatabase(fresh, async (c) => (await c.query('SELECT item FROM orders ORDER BY id')).rows)).toEqual([{ item: 'boat' }, { item: 'oar' }]);
    const again = await cli([...restore, '--from-detached', '--json'], as(adminToken));
    expect(again.json<{ from: { resource: string; environment: string; state: string } }>().from).toMatchObject({ resource: old, environment: 'stage', state: 'detached' });
    const audit = ok<{ events: Array<{ action: string; details: Record<string, unknown> }> }>(await srv.admin.get('/api/v1/workspaces/acme/audit'));
    expect(audit.events.find((e) => e.action === 'service.restore')?.details).toMatchObject({ project: 'web', environment: 'stage', backup: backup.id, from: { resource: old, project: 'web', environment: 'stage', state: 'detached' } });

    // Tidy up for the tests below: detach, and remove the backup.
    expect((await cli(['service', 'detach', 'pg', ...w, '-p', 'web', '-e', 'stage', '--json'], as(srv.adminToken))).code).toBe(0);
    await until('the detach is finished', async () => ok<{ attachments: unknown[] }>(await srv.admin.get('/api/v1/workspaces/acme/services/pg')).attachments.length === 0);
    expect((await cli(['service', 'backup-rm', 'pg', ...w, '--backup', backup.id, '--json'], as(adminToken))).code).toBe(0);
  }, 120_000);

  it('a service that has backups is removed only with --drop-backups, which removes them with it; nothing changes before', async () => {
    const w = ['-w', 'acme'];
    ok(await srv.admin.post('/api/v1/workspaces/acme/services', { name: 'pg2', kind: 'postgres', adopt: adminUrl }));
    const attached = await cli(['service', 'attach', 'pg2', ...w, '-p', 'web', '-e', 'qa', '--json'], as(srv.adminToken));
    expect(attached.code, attached.stderr).toBe(0);
    resources.push(attached.json<{ attachment: { resource: string } }>().attachment.resource);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const made = await cli(['service', 'backup', 'pg2', ...w, '-p', 'web', '-e', 'qa', '--json'], as(srv.adminToken));
      expect(made.code, made.stderr).toBe(0);
      ids.push(made.json<{ id: string }>().id);
    }
    expect((await cli(['service', 'detach', 'pg2', ...w, '-p', 'web', '-e', 'qa', '--json'], as(srv.adminToken))).code).toBe(0);
    await until('the detach is finished', async () => ok<{ attachments: unknown[] }>(await srv.admin.get('/api/v1/workspaces/acme/services/pg2')).attachments.length === 0);
    const files = () => readdirSync(join(srv.dataDir, 'service-backups'), { recursive: true }).map(String).filter((f) => ids.some((id) => f.includes(id)));
    expect(files()).toHaveLength(2);

    const refused = await cli(['service', 'remove', 'pg2', ...w, '--json'], as(srv.adminToken));
    expect(refused.code).not.toBe(0);
    const error = refused.json<{ error: { code: string; message: string } }>().error;
    expect(error.code).toBe('SLW_SERVICE_HAS_BACKUPS');
    expect(error.message).toContain('still has 2 backup(s)');
    expect(error.message).toContain('--drop-backups');
    // Nothing changed: the service, its backups and their files are all there.
    expect(ok<{ service: { name: string } }>(await srv.admin.get('/api/v1/workspaces/acme/services/pg2')).service.name).toBe('pg2');
    expect(ok<Listed>(await srv.admin.get('/api/v1/workspaces/acme/services/pg2/backups')).backups.map((b) => b.id).sort()).toEqual([...ids].sort());
    expect(files()).toHaveLength(2);

    const removed = await cli(['service', 'remove', 'pg2', ...w, '--drop-backups', '--json'], as(srv.adminToken));
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.json()).toEqual({ deleted: 'pg2', volumeKept: null, backupsRemoved: 2 });
    expect(files()).toEqual([]);
    expect(errorCode(await srv.admin.get('/api/v1/workspaces/acme/services/pg2'))).toBe('SLW_NOT_FOUND');
    const audit = ok<{ events: Array<{ action: string; target: string; details: Record<string, unknown> }> }>(await srv.admin.get('/api/v1/workspaces/acme/audit'));
    expect(audit.events.filter((e) => e.action === 'service.backup.delete' && e.details.serviceRemoved === true).map((e) => e.details.backup).sort()).toEqual([...ids].sort());
    expect(audit.events.find((e) => e.action === 'service.remove' && e.target === 'pg2')).toBeDefined();
  }, 120_000);

  it('refuses bad input with 4xx and its code; the routes are documented', async () => {
    const base = '/api/v1/workspaces/acme/services';
    const cases: Array<[string, string, number, string]> = [
      ['GET', `${base}/nope/backups`, 404, 'SLW_NOT_FOUND'],
      ['GET', `${base}/pg/backups?detached=maybe`, 400, 'SLW_VALIDATION'],
      ['GET', `${base}/pg/backups?other=1`, 400, 'SLW_VALIDATION'],
      ['GET', `${base}/Bad%20Name/backups`, 400, 'SLW_INVALID_NAME'],
      ['DELETE', `${base}/pg/backups/sbk_nope`, 404, 'SLW_NOT_FOUND'],
      ['DELETE', `${base}/pg/backups/${'x'.repeat(65)}`, 400, 'SLW_VALIDATION'],
      ['DELETE', `${base}/nope/backups/sbk_nope`, 404, 'SLW_NOT_FOUND'],
    ];
    const wrong: string[] = [];
    for (const [method, path, status, code] of cases) {
      const res = await srv.admin.call({ method, path });
      if (res.status !== status || errorCode(res) !== code) wrong.push(`${method} ${path}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    expect(wrong).toEqual([]);
    const usage = await cli(['service', 'backups', 'pg', '-w', 'acme', '-p', 'web', '-e', 'qa', '--detached'], as(srv.adminToken));
    expect(usage.stderr).toContain('SLW_USAGE');
    const doc = ok<{ paths: Record<string, Record<string, { operationId: string }>> }>(await srv.admin.get('/api/v1/openapi.json'));
    expect(doc.paths['/api/v1/workspaces/{workspace}/services/{service}/backups']?.get?.operationId).toBe('listAllServiceBackups');
    expect(doc.paths['/api/v1/workspaces/{workspace}/services/{service}/backups/{backup}']?.delete?.operationId).toBe('removeAnyServiceBackup');
    const restore = doc.paths['/api/v1/workspaces/{workspace}/projects/{project}/environments/{environment}/attachments/{service}/backups/{backup}/restore']?.post as unknown as { requestBody: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> } };
    expect(Object.keys(restore.requestBody.content['application/json']?.schema.properties ?? {})).toEqual(['as', 'fromDetached']);
  });
});
