/**
 * Attachments: one environment's use of a service, with a database / vhost / key prefix and
 * credentials of its own. Attach and rotate create on the server first and store after; a
 * failure midway undoes what was created, so nothing half-made is left behind. Detach and the
 * old generation of a rotation are finished by {@link retire} once no running release uses them.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { SlipwayError, notFound } from '../core/errors.js';
import { customPrefix } from '../core/custom-services.js';
import { assertVariablePrefix, attachmentNames, connectionVariableNames, type ServiceKind } from '../core/services.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { lockEnvironment } from '../store/locks.js';
import { isUniqueViolation } from '../store/errors.js';
import type { Executor, ServiceAttachmentsTable, ServicesTable } from '../store/schema.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';
import type { BackupScheduleInfo } from '../api/backup-schedules.js';
import { schedulesOf } from './backup-schedule-info.js';
import { assertMayChangeWhatRuns } from '../deploy/protected-config.js';
import { announceService } from './changes.js';
import { credentialSealId } from './credentials.js';
import { adminOf, findService, type ServiceContext } from './services.js';

/** An attachment as the API shows it: names of the variables, never their values. */
export interface AttachmentInfo {
  service: string;
  kind: ServiceKind;
  project: string;
  environment: string;
  as: string | null;
  /** The database, vhost or key prefix on the server ('' for a custom service: nothing is made per attachment). */
  resource: string;
  /** The credential generation new releases get (0 for a custom service: it has no per-attachment credentials). */
  generation: number;
  state: 'attached' | 'detaching';
  variables: string[];
  createdAt: string;
  /** Its backup schedule (null: none). */
  schedule: BackupScheduleInfo | null;
}

function toInfo(service: Pick<ServicesTable, 'name' | 'kind'>, a: ServiceAttachmentsTable, project: string, environment: string, schedule: BackupScheduleInfo | null = null): AttachmentInfo {
  const prefix = a.prefix === '' ? null : a.prefix;
  return { service: service.name, kind: service.kind as ServiceKind, project, environment, as: prefix, resource: a.resource, generation: a.generation, state: a.state as AttachmentInfo['state'], variables: connectionVariableNames(service.kind as ServiceKind, prefix), createdAt: a.created_at, schedule };
}

const newPassword = () => randomBytes(24).toString('base64url');
const newSuffix = () => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(10)].map((b) => alphabet[b % alphabet.length]).join('');
};

/** Every attachment of one environment (with the service's name and kind). */
export async function listAttachments(db: Executor, access: EnvironmentAccess): Promise<AttachmentInfo[]> {
  const rows = await db.selectFrom('service_attachments as a').innerJoin('services as s', 's.id', 'a.service_id').selectAll('a').select(['s.name', 's.kind']).where('a.environment_id', '=', access.environment.id).orderBy('s.name').orderBy('a.prefix').execute();
  const schedules = await schedulesOf(db, rows.map((r) => r.id));
  return rows.map((r) => toInfo(r, r, access.project.name, access.environment.name, schedules.get(r.id) ?? null));
}

/** Every attachment of one service, across the workspace's environments. */
export async function listServiceAttachments(db: Executor, access: WorkspaceAccess, name: string): Promise<AttachmentInfo[]> {
  const service = await findService(db, access, name);
  const rows = await db.selectFrom('service_attachments as a').innerJoin('projects as p', 'p.id', 'a.project_id').innerJoin('environments as e', 'e.id', 'a.environment_id').selectAll('a').select(['p.name as project', 'e.name as environment']).where('a.service_id', '=', service.id).orderBy('p.name').orderBy('e.name').execute();
  const schedules = await schedulesOf(db, rows.map((r) => r.id));
  return rows.map((r) => toInfo(service, r, r.project, r.environment, schedules.get(r.id) ?? null));
}

