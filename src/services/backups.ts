/**
 * Backups of an attachment's data: a logical dump per attachment (its database, keys under its
 * prefix, or vhost definitions), stored as a signed file in the server's data directory
 * (`service-backups/<attachment id>/<backup id>.dump`, {@link writeBackupFile}) with a row per
 * backup, and restored from one only after the file is checked ({@link verifyBackupFile}).
 *
 * The dump is made and restored by the control plane itself, through the kind's backup driver
 * (for PostgreSQL and MySQL the server's pg_dump/psql and mariadb-dump/mariadb clients).
 *
 * @module
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SlipwayError, notFound } from '../core/errors.js';
import { isDataKind, type DataServiceKind, type ServiceKind } from '../core/services.js';
import { backupTrigger, type BackupTrigger } from '../core/backup-schedules.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { Executor, ServiceAttachmentsTable, ServiceBackupsTable, ServicesTable } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import type { ServiceBackupDrivers } from './backup-driver.js';
import { backupBody, verifyBackupFile, writeBackupFile } from './backup-file.js';
import { findAttachment } from './attachments.js';
import { announceService } from './changes.js';
import { backupDir, pruneBackups } from './backup-retention.js';
import { restoreSource, type DetachedOrigin } from './restore-source.js';
import { adminOf, findService, type ServiceContext } from './services.js';

/** The services context plus where backups are kept and the drivers that make them. */
export interface BackupContext extends ServiceContext {
  backups: ServiceBackupDrivers;
  /** The server's data directory (backups go to `service-backups/` in it). */
  dataDir: string;
  /** Backups kept per attachment after a new one (`--keep-backups`); 0 or absent: every one. */
  keepBackups?: number | undefined;
}

/** A backup as the API shows it. */
export interface BackupInfo {
  id: string;
  service: string;
  kind: ServiceKind;
  project: string;
  environment: string;
  as: string | null;
  size: number;
  sha256: string;
  release: number | null;
  createdAt: string;
  createdBy: string | null;
  /** What made it: by hand, for an upgrade, or its attachment's schedule. */
  trigger: BackupTrigger;
}

export interface RestoreInfo {
  /** The backup restored, with the attachment it was restored into (project, environment, as). */
  backup: BackupInfo;
  /** A backup whose attachment is gone (fromDetached): where it was taken, as recorded then; null for the attachment's own. */
  from: DetachedOrigin | null;
  /** Milliseconds the check and the restore took. */
  durationMs: number;
}


function toInfo(service: ServicesTable, access: EnvironmentAccess, a: ServiceAttachmentsTable, b: ServiceBackupsTable, email: string | null): BackupInfo {
  return { id: b.id, service: service.name, kind: b.kind as ServiceKind, project: access.project.name, environment: access.environment.name, as: a.prefix === '' ? null : a.prefix, size: Number(b.size), sha256: b.sha256, release: b.release_number, createdAt: b.created_at, createdBy: email, trigger: backupTrigger(b.trigger) };
}

async function runningRelease(db: Executor, environmentId: string): Promise<number | null> {
  const row = await db.selectFrom('releases').select((eb) => eb.fn.max('number').as('n')).where('environment_id', '=', environmentId).where('status', '=', 'succeeded').executeTakeFirst();
  return row?.n === null || row?.n === undefined ? null : Number(row.n);
}

const where = (access: EnvironmentAccess, as: string | null) => `${access.project.name}/${access.environment.name}${as ? ` as ${as}` : ''}`;

/** The kind of a service whose attachments can be backed up; a custom service's cannot (SLW_SERVICE_UNSUPPORTED). */
export function backupKind(service: Pick<ServicesTable, 'name' | 'kind'>): DataServiceKind {
  const kind = service.kind as ServiceKind;
  if (!isDataKind(kind)) throw new SlipwayError('SLW_SERVICE_UNSUPPORTED', `service '${service.name}' is a custom service: Slipway knows nothing of its data, so it makes no backups of it and restores none; back up its volume yourself (slipway service show ${service.name} names it)`);
  return kind;
}

