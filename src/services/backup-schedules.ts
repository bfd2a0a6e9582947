/**
 * Backup schedules of attachments: at most one per attachment, a cron expression (UTC) and how
 * many scheduled backups to keep. Setting one stores its first slot (`next_at`); the scheduler
 * ({@link ./backup-scheduler.ts}) takes due slots. Detach and an environment's deletion remove
 * the schedule at once; the row also goes with its attachment (ON DELETE CASCADE).
 *
 * Permissions: setting a schedule or removing it needs what a backup by hand needs
 * (`service.backup`, developer): a schedule only makes backups. A `keep` that may remove
 * backups — a new one, or one lower than stored — needs what removing a backup by hand needs
 * (`service.restore`, admin); raising it, clearing it or leaving it as it is does not.
 *
 * @module
 */
import { checkScheduleChange, keepRefused } from '../core/backup-schedules.js';
import { SlipwayError } from '../core/errors.js';
import { can } from '../core/roles.js';
import type { BackupScheduleInfo, BackupScheduleState } from '../api/backup-schedules.js';
import { scheduleInfo } from './backup-schedule-info.js';
import { recordAudit } from '../audit/audit.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { Db, Executor, ServiceAttachmentsTable, ServicesTable } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { findAttachment } from './attachments.js';
import { backupKind } from './backups.js';
import { announceService } from './changes.js';
import { findService } from './services.js';

const state = (service: ServicesTable, access: EnvironmentAccess, a: ServiceAttachmentsTable, schedule: BackupScheduleInfo | null): BackupScheduleState => ({
  service: service.name,
  project: access.project.name,
  environment: access.environment.name,
  as: a.prefix === '' ? null : a.prefix,
  schedule,
});

async function resolve(db: Executor, access: EnvironmentAccess, serviceName: string, as: string | null) {
  const service = await findService(db, access, serviceName);
  const attachment = await findAttachment(db, service, access, as);
  return { service, attachment };
}

/** The attachment's schedule (null: none). */
export async function getBackupSchedule(db: Executor, access: EnvironmentAccess, serviceName: string, as: string | null): Promise<BackupScheduleState> {
  const { service, attachment } = await resolve(db, access, serviceName, as);
  const row = await db.selectFrom('service_backup_schedules').selectAll().where('attachment_id', '=', attachment.id).executeTakeFirst();
  return state(service, access, attachment, row ? scheduleInfo(row) : null);
}

/**
 * Sets (or replaces) the attachment's schedule. A bad expression or keep is SLW_VALIDATION and
 * stores nothing; a custom service's attachment is SLW_SERVICE_UNSUPPORTED. `keep` undefined
 * leaves a stored keep as it is (none for a new schedule). The next slot is computed anew from
 * `now`; the last outcome stays.
 */
export async function setBackupSchedule(db: Db, access: EnvironmentAccess, serviceName: string, as: string | null, input: { cron: string; keep?: number | null | undefined }, now: Date = new Date()): Promise<BackupScheduleState> {
  const { service, attachment } = await resolve(db, access, serviceName, as);
  backupKind(service);
  if (attachment.state !== 'attached') throw new SlipwayError('SLW_NOT_FOUND', `service '${serviceName}' is being detached from ${access.project.name}/${access.environment.name}; nothing to schedule backups of`);
  const existing = await db.selectFrom('service_backup_schedules').selectAll().where('attachment_id', '=', attachment.id).executeTakeFirst();
  const checked = checkScheduleChange(input.cron, input.keep, existing?.keep === undefined || existing.keep === null ? null : Number(existing.keep), now);
  if (checked.removesMore && !can(access.role, 'service.restore')) throw keepRefused(access.role, checked.keep!);
  const at = nowIso();
  const values = { cron: checked.cron, keep: checked.keep, next_at: checked.nextAt.toISOString(), updated_at: at };
  await db.transaction().execute(async (tx) => {
    if (existing) await tx.updateTable('service_backup_schedules').set(values).where('attachment_id', '=', attachment.id).execute();
    else await tx.insertInto('service_backup_schedules').values({ attachment_id: attachment.id, workspace_id: access.workspace.id, service_id: service.id, environment_id: access.environment.id, ...values, last_slot: null, last_status: null, last_owner: null, last_started_at: null, last_finished_at: null, last_backup_id: null, last_error: null, created_at: at, created_by: access.principal.userId }).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.backup.schedule', targetType: 'service', target: service.name, details: { project: access.project.name, environment: access.environment.name, as, cron: checked.cron, keep: checked.keep } });
  });
  announceService(access.workspace.id, service.name, 'backup-scheduled', { project: access.project.name, environment: access.environment.name });
  return getBackupSchedule(db, access, serviceName, as);
}

/** Removes the attachment's schedule (its backups stay); answers the state without one. Removing none is not an error. */
export async function removeBackupSchedule(db: Db, access: EnvironmentAccess, serviceName: string, as: string | null): Promise<BackupScheduleState> {
  const { service, attachment } = await resolve(db, access, serviceName, as);
  const removed = await db.transaction().execute(async (tx) => {
    const r = await tx.deleteFrom('service_backup_schedules').where('attachment_id', '=', attachment.id).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) return false;
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.backup.unschedule', targetType: 'service', target: service.name, details: { project: access.project.name, environment: access.environment.name, as } });
    return true;
  });
  if (removed) announceService(access.workspace.id, service.name, 'backup-scheduled', { project: access.project.name, environment: access.environment.name });
  return state(service, access, attachment, null);
}
