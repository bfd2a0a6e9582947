/**
 * Which backups a restore into an attachment accepts, and from where it loads them:
 *
 * - the attachment's own backups (as always);
 * - with `fromDetached`, a backup of the same service (same workspace) whose attachment is gone —
 *   detached, or its environment deleted (`detached`), or on its way (`detaching`): an
 *   environment deleted or a service detached by mistake, then attached again, gets its old data
 *   back. The dump is loaded into the new attachment's resource (see
 *   the `from` of the backup driver's restore): Redis keys re-keyed to the new prefix, RabbitMQ
 *   definitions moved to the new vhost, MySQL views and triggers defined by the new user,
 *   PostgreSQL objects owned by the new role.
 *
 * Refused with SLW_BACKUP_INVALID (nothing changed): a backup of another service; a backup of
 * another attachment that is still attached (copying one live environment's data over another's
 * is not what a restore is for: a wrong id would overwrite an environment with, say, production's
 * data, and reading that data needs no right on the environment it comes from); a detached one
 * without `fromDetached` (the message says how); one that does not record its resource.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import type { Executor, ServiceAttachmentsTable, ServiceBackupsTable, ServicesTable } from '../store/schema.js';
import type { RestoreSource } from './backup-driver.js';

/** Where a backup of another attachment was taken, as recorded then. */
export interface DetachedOrigin {
  attachment: string;
  state: 'detaching' | 'detached';
  project: string | null;
  environment: string | null;
  as: string | null;
  resource: string;
}

const place = (b: Pick<ServiceBackupsTable, 'project_name' | 'environment_name' | 'prefix'>) =>
  `${b.project_name ?? '(unknown project)'}/${b.environment_name ?? '(unknown environment)'}${b.prefix ? ` as ${b.prefix}` : ''}`;

/**
 * `null` for the attachment's own backup; the origin and the driver's `from` for a detached
 * backup of the same service that may be restored here; else SLW_BACKUP_INVALID.
 */
export async function restoreSource(db: Executor, service: ServicesTable, target: ServiceAttachmentsTable, row: ServiceBackupsTable, fromDetached: boolean, into: string): Promise<{ origin: DetachedOrigin; from: RestoreSource } | null> {
  if (row.service_id !== service.id) {
    const other = await db.selectFrom('services').select(['name', 'kind']).where('id', '=', row.service_id).executeTakeFirst();
    const of = other ? `service '${other.name}' (${other.kind})` : 'a service that was removed';
    throw new SlipwayError('SLW_BACKUP_INVALID', `backup ${row.id} is of ${of}, not of '${service.name}': a backup is restored only into an attachment of the service it was taken of (list them with slipway service backups ${service.name}); nothing was changed`);
  }
  if (row.attachment_id === target.id) return null;
  const source = await db.selectFrom('service_attachments').select('state').where('id', '=', row.attachment_id).executeTakeFirst();
  if (source?.state === 'attached') {
    throw new SlipwayError('SLW_BACKUP_INVALID', `backup ${row.id} is of another attachment of '${service.name}' that is still attached (${place(row)}), not of ${into}: Slipway restores an attachment's own backups, and backups whose attachment is gone; it does not copy one attached environment's data over another's; nothing was changed`);
  }
  const state = source === undefined ? 'detached' : 'detaching';
  if (!fromDetached) {
    throw new SlipwayError('SLW_BACKUP_INVALID', `backup ${row.id} was taken in ${place(row)}, whose attachment is gone (${state}); to replace the data of ${into} with it, restore with --from-detached (API: "fromDetached": true); nothing was changed`);
  }
  if (row.resource === null) {
    throw new SlipwayError('SLW_BACKUP_INVALID', `backup ${row.id} does not record the database, key prefix or vhost it was taken of (a backup older than that record, whose environment was already gone), so it cannot be moved into ${into}; see docs/services.md for loading it by hand; nothing was changed`);
  }
  const user = await db.selectFrom('service_credentials').select('username').where('attachment_id', '=', target.id).where('generation', '=', target.generation).executeTakeFirst();
  if (!user) throw new SlipwayError('SLW_INTERNAL', `attachment ${target.id} has no credentials of generation ${target.generation}`);
  const origin: DetachedOrigin = { attachment: row.attachment_id, state, project: row.project_name, environment: row.environment_name, as: row.prefix === null || row.prefix === '' ? null : row.prefix, resource: row.resource };
  return { origin, from: { resource: row.resource, definer: user.username } };
}
