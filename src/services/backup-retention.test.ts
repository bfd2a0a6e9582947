/**
 * Removing backups, on both store engines, with Redis attachments on the machine's Redis: by hand
 * (row, file and audit entry go; another attachment's or an unknown id is not found), and by
 * retention after each new backup (the newest N stay); a backup an unfinished herd upgrade, a
 * site whose revert failed or a running service upgrade still needs is never removed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAdminUrl } from '../core/services.js';
import { serviceBackupDrivers } from '../drivers/backup/index.js';
import { serviceDrivers } from '../drivers/index.js';
import { seedApplication } from '../herds/test-support/seed.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { engines } from '../../test/support/engines.js';
import { environment, expectCode, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { attach, type AttachmentInfo } from './attachments.js';
import { backupDir, deleteBackup } from './backup-retention.js';
import { createBackup, listBackups, type BackupContext } from './backups.js';
import { ServiceHostPolicy } from './host-policy.js';
import { createService } from './services.js';

const redisUrl = 'redis://127.0.0.1:6379';

describe.each(engines)('removing service backups on %s', (engine) => {
  let ctx: TestContext;
  let ws: WorkspaceAccess;
  let dev: EnvironmentAccess;
  let prod: EnvironmentAccess;
  let bctx: BackupContext;
  let dataDir: string;
  const made: AttachmentInfo[] = [];

  beforeEach(async () => {
    ctx = await setupContext(engine);
    ws = await workspace(ctx, 'acme', 'high');
    const app = await project(ctx, ws, 'app');
    dev = await environment(ctx, app, 'dev');
    prod = await environment(ctx, app, 'prod');
    dataDir = mkdtempSync(join(tmpdir(), 'slipway-backup-rm-'));
    bctx = { db: ctx.db, keyring: testKeyring(), drivers: serviceDrivers(), hosts: new ServiceHostPolicy(['127.0.0.1']), backups: serviceBackupDrivers(), dataDir };
    await createService(bctx, ws, { name: 'cache', kind: 'redis', adopt: redisUrl });
    made.push(await attach(bctx, dev, 'cache', null), await attach(bctx, prod, 'cache', null));
  });
  afterEach(async () => {
    const admin = parseAdminUrl('redis', redisUrl);
    for (const a of made.splice(0)) {
      await serviceDrivers().redis.revokeUser(admin, a.resource, `${a.resource}_1`).catch(() => undefined);
      await serviceDrivers().redis.dropResource(admin, a.resource).catch(() => undefined);
    }
    rmSync(dataDir, { recursive: true, force: true });
    await ctx.cleanup();
  });

  const fileOf = async (id: string) => {
    const row = await ctx.db.selectFrom('service_backups').select(['attachment_id', 'file']).where('id', '=', id).executeTakeFirstOrThrow();
    return join(backupDir(dataDir, row.attachment_id), row.file);
  };
  const deletions = async () => ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'service.backup.delete').execute();

  it('removes one backup by hand: its row, its file and an audit entry; not another attachment\'s', async () => {
    const keep = await createBackup(bctx, dev, 'cache', null);
    const gone = await createBackup(bctx, dev, 'cache', null);
    const other = await createBackup(bctx, prod, 'cache', null);
    const goneFile = await fileOf(gone.id);
    expect(existsSync(goneFile)).toBe(true);
    expect(await deleteBackup(ctx.db, dataDir, dev, 'cache', null, gone.id)).toEqual({ deleted: gone.id });
    expect((await listBackups(ctx.db, dev, 'cache', null)).map((b) => b.id)).toEqual([keep.id]);
    expect(existsSync(goneFile)).toBe(false);
    expect(existsSync(await fileOf(keep.id))).toBe(true);
    const [entry] = await deletions();
    expect(JSON.parse(entry!.details)).toMatchObject({ backup: gone.id, project: 'app', environment: 'dev' });
    // Another attachment's backup is not this one's to remove; an unknown or removed id is not found.
    await expectCode(() => deleteBackup(ctx.db, dataDir, dev, 'cache', null, other.id), 'SLW_NOT_FOUND');
    await expectCode(() => deleteBackup(ctx.db, dataDir, dev, 'cache', null, gone.id), 'SLW_NOT_FOUND');
    expect((await listBackups(ctx.db, prod, 'cache', null)).map((b) => b.id)).toEqual([other.id]);
  });

  it('keeps the newest N after each backup, never one an unfinished upgrade needs', async () => {
    const keeping = { ...bctx, keepBackups: 2 };
    const first = await createBackup(bctx, dev, 'cache', null);
    // A herd upgrade that has not finished took `first` before it touched the site.
    const app = await seedApplication(ctx.db, ws.workspace.id, dev.project.id, 'app', ['1.0.0']);
    const upgradeId = newId('hup');
    const now = nowIso();
    await ctx.db.insertInto('herd_upgrades').values({ id: upgradeId, workspace_id: ws.workspace.id, application_id: app.id, active_key: app.id, to_version: '1.0.0', to_digest: `sha256:${'0'.repeat(64)}`, selector: null, options: '{}', failure_budget: 0, failures: 0, state: 'running', trigger: 'manual', reason: null, created_at: now, created_by: null, updated_at: now, finished_at: null, lease_owner: null, lease_until: null }).execute();
    await ctx.db.insertInto('herd_upgrade_sites').values({ upgrade_id: upgradeId, environment_id: dev.environment.id, site: 'dev', wave: 0, position: 0, step: 'done', from_version: null, from_release: null, backups: JSON.stringify([{ service: 'cache', as: null, backupId: first.id }]), deployment_id: null, revert_deployment_id: null, clone_environment_id: null, error: null, started_at: now, step_started_at: now, finished_at: now }).execute();
    const second = await createBackup(keeping, dev, 'cache', null);
    const third = await createBackup(keeping, dev, 'cache', null);
    const fourth = await createBackup(keeping, dev, 'cache', null);
    // second went (older than the newest two); first stays for the upgrade.
    expect((await listBackups(ctx.db, dev, 'cache', null)).map((b) => b.id).sort()).toEqual([first.id, third.id, fourth.id].sort());
    expect((await deletions()).map((d) => JSON.parse(d.details) as { backup: string; retention: string })).toEqual([expect.objectContaining({ backup: second.id, retention: expect.stringContaining('newest 2') })]);
    expect((await expectCode(() => deleteBackup(ctx.db, dataDir, dev, 'cache', null, first.id), 'SLW_BACKUP_IN_USE')).message).toContain(upgradeId);

    // Finished, but the site's revert failed: the operator still needs it.
    await ctx.db.updateTable('herd_upgrades').set({ state: 'halted', finished_at: nowIso(), active_key: null }).where('id', '=', upgradeId).execute();
    await ctx.db.updateTable('herd_upgrade_sites').set({ step: 'revert-failed' }).where('upgrade_id', '=', upgradeId).execute();
    expect((await expectCode(() => deleteBackup(ctx.db, dataDir, dev, 'cache', null, first.id), 'SLW_BACKUP_IN_USE')).message).toContain('revert');
    await ctx.db.updateTable('herd_upgrade_sites').set({ step: 'reverted' }).where('upgrade_id', '=', upgradeId).execute();

    // A running service upgrade's backup stays too.
    const service = await ctx.db.selectFrom('services').select('id').where('name', '=', 'cache').executeTakeFirstOrThrow();
    const serviceUpgrade = newId('sup');
    await ctx.db.insertInto('service_upgrades').values({ id: serviceUpgrade, workspace_id: ws.workspace.id, service_id: service.id, from_image: 'a', from_digest: 'sha256:a', to_image: 'b', to_digest: 'sha256:b', status: 'running', backups: JSON.stringify([first.id]), message: null, owner: 'test', started_at: now, finished_at: null, duration_ms: null, created_by: null }).execute();
    expect((await expectCode(() => deleteBackup(ctx.db, dataDir, dev, 'cache', null, first.id), 'SLW_BACKUP_IN_USE')).message).toContain(serviceUpgrade);
    await ctx.db.updateTable('service_upgrades').set({ status: 'succeeded', finished_at: nowIso() }).where('id', '=', serviceUpgrade).execute();

    // Nothing needs it any more: the next backup's retention removes it.
    const firstFile = await fileOf(first.id);
    const fifth = await createBackup(keeping, dev, 'cache', null);
    expect((await listBackups(ctx.db, dev, 'cache', null)).map((b) => b.id).sort()).toEqual([fourth.id, fifth.id].sort());
    expect(existsSync(firstFile)).toBe(false);
  });
});
