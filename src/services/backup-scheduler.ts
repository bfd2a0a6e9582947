/**
 * The attachments' backup scheduler: the cron slots of `service_backup_schedules`, taken at most
 * once across control planes by {@link SlotScheduler} (src/controllers/slot-scheduler.ts: passes,
 * claims, missed slots, concurrency, shutdown). A slot's work backs the attachment up through the
 * backup machinery (the backup's trigger is `schedule`), applies the schedule's `keep`, and stores
 * the outcome on the schedule (`ok` with the backup's id, or `failed` with the error).
 *
 * @module
 */
import type { Logger } from 'pino';
import { isSlipwayError } from '../core/errors.js';
import type { Clock } from '../controllers/clock.js';
import { SlotScheduler, type SlotRows } from '../controllers/slot-scheduler.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { ServiceBackupSchedulesTable } from '../store/schema.js';
import type { Principal } from '../tenancy/principal.js';
import { pruneBackups } from './backup-retention.js';
import { backupAttachment, type BackupContext } from './backups.js';
import { announceService } from './changes.js';

export { staleRunningMs } from '../controllers/slot-scheduler.js';

export interface BackupSchedulerOptions {
  ctx: BackupContext;
  /** This server process (written on the slots it takes). */
  owner: string;
  logger: Logger;
  clock?: Clock;
  /** Backups this process runs at once; more due schedules wait for the next pass. */
  concurrency?: number;
  /** Between passes (jittered ±10 %). */
  intervalMs?: number;
  /** How long {@link BackupScheduler.stop} waits for running backups. */
  stopWaitMs?: number;
}

/** The server itself, as the principal of a scheduled backup (the audit entry's actor; the backup's trigger says `schedule`). */
export const schedulerPrincipal: Principal = { userId: 'system', tokenId: 'system', email: 'system', instanceAdmin: false, scope: null };

/** An error as a schedule's outcome says it. */
export const why = (error: unknown) => (isSlipwayError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error));