/**
 * The prefix an attachment is stored under: `--as`, else none ('') — but a custom service's
 * variables always have one, its name in capitals by default (`search` → SEARCH_HOST).
 */
export function attachmentPrefix(service: Pick<ServicesTable, 'name' | 'kind'>, as: string | null): string {
  // Checked where an attachment is made (attach); a lookup under a prefix that cannot exist is simply not found.
  if (as !== null) return as;
  if (service.kind !== 'custom') return '';
  const prefix = customPrefix(service.name);
  if (prefix === null) throw new SlipwayError('SLW_VALIDATION', `the name of service '${service.name}' makes no variable prefix (capital letters, digits and _, starting with a letter, at most 32); name one with --as PREFIX`);
  return prefix;
}

/** The attachment of `service` to the environment under `--as` (see {@link attachmentPrefix}), or SLW_NOT_FOUND. */
export async function findAttachment(db: Executor, service: ServicesTable, access: EnvironmentAccess, as: string | null): Promise<ServiceAttachmentsTable> {
  const prefix = attachmentPrefix(service, as);
  const row = await db.selectFrom('service_attachments').selectAll().where('service_id', '=', service.id).where('environment_id', '=', access.environment.id).where('prefix', '=', prefix).executeTakeFirst();
  if (!row) throw notFound('attachment of service', service.name, `${access.project.name}/${access.environment.name}${prefix ? ` (--as ${prefix})` : ''}`);
  return row;
}

/** Refuses an attachment whose variables another attachment of the environment already injects. */
async function assertNoClash(tx: Executor, access: EnvironmentAccess, kind: ServiceKind, prefix: string | null): Promise<void> {
  const mine = new Set(connectionVariableNames(kind, prefix));
  const others = await tx.selectFrom('service_attachments as a').innerJoin('services as s', 's.id', 'a.service_id').select(['s.name', 's.kind', 'a.prefix']).where('a.environment_id', '=', access.environment.id).execute();
  for (const o of others) {
    const clash = connectionVariableNames(o.kind as ServiceKind, o.prefix === '' ? null : o.prefix).find((v) => mine.has(v));
    if (clash) throw new SlipwayError('SLW_VARIABLE_CLASH', `${access.project.name}/${access.environment.name} already gets ${clash} from service '${o.name}'; attach with another prefix (--as NAME, e.g. --as ${kind.toUpperCase()}2)`);
  }
}

/** The project and environment an attachment change is announced with. */
const where = (access: EnvironmentAccess) => ({ project: access.project.name, environment: access.environment.name });

