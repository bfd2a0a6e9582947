/**
 * The volumes' backup scheduler: the cron slots of `volume_backup_schedules`, taken at most once
 * across control planes by {@link SlotScheduler} (src/controllers/slot-scheduler.ts). A slot's
 * work backs the volume up as `volume backup` does (trigger `schedule`, read through the running
 * release's image), applies the schedule's `keep` to the volume's scheduled backups, and stores
 * the outcome on the schedule (`ok` with the backup's id, or `failed` with the error: nothing
 * runs, the volume is no longer declared, its server is unreachable…).
 *
 * @module
 */
import type { Logger } from 'pino';
import type { Clock } from '../controllers/clock.js';
import { SlotScheduler, type SlotRows } from '../controllers/slot-scheduler.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { schedulerPrincipal, why } from '../services/backup-scheduler.js';
import type { VolumeBackupSchedulesTable } from '../store/schema.js';
import { announceVolume, createVolumeBackup, pruneVolumeBackups, type VolumeBackupContext } from './backups.js';

export interface VolumeBackupSchedulerOptions {
  /** Read at each use: the server's targets are known only once its deploy engine is up. */
  ctx: () => VolumeBackupContext;
  /** This server process (written on the slots it takes). */
  owner: string;
  logger: Logger;
  clock?: Clock;
  concurrency?: number;
  intervalMs?: number;
  stopWaitMs?: number;
}

/** The volumes' schedules as rows of the slot scheduler. */
function volumeSchedules(ctx: () => VolumeBackupContext, logger: Logger): SlotRows<VolumeBackupSchedulesTable> {
  const { db } = ctx();
  return {
    key: (row) => row.id,
    due: (now, stale, limit) =>
      db
        .selectFrom('volume_backup_schedules')
        .selectAll()
        .where('next_at', '<=', now)
        .where((eb) => eb.or([eb('last_status', 'is', null), eb('last_status', '<>', 'running'), eb('last_started_at', '<', stale)]))
        .orderBy('next_at')
        .limit(limit)
        .execute(),
    skip: async (row, next, at) => {
      const r = await db.updateTable('volume_backup_schedules').set({ next_at: next, updated_at: at }).where('id', '=', row.id).where('next_at', '=', row.next_at).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    claim: async (row, c) => {
      const r = await db
        .updateTable('volume_backup_schedules')
        .set({ next_at: c.next, last_slot: c.slot, last_status: 'running', last_owner: c.owner, last_started_at: c.at, last_finished_at: null, last_backup_id: null, last_error: null, updated_at: c.at })
        .where('id', '=', row.id)
        .where('next_at', '=', row.next_at)
        .where((eb) => eb.or([eb('last_status', 'is', null), eb('last_status', '<>', 'running'), eb('last_started_at', '<', c.stale)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    run: (row, slot, by) => backUpSlot(ctx(), logger, row, slot, by),
    interrupted: async (keys, owner, at) => {
      await db
        .updateTable('volume_backup_schedules')
        .set({ last_status: 'failed', last_finished_at: at, last_error: 'interrupted: the server stopped during the backup; the next slot backs up again', updated_at: at })
        .where('id', 'in', keys)
        .where('last_owner', '=', owner)
        .where('last_status', '=', 'running')
        .execute();
    },
  };
}

/** Backs up volumes at their schedules' slots. */
export class VolumeBackupScheduler extends SlotScheduler<VolumeBackupSchedulesTable> {
  constructor(options: VolumeBackupSchedulerOptions) {
    const { ctx, ...rest } = options;
    super(volumeSchedules(ctx, options.logger), { ...rest, what: 'scheduled volume backup' });
  }
}

/** The environment of a schedule, as the scheduler acts on it (null: gone). */
async function accessOf(ctx: VolumeBackupContext, environmentId: string): Promise<EnvironmentAccess | null> {
  const environment = await ctx.db.selectFrom('environments').selectAll().where('id', '=', environmentId).executeTakeFirst();
  if (!environment) return null;
  const project = await ctx.db.selectFrom('projects').selectAll().where('id', '=', environment.project_id).executeTakeFirstOrThrow();
  const w = await ctx.db.selectFrom('workspaces').selectAll().where('id', '=', project.workspace_id).executeTakeFirstOrThrow();
  return { principal: schedulerPrincipal, role: 'owner', workspace: { id: w.id, name: w.name, tier: w.tier, createdAt: w.created_at, updatedAt: w.updated_at }, project, environment };
}

/** One slot of a volume's schedule: its backup, the outcome stored, then the schedule's keep. */
async function backUpSlot(ctx: VolumeBackupContext, logger: Logger, row: VolumeBackupSchedulesTable, slot: string, by: { owner: string; now(): Date }): Promise<void> {
  const { db } = ctx;
  const finish = async (values: { last_status: 'ok' | 'failed'; last_backup_id: string | null; last_error: string | null }) => {
    const at = by.now().toISOString();
    await db.updateTable('volume_backup_schedules').set({ ...values, last_finished_at: at, updated_at: at }).where('id', '=', row.id).where('last_slot', '=', slot).where('last_owner', '=', by.owner).execute();
  };
  const access = await accessOf(ctx, row.environment_id);
  if (!access) return; // deleted with its environment meanwhile: nothing to record it on
  const where = { project: access.project.name, environment: access.environment.name, volume: row.volume };
  try {
    const backup = await createVolumeBackup(ctx, access, row.volume, 'schedule');
    await finish({ last_status: 'ok', last_backup_id: backup.id, last_error: null });
    announceVolume(access, row.volume, 'backup-scheduled');
    logger.info({ ...where, slot, backup: backup.id }, 'scheduled volume backup made');
  } catch (error) {
    logger.warn({ ...where, slot, err: why(error) }, 'a scheduled volume backup failed');
    await finish({ last_status: 'failed', last_backup_id: null, last_error: why(error).slice(0, 2000) }).catch((e: unknown) => logger.warn({ err: e }, 'could not store the outcome of a scheduled volume backup'));
    announceVolume(access, row.volume, 'backup-failed');
    return;
  }
  // The schedule's keep, read again (it may have changed meanwhile), over the volume's scheduled
  // backups only. A failure here leaves the old ones for the next slot; the backup succeeded.
  try {
    const current = await db.selectFrom('volume_backup_schedules').select('keep').where('id', '=', row.id).executeTakeFirst();
    const keep = current?.keep === null || current?.keep === undefined ? 0 : Number(current.keep);
    const removed = keep > 0 ? await pruneVolumeBackups(ctx, access, row.volume, keep, { trigger: 'schedule', why: `the newest ${keep} scheduled backups are kept (volume backup-schedule --keep ${keep})` }) : [];
    if (removed.length > 0) announceVolume(access, row.volume, 'backup-removed');
  } catch (error) {
    logger.warn({ ...where, err: why(error) }, "removing old scheduled volume backups (the schedule's keep) failed; the next slot tries again");
  }
}