/** The attachments' schedules as rows of the slot scheduler. */
function attachmentSchedules(ctx: BackupContext, logger: Logger): SlotRows<ServiceBackupSchedulesTable> {
  const { db } = ctx;
  return {
    key: (row) => row.attachment_id,
    due: (now, stale, limit) =>
      db
        .selectFrom('service_backup_schedules as s')
        .innerJoin('service_attachments as a', 'a.id', 's.attachment_id')
        .selectAll('s')
        .where('a.state', '=', 'attached')
        .where('s.next_at', '<=', now)
        .where((eb) => eb.or([eb('s.last_status', 'is', null), eb('s.last_status', '<>', 'running'), eb('s.last_started_at', '<', stale)]))
        .orderBy('s.next_at')
        .limit(limit)
        .execute(),
    skip: async (row, next, at) => {
      const r = await db.updateTable('service_backup_schedules').set({ next_at: next, updated_at: at }).where('attachment_id', '=', row.attachment_id).where('next_at', '=', row.next_at).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    claim: async (row, c) => {
      const r = await db
        .updateTable('service_backup_schedules')
        .set({ next_at: c.next, last_slot: c.slot, last_status: 'running', last_owner: c.owner, last_started_at: c.at, last_finished_at: null, last_backup_id: null, last_error: null, updated_at: c.at })
        .where('attachment_id', '=', row.attachment_id)
        .where('next_at', '=', row.next_at)
        .where((eb) => eb.or([eb('last_status', 'is', null), eb('last_status', '<>', 'running'), eb('last_started_at', '<', c.stale)]))
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    run: (row, slot, by) => backUpSlot(ctx, logger, row, slot, by),
    interrupted: async (keys, owner, at) => {
      await db
        .updateTable('service_backup_schedules')
        .set({ last_status: 'failed', last_finished_at: at, last_error: 'interrupted: the server stopped during the backup; the next slot backs up again', updated_at: at })
        .where('attachment_id', 'in', keys)
        .where('last_owner', '=', owner)
        .where('last_status', '=', 'running')
        .execute();
    },
  };
}

/** Backs up attachments at their schedules' slots. */
export class BackupScheduler extends SlotScheduler<ServiceBackupSchedulesTable> {
  constructor(options: BackupSchedulerOptions) {
    const { ctx, ...rest } = options;
    super(attachmentSchedules(ctx, options.logger), { ...rest, what: 'scheduled backup' });
  }
}

/** One slot of an attachment's schedule: its backup, the outcome stored, then the schedule's keep. */
async function backUpSlot(ctx: BackupContext, logger: Logger, row: ServiceBackupSchedulesTable, slot: string, by: { owner: string; now(): Date }): Promise<void> {
  const db = ctx.db;
  const finish = async (values: { last_status: 'ok' | 'failed'; last_backup_id: string | null; last_error: string | null }) => {
    const at = by.now().toISOString();
    await db.updateTable('service_backup_schedules').set({ ...values, last_finished_at: at, updated_at: at }).where('attachment_id', '=', row.attachment_id).where('last_slot', '=', slot).where('last_owner', '=', by.owner).execute();
  };
  let where: { project?: string; environment?: string } = {};
  let serviceName = row.service_id;
  try {
    const found = await db
      .selectFrom('service_attachments as a')
      .innerJoin('environments as e', 'e.id', 'a.environment_id')
      .innerJoin('projects as p', 'p.id', 'e.project_id')
      .innerJoin('workspaces as w', 'w.id', 'p.workspace_id')
      .selectAll('a')
      .select(['w.name as w_name', 'w.tier as w_tier', 'w.created_at as w_created', 'w.updated_at as w_updated'])
      .where('a.id', '=', row.attachment_id)
      .where('a.state', '=', 'attached')
      .executeTakeFirst();
    if (!found) throw new Error('the attachment is being detached; no backup was made');
    const { w_name, w_tier, w_created, w_updated, ...attachment } = found;
    const service = await db.selectFrom('services').selectAll().where('id', '=', attachment.service_id).executeTakeFirstOrThrow();
    serviceName = service.name;
    const project = await db.selectFrom('projects').selectAll().where('id', '=', attachment.project_id).executeTakeFirstOrThrow();
    const environment = await db.selectFrom('environments').selectAll().where('id', '=', attachment.environment_id).executeTakeFirstOrThrow();
    where = { project: project.name, environment: environment.name };
    const access: EnvironmentAccess = { principal: schedulerPrincipal, role: 'owner', workspace: { id: attachment.workspace_id, name: w_name, tier: w_tier, createdAt: w_created, updatedAt: w_updated }, project, environment };
    const backup = await backupAttachment(ctx, access, service, attachment, { trigger: 'schedule', reason: `schedule '${row.cron}', slot ${slot}` });
    await finish({ last_status: 'ok', last_backup_id: backup.id, last_error: null });
    // The backup was announced as it was stored (`backed-up`); this is its schedule's outcome.
    announceService(row.workspace_id, serviceName, 'backup-scheduled', where);
    logger.info({ service: serviceName, ...where, slot, backup: backup.id }, 'scheduled backup made');
  } catch (error) {
    logger.warn({ service: serviceName, ...where, slot, err: why(error) }, 'a scheduled backup failed');
    await finish({ last_status: 'failed', last_backup_id: null, last_error: why(error).slice(0, 2000) }).catch((e: unknown) => logger.warn({ err: e }, 'could not store the outcome of a scheduled backup'));
    announceService(row.workspace_id, serviceName, 'backup-failed', where);
    return;
  }
  // The schedule's keep, read again (it may have changed while the dump ran). A failure here
  // leaves the old ones for the next slot to remove; the backup itself succeeded.
  try {
    const current = await db.selectFrom('service_backup_schedules').select('keep').where('attachment_id', '=', row.attachment_id).executeTakeFirst();
    const keep = current?.keep === null || current?.keep === undefined ? 0 : Number(current.keep);
    const removed = keep > 0 ? await pruneBackups(db, ctx.dataDir, row.attachment_id, keep, { trigger: 'schedule', why: `the newest ${keep} scheduled backups are kept (backup schedule --keep ${keep})` }) : [];
    if (removed.length > 0) announceService(row.workspace_id, serviceName, 'backup-removed', where);
  } catch (error) {
    logger.warn({ service: serviceName, ...where, err: why(error) }, "removing old scheduled backups (the schedule's keep) failed; the next slot tries again");
  }
}