/** Creates the attachment's resource and first user on the server, then stores it (undoing the server side if storing fails). */
export async function attach(ctx: ServiceContext, access: EnvironmentAccess, serviceName: string, as: string | null): Promise<AttachmentInfo> {
  await assertMayChangeWhatRuns(ctx.db, access, 'the services attached to it');
  if (as !== null) assertVariablePrefix(as);
  const service = await findService(ctx.db, access, serviceName);
  const prefix = attachmentPrefix(service, as);
  const kind = service.kind as ServiceKind;
  const existing = await ctx.db.selectFrom('service_attachments').select('id').where('service_id', '=', service.id).where('environment_id', '=', access.environment.id).where('prefix', '=', prefix).executeTakeFirst();
  if (existing) throw new SlipwayError('SLW_ALREADY_ATTACHED', `service '${serviceName}' is already attached to ${access.project.name}/${access.environment.name}${prefix ? ` as ${prefix}` : ''}; ${kind === 'custom' ? '' : "rotate its credentials with 'slipway service rotate', or "}attach again with another --as PREFIX`);
  await assertNoClash(ctx.db, access, kind, prefix === '' ? null : prefix);
  if (kind === 'custom') return attachCustom(ctx, access, service, prefix);
  const names = attachmentNames(newSuffix());
  const user = names.user(1);
  const password = newPassword();
  const driver = ctx.drivers[kind];
  const admin = await adminOf(ctx, service);
  const undo = async () => {
    await driver.revokeUser(admin, names.resource, user).catch(() => undefined);
    await driver.dropResource(admin, names.resource).catch(() => undefined);
  };
  try {
    await driver.createResource(admin, names.resource);
    await driver.grantUser(admin, names.resource, user, password);
  } catch (error) {
    await undo();
    throw error;
  }
  const now = nowIso();
  const row: ServiceAttachmentsTable = { id: newId('att'), workspace_id: access.workspace.id, service_id: service.id, project_id: access.project.id, environment_id: access.environment.id, prefix, resource: names.resource, state: 'attached', drop_data: 0, generation: 1, created_at: now, created_by: access.principal.userId };
  try {
    await ctx.db.transaction().execute(async (tx) => {
      await lockEnvironment(tx, access.environment.id);
      await assertNoClash(tx, access, kind, as);
      await tx.insertInto('service_attachments').values(row).execute();
      await tx.insertInto('service_credentials').values({ id: newId('scr'), attachment_id: row.id, generation: 1, username: user, envelope: ctx.keyring.seal(credentialSealId(access.workspace.id, row.id, 1), password), state: 'active', created_at: now, revoked_at: null }).execute();
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.attach', targetType: 'service', target: serviceName, details: { project: access.project.name, environment: access.environment.name, as, resource: names.resource, generation: 1 } });
    });
  } catch (error) {
    await undo();
    if (isUniqueViolation(error)) throw new SlipwayError('SLW_ALREADY_ATTACHED', `service '${serviceName}' is already attached to ${access.project.name}/${access.environment.name}${as ? ` as ${as}` : ''}`);
    throw error;
  }
  announceService(access.workspace.id, serviceName, 'attached', where(access));
  return toInfo(service, row, access.project.name, access.environment.name);
}

