/**
 * Backup schedules on both store engines, with an attachment on the machine's PostgreSQL and the
 * scheduler's clock injected (no waiting for slots): a due slot makes one real backup (trigger
 * `schedule`, row and file), its outcome and next slot are stored; keep N removes older scheduled
 * backups only (never one made by hand, never one something may still restore); two schedulers
 * racing for one slot make one backup; missed slots catch up once or are skipped; a failed dump
 * is recorded; a stop records a backup it did not wait for as interrupted; bad schedules store
 * nothing; detach removes the schedule.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../controllers/clock.js';
import { StillClock } from '../controllers/test-support/still-clock.js';
import { parseAdminUrl } from '../core/services.js';
import { serviceBackupDrivers } from '../drivers/backup/index.js';
import { serviceDrivers } from '../drivers/index.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { engines } from '../../test/support/engines.js';
import { environment, expectCode, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { attach, detach, listAttachments, type AttachmentInfo } from './attachments.js';
import { backupDir } from './backup-retention.js';
import { BackupScheduler } from './backup-scheduler.js';
import { getBackupSchedule, removeBackupSchedule, setBackupSchedule } from './backup-schedules.js';
import { createBackup, listBackups, type BackupContext } from './backups.js';
import { adoptCustomService } from './custom.js';
import { ServiceHostPolicy } from './host-policy.js';
import { createService } from './services.js';

const adminUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
const at = (iso: string) => new Date(`${iso}Z`);
const silent = pino({ level: 'silent' });


describe.each(engines)('backup schedules on %s', (engine) => {
  let ctx: TestContext;
  let ws: WorkspaceAccess;
  let dev: EnvironmentAccess;
  let bctx: BackupContext;
  let dataDir: string;
  let a: AttachmentInfo;
  const made: AttachmentInfo[] = [];

  beforeEach(async () => {
    ctx = await setupContext(engine);
    ws = await workspace(ctx, 'acme', 'high');
    dev = await environment(ctx, await project(ctx, ws, 'app'), 'dev');
    dataDir = mkdtempSync(join(tmpdir(), 'slipway-backup-schedules-'));
    bctx = { db: ctx.db, keyring: testKeyring(), drivers: serviceDrivers(), hosts: new ServiceHostPolicy(['127.0.0.1']), backups: serviceBackupDrivers(), dataDir };
    await createService(bctx, ws, { name: 'data', kind: 'postgres', adopt: adminUrl });
    a = await attach(bctx, dev, 'data', null);
    made.push(a);
  });
  afterEach(async () => {
    const admin = parseAdminUrl('postgres', adminUrl);
    for (const m of made.splice(0)) {
      await serviceDrivers().postgres.revokeUser(admin, m.resource, `${m.resource}_1`).catch(() => undefined);
      await serviceDrivers().postgres.dropResource(admin, m.resource).catch(() => undefined);
    }
    rmSync(dataDir, { recursive: true, force: true });
    await ctx.cleanup();
  });

  const scheduler = (clock: Clock, owner = 'test-1') => new BackupScheduler({ ctx: bctx, owner, logger: silent, clock });
  const scheduleRow = () => ctx.db.selectFrom('service_backup_schedules').selectAll().executeTakeFirst();
  const fileOf = async (id: string) => {
    const row = await ctx.db.selectFrom('service_backups').select(['attachment_id', 'file']).where('id', '=', id).executeTakeFirstOrThrow();
    return join(backupDir(dataDir, row.attachment_id), row.file);
  };
  /** One pass at `when`, waiting for the backups it started. */
  const passAt = async (s: BackupScheduler, clock: StillClock, when: Date) => {
    clock.t = when;
    const taken = await s.tick();
    await s.drain();
    return taken;
  };

  it('refuses bad schedules with a clear code and stores nothing; keep that may remove backups needs admin', async () => {
    expect((await expectCode(() => setBackupSchedule(ctx.db, dev, 'data', null, { cron: '0 3 * *' }), 'SLW_VALIDATION')).message).toContain('it has 4 fields, not 5');
    expect((await expectCode(() => setBackupSchedule(ctx.db, dev, 'data', null, { cron: '0 25 * * *' }), 'SLW_VALIDATION')).message).toContain('out of the hour range');
    await expectCode(() => setBackupSchedule(ctx.db, dev, 'data', null, { cron: '0 0 30 2 *' }), 'SLW_VALIDATION');
    await expectCode(() => setBackupSchedule(ctx.db, dev, 'data', null, { cron: '0 3 * * *', keep: 0 }), 'SLW_VALIDATION');
    await expectCode(() => setBackupSchedule(ctx.db, dev, 'nope', null, { cron: '0 3 * * *' }), 'SLW_NOT_FOUND');
    expect(await scheduleRow()).toBeUndefined();

    // A developer may schedule, but not a keep that removes backups; an admin may; raising or clearing it is the developer's again.
    const developer: EnvironmentAccess = { ...dev, role: 'developer' };
    expect((await expectCode(() => setBackupSchedule(ctx.db, developer, 'data', null, { cron: '0 3 * * *', keep: 5 }), 'SLW_FORBIDDEN')).message).toContain("needs 'admin'");
    expect(await scheduleRow()).toBeUndefined();
    const set = await setBackupSchedule(ctx.db, dev, 'data', null, { cron: '0  3 * * *', keep: 5 }, at('2026-03-01T12:00:00'));
    expect(set).toEqual({ service: 'data', project: 'app', environment: 'dev', as: null, schedule: expect.objectContaining({ cron: '0 3 * * *', keep: 5, nextAt: '2026-03-02T03:00:00.000Z', last: null }) });
    await expectCode(() => setBackupSchedule(ctx.db, developer, 'data', null, { cron: '0 4 * * *', keep: 4 }), 'SLW_FORBIDDEN');
    expect((await setBackupSchedule(ctx.db, developer, 'data', null, { cron: '0 4 * * *' }, at('2026-03-01T12:00:00'))).schedule).toMatchObject({ cron: '0 4 * * *', keep: 5, nextAt: '2026-03-02T04:00:00.000Z' });
    expect((await setBackupSchedule(ctx.db, developer, 'data', null, { cron: '0 4 * * *', keep: 9 })).schedule?.keep).toBe(9);
    expect((await setBackupSchedule(ctx.db, developer, 'data', null, { cron: '0 4 * * *', keep: null })).schedule?.keep).toBeNull();
    // The attachment listing shows it; removing it is the developer's too.
    expect((await listAttachments(ctx.db, dev))[0]?.schedule).toMatchObject({ cron: '0 4 * * *' });
    expect((await removeBackupSchedule(ctx.db, developer, 'data', null)).schedule).toBeNull();
    expect((await getBackupSchedule(ctx.db, dev, 'data', null)).schedule).toBeNull();
    const audit = await ctx.db.selectFrom('audit_events').select('action').where('action', 'like', 'service.backup.%').execute();
    expect(audit.map((e) => e.action).sort()).toEqual(['service.backup.schedule', 'service.backup.schedule', 'service.backup.schedule', 'service.backup.schedule', 'service.backup.unschedule']);

    // A custom service has no backups, so no schedule.
    await adoptCustomService(bctx, ws, { name: 'search', adopt: '127.0.0.1:6379' });
    await attach(bctx, dev, 'search', null);
    await expectCode(() => setBackupSchedule(ctx.db, dev, 'search', null, { cron: '0 3 * * *' }), 'SLW_SERVICE_UNSUPPORTED');
  });

  it('backs up at each due slot (trigger schedule, row and file), stores the outcome and next slot; keep removes older scheduled backups only', async () => {
    await setBackupSchedule(ctx.db, dev, 'data', null, { cron: '0 3 * * *', keep: 2 }, at('2026-03-01T12:00:00'));
    const clock = new StillClock(at('2026-03-01T12:00:00'));
    const s = scheduler(clock);
    // Not due yet.
    expect(await passAt(s, clock, at('2026-03-02T02:59:59'))).toEqual([]);
    expect(await listBackups(ctx.db, dev, 'data', null)).toEqual([]);

    const [first] = await passAt(s, clock, at('2026-03-02T03:00:10'));
    expect(first).toMatchObject({ slot: '2026-03-02T03:00:00.000Z' });
    const row1 = await scheduleRow();
    expect(row1).toMatchObject({ next_at: '2026-03-03T03:00:00.000Z', last_slot: '2026-03-02T03:00:00.000Z', last_status: 'ok', last_error: null });
    const scheduled1 = row1!.last_backup_id!;
    const [b1] = await listBackups(ctx.db, dev, 'data', null);
    expect(b1).toMatchObject({ id: scheduled1, trigger: 'schedule', service: 'data', project: 'app', environment: 'dev' });
    expect(existsSync(await fileOf(scheduled1))).toBe(true);
    expect((await getBackupSchedule(ctx.db, dev, 'data', null)).schedule?.last).toMatchObject({ status: 'ok', backup: scheduled1, error: null });
    // Taken once: the same pass again makes nothing.
    expect(await passAt(s, clock, at('2026-03-02T03:00:40'))).toEqual([]);

    // One by hand, and one an unfinished service upgrade still needs (made by the schedule).
    const manual = await createBackup(bctx, dev, 'data', null);
    expect(manual.trigger).toBe('manual');
    await passAt(s, clock, at('2026-03-03T03:00:05'));
    const scheduled2 = (await scheduleRow())!.last_backup_id!;
    const service = await ctx.db.selectFrom('services').select('id').where('name', '=', 'data').executeTakeFirstOrThrow();
    await ctx.db.insertInto('service_upgrades').values({ id: newId('sup'), workspace_id: ws.workspace.id, service_id: service.id, from_image: 'a', from_digest: 'sha256:a', to_image: 'b', to_digest: 'sha256:b', status: 'running', backups: JSON.stringify([scheduled1]), message: null, owner: 'test', started_at: nowIso(), finished_at: null, duration_ms: null, created_by: null }).execute();
    await passAt(s, clock, at('2026-03-04T03:00:05'));
    const scheduled3 = (await scheduleRow())!.last_backup_id!;
    // Three scheduled backups, keep 2: the oldest is needed by the upgrade, so it stays, and nothing else is old enough.
    expect((await listBackups(ctx.db, dev, 'data', null)).map((b) => b.id).sort()).toEqual([scheduled1, manual.id, scheduled2, scheduled3].sort());
    await ctx.db.updateTable('service_upgrades').set({ status: 'succeeded', finished_at: nowIso() }).execute();
    await passAt(s, clock, at('2026-03-05T03:00:05'));
    const scheduled4 = (await scheduleRow())!.last_backup_id!;
    // Now the newest two scheduled ones stay, and the one made by hand.
    const left = await listBackups(ctx.db, dev, 'data', null);
    expect(left.map((b) => b.id).sort()).toEqual([manual.id, scheduled3, scheduled4].sort());
    expect(existsSync(await fileOf(scheduled4))).toBe(true);
    const removed = await ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'service.backup.delete').execute();
    expect(removed.map((r) => (JSON.parse(r.details) as { backup: string }).backup).sort()).toEqual([scheduled1, scheduled2].sort());
    expect(JSON.parse(removed[0]!.details)).toMatchObject({ retention: expect.stringContaining('--keep 2') });
    const backups = await ctx.db.selectFrom('audit_events').select('details').where('action', '=', 'service.backup').execute();
    expect(backups.map((r) => (JSON.parse(r.details) as { trigger: string }).trigger).sort()).toEqual(['manual', 'schedule', 'schedule', 'schedule', 'schedule']);
  });

  it('two schedulers racing for one slot make one backup', async () => {
    await setBackupSchedule(ctx.db, dev, 'data', null, { cron: '*/5 * * * *' }, at('2026-03-01T12:00:00'));
    const clock = new StillClock(at('2026-03-01T12:05:01'));
    const one = scheduler(clock, 'plane-1');
    const two = scheduler(clock, 'plane-2');
    // Both read the due slot before either takes it: only one conditional write changes the row.
    const [readByOne, readByTwo] = await Promise.all([one.due(), two.due()]);
    expect([readByOne.length, readByTwo.length]).toEqual([1, 1]);
    const [x, y] = await Promise.all([one.take(readByOne), two.take(readByTwo)]);
    await Promise.all([one.drain(), two.drain()]);
    expect([...x!, ...y!].map((t) => t.slot)).toEqual(['2026-03-01T12:05:00.000Z']);
    expect(await listBackups(ctx.db, dev, 'data', null)).toHaveLength(1);
    expect(await scheduleRow()).toMatchObject({ next_at: '2026-03-01T12:10:00.000Z', last_status: 'ok', last_owner: x!.length === 1 ? 'plane-1' : 'plane-2' });
  });

  it('catches up once for slots missed by less than an hour, skips older ones', async () => {
    await setBackupSchedule(ctx.db, dev, 'data', null, { cron: '*/15 * * * *' }, at('2026-03-01T09:50:00'));
    const clock = new StillClock(at('2026-03-01T09:50:00'));
    const s = scheduler(clock);
    // Down from 09:50 to 10:40: 10:00, 10:15 and 10:30 were missed; one backup, for 10:30.
    expect((await passAt(s, clock, at('2026-03-01T10:40:00'))).map((t) => t.slot)).toEqual(['2026-03-01T10:30:00.000Z']);
    expect(await listBackups(ctx.db, dev, 'data', null)).toHaveLength(1);
    expect((await scheduleRow())?.next_at).toBe('2026-03-01T10:45:00.000Z');
    // Down from 10:41 to 12:50: 10:45 (more than an hour ago) … 12:45 (5 minutes ago): the latest, once.
    expect((await passAt(s, clock, at('2026-03-01T12:50:00'))).map((t) => t.slot)).toEqual(['2026-03-01T12:45:00.000Z']);
    // A daily schedule down for a day: its slot is more than an hour old: skipped, no backup.
    await setBackupSchedule(ctx.db, dev, 'data', null, { cron: '0 3 * * *' }, at('2026-03-01T12:50:00'));
    expect(await passAt(s, clock, at('2026-03-02T05:00:00'))).toEqual([]);
    expect(await listBackups(ctx.db, dev, 'data', null)).toHaveLength(2);
    expect((await scheduleRow())?.next_at).toBe('2026-03-03T03:00:00.000Z');
  });

  it('records a failed backup with its error, then backs up again at the next slot', async () => {
    await setBackupSchedule(ctx.db, dev, 'data', null, { cron: '0 * * * *' }, at('2026-03-01T09:30:00'));
    const clock = new StillClock(at('2026-03-01T09:30:00'));
    const s = scheduler(clock);
    // The attachment's database is gone behind Slipway's back: pg_dump fails.
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`ALTER DATABASE "${a.resource}" RENAME TO "${a.resource}_away"`);
    try {
      await passAt(s, clock, at('2026-03-01T10:00:03'));
    } finally {
      await admin.query(`ALTER DATABASE "${a.resource}_away" RENAME TO "${a.resource}"`);
      await admin.end();
    }
    const failed = await getBackupSchedule(ctx.db, dev, 'data', null);
    expect(failed.schedule?.last).toMatchObject({ slot: '2026-03-01T10:00:00.000Z', status: 'failed', backup: null });
    expect(failed.schedule?.last?.error).toMatch(/^SLW_/);
    expect(await listBackups(ctx.db, dev, 'data', null)).toEqual([]);
    await passAt(s, clock, at('2026-03-01T11:00:03'));
    expect((await getBackupSchedule(ctx.db, dev, 'data', null)).schedule?.last).toMatchObject({ status: 'ok', error: null });
  });

  it('stops cleanly: no more passes, and a backup still running past the wait is recorded as interrupted', async () => {
    await setBackupSchedule(ctx.db, dev, 'data', null, { cron: '0 * * * *' }, at('2026-03-01T09:30:00'));
    const clock = new StillClock(at('2026-03-01T10:00:02'));
    const s = new BackupScheduler({ ctx: bctx, owner: 'stopping', logger: silent, clock, stopWaitMs: 0 });
    const [taken] = await s.tick();
    expect(taken?.slot).toBe('2026-03-01T10:00:00.000Z');
    // pg_dump is still running: the stop does not wait for it (stopWaitMs 0).
    await s.stop();
    expect(await scheduleRow()).toMatchObject({ last_status: 'failed', last_error: expect.stringContaining('interrupted') });
    await taken?.done;
    clock.t = at('2026-03-01T11:00:02');
    expect(await s.tick()).toEqual([]);
  });

  it('detach removes the schedule; nothing is backed up any more', async () => {
    await setBackupSchedule(ctx.db, dev, 'data', null, { cron: '0 3 * * *' }, at('2026-03-01T12:00:00'));
    await detach(bctx, dev, 'data', null, { dropData: false });
    expect(await scheduleRow()).toBeUndefined();
    const clock = new StillClock(at('2026-03-02T03:00:10'));
    expect(await passAt(scheduler(clock), clock, at('2026-03-02T03:00:10'))).toEqual([]);
  });
});
