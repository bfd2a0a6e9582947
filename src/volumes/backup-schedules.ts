/**
 * Backup schedules of environment volumes: at most one per volume, a cron expression (UTC) and
 * how many scheduled backups to keep, as attachments have (src/services/backup-schedules.ts).
 * Setting one stores its first slot (`next_at`); the scheduler (./backup-scheduler.ts) takes due
 * slots. Deleting the environment removes its schedules.
 *
 * Permissions: setting or removing a schedule needs what a backup by hand needs (`volume.backup`,
 * developer): a schedule only makes backups. A `keep` that may remove backups — a new one, or one
 * lower than stored — needs what removing a backup by hand needs (`volume.delete`, admin).
 *
 * @module
 */
import type { BackupScheduleInfo } from '../api/backup-schedules.js';
import type { VolumeBackupScheduleState } from '../api/volumes.js';
import { recordAudit } from '../audit/audit.js';
import { checkScheduleChange, keepRefused } from '../core/backup-schedules.js';
import { can } from '../core/roles.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { scheduleInfo } from '../services/backup-schedule-info.js';
import type { Db, Executor } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { announceVolume, declaredVolume, where } from './backups.js';

const state = (access: EnvironmentAccess, volume: string, schedule: BackupScheduleInfo | null): VolumeBackupScheduleState => ({ project: access.project.name, environment: access.environment.name, volume, schedule });

const stored = (db: Executor, access: EnvironmentAccess, volume: string) => db.selectFrom('volume_backup_schedules').selectAll().where('environment_id', '=', access.environment.id).where('volume', '=', volume).executeTakeFirst();

/** The volume's schedule (null: none, also for a name the environment does not declare, as its backups list reads any name). */
export async function getVolumeBackupSchedule(db: Executor, access: EnvironmentAccess, volume: string): Promise<VolumeBackupScheduleState> {
  const row = await stored(db, access, volume);
  return state(access, volume, row ? scheduleInfo(row) : null);
}

/**
 * Sets (or replaces) the schedule of a declared volume. A bad expression or keep is
 * SLW_VALIDATION and stores nothing. `keep` undefined leaves a stored keep as it is (none for a
 * new schedule). The next slot is computed anew from `now`; the last outcome stays.
 */
export async function setVolumeBackupSchedule(db: Db, access: EnvironmentAccess, volume: string, input: { cron: string; keep?: number | null | undefined }, now: Date = new Date()): Promise<VolumeBackupScheduleState> {
  await declaredVolume(db, access, volume);
  const existing = await stored(db, access, volume);
  const checked = checkScheduleChange(input.cron, input.keep, existing?.keep === undefined || existing.keep === null ? null : Number(existing.keep), now);
  if (checked.removesMore && !can(access.role, 'volume.delete')) throw keepRefused(access.role, checked.keep!);
  const at = nowIso();
  const values = { cron: checked.cron, keep: checked.keep, next_at: checked.nextAt.toISOString(), updated_at: at };
  await db.transaction().execute(async (tx) => {
    if (existing) await tx.updateTable('volume_backup_schedules').set(values).where('id', '=', existing.id).execute();
    else await tx.insertInto('volume_backup_schedules').values({ id: newId('vbs'), workspace_id: access.workspace.id, environment_id: access.environment.id, volume, ...values, last_slot: null, last_status: null, last_owner: null, last_started_at: null, last_finished_at: null, last_backup_id: null, last_error: null, created_at: at, created_by: access.principal.userId }).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'volume.backup.schedule', targetType: 'environment', target: where(access), details: { volume, cron: checked.cron, keep: checked.keep } });
  });
  announceVolume(access, volume, 'backup-scheduled');
  return getVolumeBackupSchedule(db, access, volume);
}

/** Removes the volume's schedule (its backups stay); answers the state without one. Removing none is not an error. */
export async function removeVolumeBackupSchedule(db: Db, access: EnvironmentAccess, volume: string): Promise<VolumeBackupScheduleState> {
  const removed = await db.transaction().execute(async (tx) => {
    const r = await tx.deleteFrom('volume_backup_schedules').where('environment_id', '=', access.environment.id).where('volume', '=', volume).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) return false;
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'volume.backup.unschedule', targetType: 'environment', target: where(access), details: { volume } });
    return true;
  });
  if (removed) announceVolume(access, volume, 'backup-scheduled');
  return state(access, volume, null);
}