/** A custom service's attachment: nothing made on the server, no credentials; new releases get where it answers. */
async function attachCustom(ctx: ServiceContext, access: EnvironmentAccess, service: ServicesTable, prefix: string): Promise<AttachmentInfo> {
  const row: ServiceAttachmentsTable = { id: newId('att'), workspace_id: access.workspace.id, service_id: service.id, project_id: access.project.id, environment_id: access.environment.id, prefix, resource: '', state: 'attached', drop_data: 0, generation: 0, created_at: nowIso(), created_by: access.principal.userId };
  try {
    await ctx.db.transaction().execute(async (tx) => {
      await lockEnvironment(tx, access.environment.id);
      await assertNoClash(tx, access, 'custom', prefix);
      await tx.insertInto('service_attachments').values(row).execute();
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.attach', targetType: 'service', target: service.name, details: { project: access.project.name, environment: access.environment.name, as: prefix, kind: 'custom' } });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new SlipwayError('SLW_ALREADY_ATTACHED', `service '${service.name}' is already attached to ${access.project.name}/${access.environment.name} as ${prefix}`);
    throw error;
  }
  announceService(access.workspace.id, service.name, 'attached', where(access));
  return toInfo(service, row, access.project.name, access.environment.name);
}

/** New credentials for an attachment; the previous generation retires once no running release uses it. */
export async function rotate(ctx: ServiceContext, access: EnvironmentAccess, serviceName: string, as: string | null): Promise<AttachmentInfo> {
  await assertMayChangeWhatRuns(ctx.db, access, 'the services attached to it');
  const service = await findService(ctx.db, access, serviceName);
  if (service.kind === 'custom') throw new SlipwayError('SLW_SERVICE_UNSUPPORTED', `service '${serviceName}' is a custom service: its attachments have no credentials of their own, so there is nothing to rotate; change the service's own secrets by creating it again (its environment is set at create)`);
  const attachment = await findAttachment(ctx.db, service, access, as);
  if (attachment.state !== 'attached') throw new SlipwayError('SLW_SERVICE_CHANGED', `service '${serviceName}' is being detached from ${access.project.name}/${access.environment.name}; its credentials are revoked once no release uses them`);
  const generation = attachment.generation + 1;
  const user = attachmentNames(attachment.resource.slice(4)).user(generation);
  const password = newPassword();
  const driver = ctx.drivers[service.kind as ServiceKind];
  const admin = await adminOf(ctx, service);
  await driver.grantUser(admin, attachment.resource, user, password);
  try {
    await ctx.db.transaction().execute(async (tx) => {
      await lockEnvironment(tx, access.environment.id);
      const moved = await tx.updateTable('service_attachments').set({ generation }).where('id', '=', attachment.id).where('generation', '=', attachment.generation).where('state', '=', 'attached').executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) throw new SlipwayError('SLW_SERVICE_CHANGED', `the credentials of service '${serviceName}' in ${access.project.name}/${access.environment.name} were changed meanwhile; try again`);
      await tx.updateTable('service_credentials').set({ state: 'retiring' }).where('attachment_id', '=', attachment.id).where('state', '=', 'active').execute();
      await tx.insertInto('service_credentials').values({ id: newId('scr'), attachment_id: attachment.id, generation, username: user, envelope: ctx.keyring.seal(credentialSealId(access.workspace.id, attachment.id, generation), password), state: 'active', created_at: nowIso(), revoked_at: null }).execute();
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.rotate', targetType: 'service', target: serviceName, details: { project: access.project.name, environment: access.environment.name, as, generation } });
    });
  } catch (error) {
    await driver.revokeUser(admin, attachment.resource, user).catch(() => undefined);
    throw error;
  }
  announceService(access.workspace.id, serviceName, 'rotated', where(access));
  return toInfo(service, { ...attachment, generation }, access.project.name, access.environment.name);
}

/**
 * Detaches: new releases no longer get the variables; {@link retire} revokes every credential
 * (and with `dropData` drops the database / vhost / keys) once no running release uses them.
 */
export async function detach(ctx: ServiceContext, access: EnvironmentAccess, serviceName: string, as: string | null, options: { dropData: boolean; confirm?: string | undefined }): Promise<AttachmentInfo> {
  await assertMayChangeWhatRuns(ctx.db, access, 'the services attached to it');
  const service = await findService(ctx.db, access, serviceName);
  if (options.dropData && service.kind === 'custom') throw new SlipwayError('SLW_SERVICE_UNSUPPORTED', `service '${serviceName}' is a custom service: its data is the service's own, shared by every attachment, and detaching keeps it; to delete it, detach everywhere and remove the service with --drop-data --confirm ${serviceName}`);
  if (options.dropData && options.confirm !== serviceName) {
    throw new SlipwayError('SLW_CONFIRM_REQUIRED', `--drop-data deletes the data of service '${serviceName}' for ${access.project.name}/${access.environment.name} for good; to go ahead, repeat the service name: --confirm ${serviceName}`);
  }
  const detached = await ctx.db.transaction().execute(async (tx) => {
    await lockEnvironment(tx, access.environment.id);
    const attachment = await findAttachment(tx, service, access, as);
    const dropData = options.dropData || attachment.drop_data === 1 ? 1 : 0;
    await tx.updateTable('service_attachments').set({ state: 'detaching', drop_data: dropData }).where('id', '=', attachment.id).execute();
    // No more scheduled backups of what is being detached (the row would go with the attachment anyway).
    await tx.deleteFrom('service_backup_schedules').where('attachment_id', '=', attachment.id).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.detach', targetType: 'service', target: serviceName, details: { project: access.project.name, environment: access.environment.name, as, dropData: dropData === 1 } });
    return toInfo(service, { ...attachment, state: 'detaching', drop_data: dropData }, access.project.name, access.environment.name);
  });
  announceService(access.workspace.id, serviceName, 'detaching', where(access));
  return detached;
}
