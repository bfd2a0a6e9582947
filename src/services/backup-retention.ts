/**
 * Removing backups: one by hand (`slipway service backup-rm`), or the oldest of an attachment's
 * beyond the newest N after each new backup (`slipway server --keep-backups N`; 0, the default,
 * keeps every one). A backup something may still restore is never removed: one taken for a herd
 * upgrade that has not finished (its sites may still be reverted, `herd abort --revert`) or for a
 * site whose revert failed (the operator restores by hand), and one taken for a service upgrade
 * that is running.
 *
 * The row goes first (in a transaction with its audit entry), then the file: a crash in between
 * leaves a file no row names, never a row whose file is gone.
 *
 * @module
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError, notFound } from '../core/errors.js';
import { recordAudit, systemActor, type Actor } from '../audit/audit.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { Db, Executor, ServiceBackupsTable } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { findAttachment } from './attachments.js';
import { announceService } from './changes.js';
import { findService } from './services.js';

export const backupDir = (dataDir: string, attachmentId: string) => join(dataDir, 'service-backups', attachmentId);

/** What still needs backup `id`, in words; null when nothing does. */
export async function backupNeededBy(db: Executor, id: string): Promise<string | null> {
  const like = `%"${id}"%`;
  const site = await db
    .selectFrom('herd_upgrade_sites as s')
    .innerJoin('herd_upgrades as u', 'u.id', 's.upgrade_id')
    .select(['u.id', 's.site', 's.step'])
    .where('s.backups', 'like', like)
    .where((eb) => eb.or([eb('u.finished_at', 'is', null), eb('s.step', '=', 'revert-failed')]))
    .executeTakeFirst();
  if (site) return site.step === 'revert-failed' ? `site ${site.site}, whose revert in herd upgrade ${site.id} failed` : `herd upgrade ${site.id} (site ${site.site}), which has not finished`;
  const upgrade = await db.selectFrom('service_upgrades').select('id').where('backups', 'like', like).where('status', '=', 'running').executeTakeFirst();
  return upgrade ? `service upgrade ${upgrade.id}, which is running` : null;
}

/** Removes a backup's row (with its audit entry, in one transaction), then its file. */
export async function removeBackupRow(db: Db, dataDir: string, row: ServiceBackupsTable, actor: Actor, details: Record<string, unknown>, service: string): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('service_backups').where('id', '=', row.id).execute();
    await recordAudit(tx, actor, { workspaceId: row.workspace_id, action: 'service.backup.delete', targetType: 'service', target: service, details: { backup: row.id, size: Number(row.size), sha256: row.sha256, ...details } });
  });
  await rm(join(backupDir(dataDir, row.attachment_id), row.file), { force: true });
}

/** Removes one backup of the attachment; refused (SLW_BACKUP_IN_USE) while something may still restore it. */
export async function deleteBackup(db: Db, dataDir: string, access: EnvironmentAccess, serviceName: string, as: string | null, backupId: string): Promise<{ deleted: string }> {
  const service = await findService(db, access, serviceName);
  const attachment = await findAttachment(db, service, access, as);
  const row = await db.selectFrom('service_backups').selectAll().where('id', '=', backupId).where('workspace_id', '=', access.workspace.id).where('attachment_id', '=', attachment.id).executeTakeFirst();
  if (!row) throw notFound('backup', backupId, `service '${serviceName}' in ${access.project.name}/${access.environment.name}${as ? ` as ${as}` : ''}`);
  const needed = await backupNeededBy(db, row.id);
  if (needed) throw new SlipwayError('SLW_BACKUP_IN_USE', `backup ${backupId} is kept for ${needed}; remove it once that has ended`);
  await removeBackupRow(db, dataDir, row, actorOf(access.principal), { project: access.project.name, environment: access.environment.name, as }, service.name);
  announceService(access.workspace.id, service.name, 'backup-removed', { project: access.project.name, environment: access.environment.name });
  return { deleted: backupId };
}

/**
 * Keeps the attachment's newest `keep` backups and removes the older ones nothing needs (the
 * system's audit entries say `retention`). With `only`, just the backups its schedule made are
 * counted and removed (a schedule's `keep`). Answers the ids removed.
 */
export async function pruneBackups(db: Db, dataDir: string, attachmentId: string, keep: number, only?: { trigger: 'schedule'; why: string }): Promise<string[]> {
  if (keep <= 0) return [];
  let query = db.selectFrom('service_backups').selectAll().where('attachment_id', '=', attachmentId);
  // A schedule's keep counts and removes its own backups only: never one made by hand or for an upgrade.
  if (only) query = query.where('trigger', '=', only.trigger);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  const removed: string[] = [];
  for (const row of rows.slice(keep)) {
    if (await backupNeededBy(db, row.id)) continue;
    const service = await db.selectFrom('services').select('name').where('id', '=', row.service_id).executeTakeFirst();
    await removeBackupRow(db, dataDir, row, systemActor, { retention: only?.why ?? `the newest ${keep} are kept (--keep-backups)` }, service?.name ?? row.service_id);
    removed.push(row.id);
  }
  return removed;
}
