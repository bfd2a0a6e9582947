/** An attachment's backup schedule as the API shows it (read by the attachment listings and the schedule's own routes). */
import type { BackupScheduleInfo } from '../api/backup-schedules.js';
import type { Executor } from '../store/schema.js';
import type { ScheduleColumns } from '../store/schema-services.js';

/** A stored schedule (an attachment's, a volume's) as the API shows it. */
export function scheduleInfo(row: ScheduleColumns): BackupScheduleInfo {
  const status = row.last_status === 'running' || row.last_status === 'ok' || row.last_status === 'failed' ? row.last_status : null;
  return {
    cron: row.cron,
    keep: row.keep === null ? null : Number(row.keep),
    nextAt: row.next_at,
    last: row.last_slot === null || row.last_started_at === null || status === null ? null : { slot: row.last_slot, status, startedAt: row.last_started_at, finishedAt: row.last_finished_at, backup: row.last_backup_id, error: row.last_error },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The schedules of these attachments, by attachment id. */
export async function schedulesOf(db: Executor, attachmentIds: string[]): Promise<Map<string, BackupScheduleInfo>> {
  if (attachmentIds.length === 0) return new Map();
  const rows = await db.selectFrom('service_backup_schedules').selectAll().where('attachment_id', 'in', attachmentIds).execute();
  return new Map(rows.map((r) => [r.attachment_id, scheduleInfo(r)]));
}