/** Why a backup is made: what made it (recorded on its row) and, in words, into its audit entry (e.g. an upgrade's id). */
export interface BackupOrigin {
  trigger: BackupTrigger;
  reason?: string | undefined;
}

/** Dumps the attachment's data into a new backup file and records it (by hand unless `origin` says otherwise). */
export async function createBackup(ctx: BackupContext, access: EnvironmentAccess, serviceName: string, as: string | null, origin: BackupOrigin = { trigger: 'manual' }): Promise<BackupInfo> {
  const service = await findService(ctx.db, access, serviceName);
  backupKind(service);
  return backupAttachment(ctx, access, service, await findAttachment(ctx.db, service, access, as), origin);
}

/** Backs up one attachment (of `access`'s environment) of a service; `origin` says what made it. */
export async function backupAttachment(ctx: BackupContext, access: EnvironmentAccess, service: ServicesTable, attachment: ServiceAttachmentsTable, origin: BackupOrigin = { trigger: 'manual' }): Promise<BackupInfo> {
  const reason = origin.reason;
  const kind = backupKind(service);
  const as = attachment.prefix === '' ? null : attachment.prefix;
  const id = newId('sbk');
  const dir = backupDir(ctx.dataDir, attachment.id);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = `${id}.dump`;
  const path = join(dir, file);
  const admin = await adminOf(ctx, service);
  const release = await runningRelease(ctx.db, access.environment.id);
  const { size, sha256 } = await writeBackupFile(ctx.keyring, path, { kind, workspace: access.workspace.id, attachment: attachment.id, backup: id }, (out) => ctx.backups[kind].backup(admin, attachment.resource, out));
  const row: ServiceBackupsTable = { id, workspace_id: access.workspace.id, attachment_id: attachment.id, service_id: service.id, environment_id: access.environment.id, kind, size, sha256, release_number: release, created_at: nowIso(), created_by: access.principal.userId, file, project_name: access.project.name, environment_name: access.environment.name, prefix: attachment.prefix, resource: attachment.resource, trigger: origin.trigger };
  try {
    await ctx.db.transaction().execute(async (tx) => {
      await tx.insertInto('service_backups').values(row).execute();
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.backup', targetType: 'service', target: service.name, details: { project: access.project.name, environment: access.environment.name, as, backup: id, size, sha256, release, trigger: origin.trigger, ...(reason ? { reason } : {}) } });
    });
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  // Retention after the new backup is stored (it is the newest, so it stays). A failure here
  // leaves the old ones for the next backup to remove; the backup itself succeeded.
  if (ctx.keepBackups) await pruneBackups(ctx.db, ctx.dataDir, attachment.id, ctx.keepBackups).catch(() => undefined);
  // One announcement for the new backup and the old ones retention removed with it.
  announceService(access.workspace.id, service.name, 'backed-up', { project: access.project.name, environment: access.environment.name });
  const email = access.principal.userId === null ? null : ((await ctx.db.selectFrom('users').select('email').where('id', '=', access.principal.userId).executeTakeFirst())?.email ?? null);
  return toInfo(service, access, attachment, row, email);
}

/** The attachment's backups, newest first. */
export async function listBackups(db: Executor, access: EnvironmentAccess, serviceName: string, as: string | null): Promise<BackupInfo[]> {
  const service = await findService(db, access, serviceName);
  const attachment = await findAttachment(db, service, access, as);
  const rows = await db.selectFrom('service_backups as b').leftJoin('users as u', 'u.id', 'b.created_by').selectAll('b').select('u.email').where('b.attachment_id', '=', attachment.id).orderBy('b.created_at', 'desc').orderBy('b.id', 'desc').execute();
  return rows.map((r) => toInfo(service, access, attachment, r, r.email ?? null));
}

/**
 * Replaces the attachment's data by a backup of it — or, with `fromDetached`, by a backup of the
 * same service whose attachment is gone ({@link restoreSource}). The file is checked against the
 * attachment it was made of, intact and signed by this instance; otherwise SLW_BACKUP_INVALID and
 * nothing changes.
 */
export async function restoreBackup(ctx: BackupContext, access: EnvironmentAccess, serviceName: string, as: string | null, backupId: string, options: { fromDetached?: boolean } = {}): Promise<RestoreInfo> {
  const started = Date.now();
  const service = await findService(ctx.db, access, serviceName);
  const kind = backupKind(service);
  const attachment = await findAttachment(ctx.db, service, access, as);
  if (attachment.state !== 'attached') throw new SlipwayError('SLW_NOT_FOUND', `service '${serviceName}' is being detached from ${where(access, as)}; nothing to restore into`);
  const row = await ctx.db.selectFrom('service_backups as b').leftJoin('users as u', 'u.id', 'b.created_by').selectAll('b').select('u.email').where('b.id', '=', backupId).where('b.workspace_id', '=', access.workspace.id).executeTakeFirst();
  if (!row) throw notFound('backup', backupId, `workspace '${access.workspace.name}'`);
  const source = await restoreSource(ctx.db, service, attachment, row, options.fromDetached === true, `service '${serviceName}' in ${where(access, as)}`);
  const path = join(backupDir(ctx.dataDir, row.attachment_id), row.file);
  // Checked against the attachment it was made of (its own, or the one that is gone).
  await verifyBackupFile(ctx.keyring, path, { kind, workspace: access.workspace.id, attachment: row.attachment_id, backup: row.id }, { size: Number(row.size), sha256: row.sha256 });
  const admin = await adminOf(ctx, service);
  await ctx.backups[kind].restore(admin, attachment.resource, backupBody(path), source?.from);
  const durationMs = Date.now() - started;
  const from = source ? { from: { ...source.origin } } : {};
  await recordAudit(ctx.db, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.restore', targetType: 'service', target: serviceName, details: { project: access.project.name, environment: access.environment.name, as, backup: row.id, size: Number(row.size), sha256: row.sha256, release: row.release_number, ...from } });
  announceService(access.workspace.id, serviceName, 'restored', { project: access.project.name, environment: access.environment.name });
  return { backup: toInfo(service, access, attachment, row, row.email ?? null), from: source?.origin ?? null, durationMs };
}

/**
 * Restores a backup of one attachment into another attachment of the same service (a staged
 * site's clone gets a copy of the site's data): the backup file is checked against the attachment
 * it was made of, then loaded into `to`'s attachment. Both must be of the workspace of `to`.
 */
export async function restoreBackupInto(ctx: BackupContext, backupId: string, to: EnvironmentAccess, serviceName: string, as: string | null): Promise<void> {
  const service = await findService(ctx.db, to, serviceName);
  const kind = backupKind(service);
  const target = await findAttachment(ctx.db, service, to, as);
  const row = await ctx.db.selectFrom('service_backups').selectAll().where('id', '=', backupId).where('workspace_id', '=', to.workspace.id).executeTakeFirst();
  if (!row) throw notFound('backup', backupId, `workspace '${to.workspace.name}'`);
  if (row.service_id !== service.id) throw new SlipwayError('SLW_BACKUP_INVALID', `backup ${backupId} is of another service than '${serviceName}'; nothing was changed`);
  const path = join(backupDir(ctx.dataDir, row.attachment_id), row.file);
  await verifyBackupFile(ctx.keyring, path, { kind, workspace: to.workspace.id, attachment: row.attachment_id, backup: row.id }, { size: Number(row.size), sha256: row.sha256 });
  const user = await ctx.db.selectFrom('service_credentials').select('username').where('attachment_id', '=', target.id).where('generation', '=', target.generation).executeTakeFirst();
  // Loaded into the clone's own resource: keys, vhost items and definers moved from the site's.
  const from = row.resource !== null && row.resource !== target.resource && user ? { resource: row.resource, definer: user.username } : undefined;
  await ctx.backups[kind].restore(await adminOf(ctx, service), target.resource, backupBody(path), from);
  await recordAudit(ctx.db, actorOf(to.principal), { workspaceId: to.workspace.id, action: 'service.restore', targetType: 'service', target: serviceName, details: { project: to.project.name, environment: to.environment.name, as, backup: row.id, copiedFrom: row.environment_id } });
  announceService(to.workspace.id, serviceName, 'restored', { project: to.project.name, environment: to.environment.name });
}
