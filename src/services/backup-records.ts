/**
 * Every backup of a service in its workspace, including those whose attachment is gone: a
 * detach (with or without --drop-data) and an environment's deletion remove the attachment's row
 * once the services sweep has revoked its credentials, but its backups — rows and files under
 * `<data-dir>/service-backups/<attachment id>/` — stay. Each backup records where it was taken
 * (project, environment, prefix, resource, as named then), so these can still be listed, and
 * removed one by one under the same rules as an attachment's (never while something may still
 * restore it: {@link backupNeededBy}).
 *
 * A backup whose attachment is gone is restored into a current attachment of the same service
 * with `service restore --from-detached` (see src/services/restore-source.ts): the file is
 * checked against the attachment it was made of, and the dump moved into the new resource.
 *
 * @module
 */
import { SlipwayError, notFound } from '../core/errors.js';
import type { ServiceKind } from '../core/services.js';
import { backupTrigger, type BackupTrigger } from '../core/backup-schedules.js';
import type { Db, Executor } from '../store/schema.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';
import { backupNeededBy, removeBackupRow } from './backup-retention.js';
import { announceService } from './changes.js';
import { findService } from './services.js';

/** Whether the backup's attachment still exists (`detaching`: detached, its credentials not yet revoked). */
export type BackupAttachmentState = 'attached' | 'detaching' | 'detached';

/** A backup as the service's list shows it. */
export interface ServiceBackupInfo {
  id: string;
  service: string;
  kind: ServiceKind;
  project: string | null;
  environment: string | null;
  as: string | null;
  resource: string | null;
  attachment: BackupAttachmentState;
  size: number;
  sha256: string;
  release: number | null;
  createdAt: string;
  createdBy: string | null;
  neededBy: string | null;
  trigger: BackupTrigger;
}

const origin = (b: { project_name: string | null; environment_name: string | null; prefix: string | null }) =>
  `${b.project_name ?? '(unknown project)'}/${b.environment_name ?? '(unknown environment)'}${b.prefix ? ` as ${b.prefix}` : ''}`;

/** The service's backups, newest first; `detachedOnly`: only those whose attachment is gone. */
export async function listServiceBackups(db: Executor, access: WorkspaceAccess, serviceName: string, options: { detachedOnly?: boolean } = {}): Promise<ServiceBackupInfo[]> {
  const service = await findService(db, access, serviceName);
  let query = db
    .selectFrom('service_backups as b')
    .leftJoin('service_attachments as a', 'a.id', 'b.attachment_id')
    .leftJoin('users as u', 'u.id', 'b.created_by')
    .selectAll('b')
    .select(['a.state as attachment_state', 'u.email'])
    .where('b.workspace_id', '=', access.workspace.id)
    .where('b.service_id', '=', service.id);
  if (options.detachedOnly) query = query.where('a.id', 'is', null);
  const rows = await query.orderBy('b.created_at', 'desc').orderBy('b.id', 'desc').execute();
  const out: ServiceBackupInfo[] = [];
  for (const r of rows) {
    const attachment: BackupAttachmentState = r.attachment_state === null ? 'detached' : r.attachment_state === 'attached' ? 'attached' : 'detaching';
    out.push({
      id: r.id,
      service: service.name,
      kind: r.kind as ServiceKind,
      project: r.project_name,
      environment: r.environment_name,
      as: r.prefix === null || r.prefix === '' ? null : r.prefix,
      resource: r.resource,
      attachment,
      size: Number(r.size),
      sha256: r.sha256,
      release: r.release_number,
      createdAt: r.created_at,
      createdBy: r.email ?? null,
      neededBy: await backupNeededBy(db, r.id),
      trigger: backupTrigger(r.trigger),
    });
  }
  return out;
}

/**
 * Removes one backup of the service by its id, whether or not its attachment still exists: its
 * row (with an audit entry), then its file. Refused (SLW_BACKUP_IN_USE) while something may still
 * restore it.
 */
export async function removeServiceBackup(db: Db, dataDir: string, access: WorkspaceAccess, serviceName: string, backupId: string): Promise<{ deleted: string }> {
  const service = await findService(db, access, serviceName);
  const row = await db.selectFrom('service_backups').selectAll().where('id', '=', backupId).where('workspace_id', '=', access.workspace.id).where('service_id', '=', service.id).executeTakeFirst();
  if (!row) throw notFound('backup', backupId, `service '${serviceName}' of workspace '${access.workspace.name}' (list them with slipway service backups ${serviceName})`);
  const needed = await backupNeededBy(db, row.id);
  if (needed) throw new SlipwayError('SLW_BACKUP_IN_USE', `backup ${backupId} (of ${origin(row)}) is kept for ${needed}; remove it once that has ended`);
  const attached = await db.selectFrom('service_attachments').select('id').where('id', '=', row.attachment_id).executeTakeFirst();
  const as = row.prefix === null || row.prefix === '' ? null : row.prefix;
  await removeBackupRow(db, dataDir, row, actorOf(access.principal), { project: row.project_name, environment: row.environment_name, as, attachmentGone: attached === undefined }, service.name);
  announceService(access.workspace.id, service.name, 'backup-removed', { project: row.project_name ?? undefined, environment: row.environment_name ?? undefined });
  return { deleted: backupId };
}
