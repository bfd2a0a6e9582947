/**
 * Backups whose attachment is gone, on both store engines, against the machine's PostgreSQL
 * (adopted as its superuser). What stays after each way an attachment ends — a detach keeping
 * the data, a detach with --drop-data, an environment's deletion — once the services sweep has
 * finished it: the attachment's row goes, the backup's row and file stay, and the attachment's
 * own list no longer reaches them. The service's list does, with where each was taken; one is
 * removed by id (row, file, audit entry), and refusals change nothing: an unknown id, another
 * service's backup, one a running service upgrade still needs, an unknown service; a detached
 * backup is not restored into a new attachment.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAdminUrl } from '../core/services.js';
import { serviceBackupDrivers } from '../drivers/backup/index.js';
import { serviceDrivers } from '../drivers/index.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import { createEnvironment, deleteEnvironmentRows, type EnvironmentAccess } from '../projects/projects.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { engines } from '../../test/support/engines.js';
import { environment, expectCode, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { attach, detach, type AttachmentInfo } from './attachments.js';
import { listServiceBackups, removeServiceBackup } from './backup-records.js';
import { backupDir } from './backup-retention.js';
import { createBackup, listBackups, restoreBackup, type BackupContext } from './backups.js';
import { ServiceHostPolicy } from './host-policy.js';
import { retire } from './retire.js';
import { createService } from './services.js';

const adminUrl = 'postgres://postgres@127.0.0.1:5432/postgres';

async function databaseExists(name: string): Promise<boolean> {
  const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await c.connect();
  try {
    return (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await c.end();
  }
}

describe.each(engines)('backups whose attachment is gone, on %s', (engine) => {
  let ctx: TestContext;
  let ws: WorkspaceAccess;
  let dev: EnvironmentAccess;
  let prod: EnvironmentAccess;
  let qa: EnvironmentAccess;
  let bctx: BackupContext;
  let dataDir: string;
  const made: AttachmentInfo[] = [];

  beforeEach(async () => {
    ctx = await setupContext(engine);
    ws = await workspace(ctx, 'acme', 'high');
    const app = await project(ctx, ws, 'app');
    dev = await environment(ctx, app, 'dev');
    prod = await environment(ctx, app, 'prod');
    await createEnvironment(ctx.db, app, { name: 'qa' });
    qa = await environment(ctx, app, 'qa');
    dataDir = mkdtempSync(join(tmpdir(), 'slipway-orphan-backups-'));
    bctx = { db: ctx.db, keyring: testKeyring(), drivers: serviceDrivers(), hosts: new ServiceHostPolicy(['127.0.0.1']), backups: serviceBackupDrivers(), dataDir };
    await createService(bctx, ws, { name: 'data', kind: 'postgres', adopt: adminUrl });
    await createService(bctx, ws, { name: 'other', kind: 'postgres', adopt: adminUrl });
  });
  afterEach(async () => {
    const admin = parseAdminUrl('postgres', adminUrl);
    for (const a of made.splice(0)) {
      for (const n of [1, 2]) await serviceDrivers().postgres.revokeUser(admin, a.resource, `${a.resource}_${n}`).catch(() => undefined);
      await serviceDrivers().postgres.dropResource(admin, a.resource).catch(() => undefined);
    }
    rmSync(dataDir, { recursive: true, force: true });
    await ctx.cleanup();
  });

  const fileOf = async (id: string) => {
    const row = await ctx.db.selectFrom('service_backups').select(['attachment_id', 'file']).where('id', '=', id).executeTakeFirstOrThrow();
    return join(backupDir(dataDir, row.attachment_id), row.file);
  };
  const attachments = async () => (await ctx.db.selectFrom('service_attachments').select('id').execute()).length;

  it('keeps backups after a detach (with or without --drop-data) and an environment deletion; the service lists them and removes one by id', async () => {
    const aDev = await attach(bctx, dev, 'data', null);
    const aProd = await attach(bctx, prod, 'data', 'ANALYTICS');
    const aQa = await attach(bctx, qa, 'data', null);
    const aOther = await attach(bctx, dev, 'other', 'OTHER');
    made.push(aDev, aProd, aQa, aOther);
    const bDev = await createBackup(bctx, dev, 'data', null);
    const bProd = await createBackup(bctx, prod, 'data', 'ANALYTICS');
    const bQa = await createBackup(bctx, qa, 'data', null);
    const bOther = await createBackup(bctx, dev, 'other', 'OTHER');
    const before = await listServiceBackups(ctx.db, ws, 'data');
    expect(before.map((b) => [b.id, b.attachment])).toEqual([[bQa.id, 'attached'], [bProd.id, 'attached'], [bDev.id, 'attached']]);

    // dev detached keeping its data; prod with --drop-data; qa's environment deleted. Each is
    // `detaching` until the sweep has revoked its credentials (nothing runs here, so at once).
    await detach(bctx, dev, 'data', null, { dropData: false });
    await detach(bctx, prod, 'data', 'ANALYTICS', { dropData: true, confirm: 'data' });
    await ctx.db.transaction().execute((tx) => deleteEnvironmentRows(tx, [qa.environment.id]));
    expect((await listServiceBackups(ctx.db, ws, 'data')).map((b) => b.attachment)).toEqual(['detaching', 'detaching', 'detaching']);
    expect(await retire(bctx)).toMatchObject({ detached: 3 });

    // What remains: no attachment row; every backup's row and file; the data kept by dev's detach only.
    expect(await attachments()).toBe(1);
    for (const b of [bDev, bProd, bQa]) expect(existsSync(await fileOf(b.id))).toBe(true);
    expect(await databaseExists(aDev.resource)).toBe(true);
    expect(await databaseExists(aProd.resource)).toBe(false);
    expect(await databaseExists(aQa.resource)).toBe(true);
    // The attachment's own list and removal no longer reach them.
    await expectCode(() => listBackups(ctx.db, dev, 'data', null), 'SLW_NOT_FOUND');

    // The service's list does, with where each was taken, as recorded then.
    const listed = await listServiceBackups(ctx.db, ws, 'data');
    expect(listed).toEqual([
      expect.objectContaining({ id: bQa.id, project: 'app', environment: 'qa', as: null, resource: aQa.resource, attachment: 'detached', size: bQa.size, sha256: bQa.sha256, neededBy: null }),
      expect.objectContaining({ id: bProd.id, project: 'app', environment: 'prod', as: 'ANALYTICS', resource: aProd.resource, attachment: 'detached' }),
      expect.objectContaining({ id: bDev.id, project: 'app', environment: 'dev', as: null, resource: aDev.resource, attachment: 'detached' }),
    ]);
    expect((await listServiceBackups(ctx.db, ws, 'other')).map((b) => [b.id, b.attachment])).toEqual([[bOther.id, 'attached']]);
    expect(await listServiceBackups(ctx.db, ws, 'other', { detachedOnly: true })).toEqual([]);
    expect((await listServiceBackups(ctx.db, ws, 'data', { detachedOnly: true })).length).toBe(3);

    // A new attachment of dev does not adopt the old backup: restoring it there is refused unless
    // asked for (--from-detached); then a backup whose environment was deleted loads there too.
    const again = await attach(bctx, dev, 'data', null);
    made.push(again);
    expect((await expectCode(() => restoreBackup(bctx, dev, 'data', null, bDev.id), 'SLW_BACKUP_INVALID')).message).toContain('--from-detached');
    expect((await restoreBackup(bctx, dev, 'data', null, bQa.id, { fromDetached: true })).from).toMatchObject({ project: 'app', environment: 'qa', resource: aQa.resource, state: 'detached' });
    expect((await listServiceBackups(ctx.db, ws, 'data', { detachedOnly: true })).length).toBe(3);

    // Removed by id: the row, the file, an audit entry saying where it came from.
    const devFile = await fileOf(bDev.id);
    expect(await removeServiceBackup(ctx.db, dataDir, ws, 'data', bDev.id)).toEqual({ deleted: bDev.id });
    expect(existsSync(devFile)).toBe(false);
    expect(await ctx.db.selectFrom('service_backups').select('id').where('id', '=', bDev.id).executeTakeFirst()).toBeUndefined();
    const audit = await ctx.db.selectFrom('audit_events').select(['action', 'target', 'details']).where('action', '=', 'service.backup.delete').execute();
    expect(audit.map((a) => ({ target: a.target, ...(JSON.parse(a.details) as object) }))).toEqual([expect.objectContaining({ target: 'data', backup: bDev.id, project: 'app', environment: 'dev', as: null, attachmentGone: true })]);
    // Backups of live attachments are removed the same way.
    expect(await removeServiceBackup(ctx.db, dataDir, ws, 'other', bOther.id)).toEqual({ deleted: bOther.id });
    expect(await listServiceBackups(ctx.db, ws, 'other')).toEqual([]);
  });

  it('refuses an unknown id, another service\'s backup, one an upgrade still needs, and an unknown service; nothing changes', async () => {
    made.push(await attach(bctx, dev, 'data', null), await attach(bctx, dev, 'other', 'OTHER'));
    const mine = await createBackup(bctx, dev, 'data', null);
    const theirs = await createBackup(bctx, dev, 'other', 'OTHER');
    await detach(bctx, dev, 'data', null, { dropData: false });
    await retire(bctx);
    const file = await fileOf(mine.id);

    await expectCode(() => removeServiceBackup(ctx.db, dataDir, ws, 'data', 'sbk_nope'), 'SLW_NOT_FOUND');
    await expectCode(() => removeServiceBackup(ctx.db, dataDir, ws, 'data', theirs.id), 'SLW_NOT_FOUND');
    await expectCode(() => removeServiceBackup(ctx.db, dataDir, ws, 'nope', mine.id), 'SLW_NOT_FOUND');
    await expectCode(() => listServiceBackups(ctx.db, ws, 'nope'), 'SLW_NOT_FOUND');
    // Another workspace's admin does not see or remove it.
    const elsewhere = await workspace(ctx, 'other-ws', 'high');
    await createService(bctx, elsewhere, { name: 'data', kind: 'postgres', adopt: adminUrl });
    expect(await listServiceBackups(ctx.db, elsewhere, 'data')).toEqual([]);
    await expectCode(() => removeServiceBackup(ctx.db, dataDir, elsewhere, 'data', mine.id), 'SLW_NOT_FOUND');
    // Nor restores it into its own attachment of a service of the same name, even --from-detached.
    const theirEnv = await environment(ctx, await project(ctx, elsewhere, 'app'), 'prod');
    const theirAttachment = await attach(bctx, theirEnv, 'data', null);
    made.push(theirAttachment);
    await expectCode(() => restoreBackup(bctx, theirEnv, 'data', null, mine.id, { fromDetached: true }), 'SLW_NOT_FOUND');

    // A running service upgrade took it: kept, and the list says why.
    const service = await ctx.db.selectFrom('services').select('id').where('workspace_id', '=', ws.workspace.id).where('name', '=', 'data').executeTakeFirstOrThrow();
    const upgrade = newId('sup');
    await ctx.db.insertInto('service_upgrades').values({ id: upgrade, workspace_id: ws.workspace.id, service_id: service.id, from_image: 'a', from_digest: 'sha256:a', to_image: 'b', to_digest: 'sha256:b', status: 'running', backups: JSON.stringify([mine.id]), message: null, owner: 'test', started_at: nowIso(), finished_at: null, duration_ms: null, created_by: null }).execute();
    expect((await listServiceBackups(ctx.db, ws, 'data'))[0]?.neededBy).toContain(upgrade);
    expect((await expectCode(() => removeServiceBackup(ctx.db, dataDir, ws, 'data', mine.id), 'SLW_BACKUP_IN_USE')).message).toContain(upgrade);
    expect(existsSync(file)).toBe(true);
    expect((await listServiceBackups(ctx.db, ws, 'data')).map((b) => b.id)).toEqual([mine.id]);
    expect(await ctx.db.selectFrom('audit_events').select('id').where('action', '=', 'service.backup.delete').execute()).toEqual([]);

    // Once it has ended, the backup goes.
    await ctx.db.updateTable('service_upgrades').set({ status: 'succeeded', finished_at: nowIso() }).where('id', '=', upgrade).execute();
    await removeServiceBackup(ctx.db, dataDir, ws, 'data', mine.id);
    expect(existsSync(file)).toBe(false);
  });
});
