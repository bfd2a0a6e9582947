/**
 * Volume backup schedules on a real store (SQLite and PostgreSQL) with the in-memory target:
 * setting one (who may set a keep, a bad expression, an undeclared volume: refused; reading one of
 * any name answers), the scheduler taking
 * a due slot once across two control planes, backing the volume up (trigger schedule) and
 * keeping the newest N scheduled backups (never one made by hand), a slot that fails recorded on
 * the schedule, and a deleted environment's schedule gone with it.
 */
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../controllers/clock.js';
import { StillClock } from '../controllers/test-support/still-clock.js';
import { dockerVolumeName } from '../core/volumes.js';
import { requestDeploy } from '../deploy/deployments.js';
import { deleteEnvironment } from '../deploy/removal.js';
import { changeSettings } from '../deploy/settings.js';
import { engineHarness, type Harness } from '../deploy/test-support/engine-harness.js';
import { createEnvironment, type EnvironmentAccess } from '../projects/projects.js';
import { MemoryTarget } from '../targets/memory/memory-target.js';
import { engines } from '../../test/support/engines.js';
import { tempDir } from '../../test/support/server-process.js';
import { environment, expectCode, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { VolumeBackupScheduler } from './backup-scheduler.js';
import { getVolumeBackupSchedule, removeVolumeBackupSchedule, setVolumeBackupSchedule } from './backup-schedules.js';
import { createVolumeBackup, listVolumeBackups, type VolumeBackupContext } from './backups.js';

const at = (iso: string) => new Date(`${iso}Z`);
const silent = pino({ level: 'silent' });


async function* bytes(text: string) {
  yield Buffer.from(text);
}

describe.each(engines)('volume backup schedules on %s', (engine) => {
  let ctx: TestContext;
  let h: Harness;
  let target: MemoryTarget;
  let dev: EnvironmentAccess;
  let qa: EnvironmentAccess;
  let vctx: VolumeBackupContext;
  const keyring = testKeyring();

  beforeEach(async () => {
    ctx = await setupContext(engine);
    const ws = await workspace(ctx, 'acme', 'high');
    const serve = await project(ctx, ws, 'serve');
    target = new MemoryTarget({ name: 'local' });
    h = engineHarness(ctx.db, { keyring, target });
    dev = await environment(ctx, serve, 'dev');
    await createEnvironment(ctx.db, serve, { name: 'qa' });
    qa = await environment(ctx, serve, 'qa');
    for (const e of [dev, qa]) await changeSettings(ctx.db, e, { volumes: { data: '/data' } });
    vctx = { db: ctx.db, keyring, dataDir: tempDir('slipway-volume-schedules-'), deploy: { placements: h.placements, registry: { host: 'memory', auth: () => ({ registry: 'memory', username: 'u', password: 'p' }) }, instance: 'itest' }, enqueue: () => undefined };
  });
  afterEach(async () => {
    await h.close();
    await ctx.cleanup();
  });

  const deploy = async (e: EnvironmentAccess) => {
    await requestDeploy(ctx.db, e, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', trigger: 'deploy', actor: { userId: ctx.admin.userId, tokenId: ctx.admin.tokenId } });
    await h.settle(e.environment.id);
  };
  const write = (e: EnvironmentAccess, text: string) => target.importVolume({ name: 'app', volume: dockerVolumeName(e.environment.id, 'data'), path: '/data', image: 'memory/serve', registryAuth: null }, bytes(text));
  const scheduler = (clock: Clock, owner = 'test-1') => new VolumeBackupScheduler({ ctx: () => vctx, owner, logger: silent, clock });
  const passAt = async (s: VolumeBackupScheduler, clock: StillClock, when: Date) => {
    clock.t = when;
    const taken = await s.tick();
    await s.drain();
    return taken;
  };

  it('is set by a developer without a keep, a keep only by an admin; a bad expression or an undeclared volume stores nothing', async () => {
    const developer: EnvironmentAccess = { ...dev, role: 'developer' };
    expect(await getVolumeBackupSchedule(ctx.db, dev, 'data')).toEqual({ project: 'serve', environment: 'dev', volume: 'data', schedule: null });
    const set = await setVolumeBackupSchedule(ctx.db, developer, 'data', { cron: '0 3 * * *' }, at('2026-03-01T10:00:00'));
    expect(set.schedule).toMatchObject({ cron: '0 3 * * *', keep: null, nextAt: '2026-03-02T03:00:00.000Z', last: null });
    await expectCode(() => setVolumeBackupSchedule(ctx.db, developer, 'data', { cron: '0 3 * * *', keep: 3 }), 'SLW_FORBIDDEN');
    await expectCode(() => setVolumeBackupSchedule(ctx.db, dev, 'data', { cron: '61 * * * *' }), 'SLW_VALIDATION');
    await expectCode(() => setVolumeBackupSchedule(ctx.db, dev, 'nope', { cron: '0 3 * * *' }), 'SLW_NOT_FOUND');
    expect((await getVolumeBackupSchedule(ctx.db, dev, 'nope')).schedule).toBeNull();
    const admin = await setVolumeBackupSchedule(ctx.db, dev, 'data', { cron: '*/15 * * * *', keep: 2 }, at('2026-03-01T10:01:00'));
    expect(admin.schedule).toMatchObject({ cron: '*/15 * * * *', keep: 2, nextAt: '2026-03-01T10:15:00.000Z' });
    // Raising the keep, or leaving it out (kept as it is), is a developer's to do.
    expect((await setVolumeBackupSchedule(ctx.db, developer, 'data', { cron: '*/30 * * * *' })).schedule).toMatchObject({ cron: '*/30 * * * *', keep: 2 });
    expect((await setVolumeBackupSchedule(ctx.db, developer, 'data', { cron: '*/30 * * * *', keep: 5 })).schedule?.keep).toBe(5);
    const audit = await ctx.db.selectFrom('audit_events').select('action').where('action', 'in', ['volume.backup.schedule', 'volume.backup.unschedule']).execute();
    expect(audit).toHaveLength(4);
    expect((await removeVolumeBackupSchedule(ctx.db, developer, 'data')).schedule).toBeNull();
    expect((await removeVolumeBackupSchedule(ctx.db, developer, 'data')).schedule).toBeNull();
    expect(await ctx.db.selectFrom('volume_backup_schedules').selectAll().execute()).toEqual([]);
  });

  it('backs the volume up at each slot, once across two schedulers, and keeps the newest N scheduled backups, never one made by hand', async () => {
    await deploy(dev);
    await write(dev, 'by hand');
    const manual = await createVolumeBackup(vctx, dev, 'data');
    await setVolumeBackupSchedule(ctx.db, dev, 'data', { cron: '*/15 * * * *', keep: 2 }, at('2026-03-01T10:01:00'));
    const clock = new StillClock(at('2026-03-01T10:01:00'));
    const one = scheduler(clock, 'one');
    const two = scheduler(clock, 'two');
    // Not due yet.
    expect(await passAt(one, clock, at('2026-03-01T10:14:00'))).toEqual([]);
    // Both read the due row; one claim takes the slot.
    clock.t = at('2026-03-01T10:15:10');
    await write(dev, 'at 10:15');
    const [readByOne, readByTwo] = await Promise.all([one.due(), two.due()]);
    const [x, y] = await Promise.all([one.take(readByOne), two.take(readByTwo)]);
    await Promise.all([one.drain(), two.drain()]);
    expect([...x, ...y].map((t) => t.slot)).toEqual(['2026-03-01T10:15:00.000Z']);
    const first = (await getVolumeBackupSchedule(ctx.db, dev, 'data')).schedule!;
    expect(first).toMatchObject({ nextAt: '2026-03-01T10:30:00.000Z', last: { slot: '2026-03-01T10:15:00.000Z', status: 'ok', error: null } });
    const listed = await listVolumeBackups(ctx.db, dev, 'data');
    expect(listed.map((b) => b.trigger)).toEqual(['schedule', 'manual']);
    expect(listed[0]).toMatchObject({ id: first.last!.backup, release: 1, size: 'at 10:15'.length, createdBy: null });

    // Two more slots: the oldest scheduled backup goes, the one by hand stays.
    await passAt(one, clock, at('2026-03-01T10:30:05'));
    await passAt(two, clock, at('2026-03-01T10:45:05'));
    const after = await listVolumeBackups(ctx.db, dev, 'data');
    expect(after.map((b) => b.trigger)).toEqual(['schedule', 'schedule', 'manual']);
    expect(after.map((b) => b.id)).not.toContain(first.last!.backup);
    expect(after.at(-1)!.id).toBe(manual.id);
  });

  it('records a slot that fails (nothing runs there) on the schedule; a deleted environment takes its schedule along', async () => {
    await setVolumeBackupSchedule(ctx.db, qa, 'data', { cron: '0 * * * *' }, at('2026-03-01T10:01:00'));
    const clock = new StillClock(at('2026-03-01T10:01:00'));
    const s = scheduler(clock);
    expect(await passAt(s, clock, at('2026-03-01T11:00:30'))).toHaveLength(1);
    const failed = (await getVolumeBackupSchedule(ctx.db, qa, 'data')).schedule!;
    expect(failed).toMatchObject({ nextAt: '2026-03-01T12:00:00.000Z', last: { status: 'failed', backup: null } });
    expect(failed.last!.error).toMatch(/^SLW_NOTHING_DEPLOYED: /);
    expect(await listVolumeBackups(ctx.db, qa, 'data')).toEqual([]);

    await deleteEnvironment(ctx.db, h.placements, qa);
    expect(await ctx.db.selectFrom('volume_backup_schedules').selectAll().execute()).toEqual([]);
    expect(await passAt(s, clock, at('2026-03-01T12:00:30'))).toEqual([]);
  });
});
