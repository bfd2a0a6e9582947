/**
 * Services of a workspace: create (adopt a server with admin credentials), list, show, remove.
 * The admin credentials are sealed like a secret and never returned; the control plane uses
 * them only to create and drop what attachments need (src/services/attachments.ts).
 *
 * @module
 */
import { SlipwayError, notFound } from '../core/errors.js';
import { isServiceKind, parseAdminUrl, parseEndpoint, serviceKinds, type AdminConnection, type ServiceKind } from '../core/services.js';
import { assertName } from '../core/names.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { Keyring } from '../secrets/secrets.js';
import type { Db, Executor, ServicesTable } from '../store/schema.js';
import { isUniqueViolation } from '../store/errors.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';
import type { ServiceDrivers } from './driver.js';
import type { ServiceHostPolicy } from './host-policy.js';

/** What the services context needs from the server. */
export interface ServiceContext {
  db: Db;
  keyring: Keyring;
  drivers: ServiceDrivers;
  hosts: ServiceHostPolicy;
}

/** A service as the API shows it (never its credentials). */
export interface ServiceInfo {
  name: string;
  kind: ServiceKind;
  mode: 'adopted';
  address: string;
  workloadAddress: string;
  serverVersion: string | null;
  createdAt: string;
  attachments: number;
}

export interface CreateServiceInput {
  name: string;
  kind: string;
  /** The admin URL of the server to adopt. */
  adopt: string;
  /** RabbitMQ: the management API (default http://HOST:15672). */
  managementUrl?: string | undefined;
  /** HOST[:PORT] workloads use to reach the server (default: the admin URL's). */
  workloadAddress?: string | undefined;
}

const sealId = (workspaceId: string, serviceId: string) => ({ workspaceId, projectId: 'service', scope: serviceId, name: 'admin', version: 1 });

const address = (host: string, port: number) => `${host}:${port}`;

function toInfo(row: ServicesTable, attachments: number): ServiceInfo {
  return { name: row.name, kind: row.kind as ServiceKind, mode: 'adopted', address: address(row.host, row.port), workloadAddress: address(row.workload_host, row.workload_port), serverVersion: row.server_version, createdAt: row.created_at, attachments };
}

/** The admin connection of a stored service, aimed at its checked address (never log it). */
export async function adminOf(ctx: ServiceContext, row: ServicesTable): Promise<AdminConnection> {
  const admin = JSON.parse(ctx.keyring.open(sealId(row.workspace_id, row.id), row.admin_envelope)) as AdminConnection;
  return { ...admin, host: await ctx.hosts.resolve(admin.host) };
}

export async function createService(ctx: ServiceContext, access: WorkspaceAccess, input: CreateServiceInput): Promise<ServiceInfo> {
  assertName('service', input.name);
  if (!isServiceKind(input.kind)) throw new SlipwayError('SLW_SERVICE_KIND_UNKNOWN', `unknown service kind '${input.kind}': use one of ${serviceKinds.join(', ')} (provisioned services and custom images are not there yet)`);
  const admin = parseAdminUrl(input.kind, input.adopt, input.managementUrl);
  const workload = input.workloadAddress === undefined ? { host: admin.host, port: admin.port } : parseEndpoint(input.workloadAddress, admin.port, '--workload-address');
  const existing = await ctx.db.selectFrom('services').select('id').where('workspace_id', '=', access.workspace.id).where('name', '=', input.name).executeTakeFirst();
  if (existing) throw new SlipwayError('SLW_ALREADY_EXISTS', `service '${input.name}' already exists in workspace '${access.workspace.name}'`);
  // Checked and probed before anything is stored: a wrong URL or password stores nothing.
  const checked = { ...admin, host: await ctx.hosts.resolve(admin.host) };
  const { version } = await ctx.drivers[input.kind].probe(checked);
  const id = newId('svc');
  const row: ServicesTable = {
    id,
    workspace_id: access.workspace.id,
    name: input.name,
    kind: input.kind,
    mode: 'adopted',
    host: admin.host,
    port: admin.port,
    workload_host: workload.host,
    workload_port: workload.port,
    admin_envelope: ctx.keyring.seal(sealId(access.workspace.id, id), JSON.stringify(admin)),
    server_version: version,
    created_at: nowIso(),
    created_by: access.principal.userId,
  };
  try {
    await ctx.db.transaction().execute(async (tx) => {
      await tx.insertInto('services').values(row).execute();
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.create', targetType: 'service', target: input.name, details: { kind: input.kind, mode: 'adopted', address: address(admin.host, admin.port), workloadAddress: address(workload.host, workload.port) } });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new SlipwayError('SLW_ALREADY_EXISTS', `service '${input.name}' already exists in workspace '${access.workspace.name}'`);
    throw error;
  }
  return toInfo(row, 0);
}

export async function findService(db: Executor, access: WorkspaceAccess, name: string): Promise<ServicesTable> {
  const row = await db.selectFrom('services').selectAll().where('workspace_id', '=', access.workspace.id).where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound('service', name, `workspace '${access.workspace.name}'`);
  return row;
}

export async function listServices(db: Executor, access: WorkspaceAccess): Promise<ServiceInfo[]> {
  const rows = await db
    .selectFrom('services as s')
    .leftJoin('service_attachments as a', 'a.service_id', 's.id')
    .selectAll('s')
    .select((eb) => eb.fn.count<number>('a.id').as('attachments'))
    .where('s.workspace_id', '=', access.workspace.id)
    .groupBy('s.id')
    .orderBy('s.name')
    .execute();
  return rows.map((r) => toInfo(r, Number(r.attachments)));
}

export async function describeService(db: Executor, access: WorkspaceAccess, name: string): Promise<ServiceInfo> {
  const row = await findService(db, access, name);
  const n = await db.selectFrom('service_attachments').select((eb) => eb.fn.count<number>('id').as('n')).where('service_id', '=', row.id).executeTakeFirstOrThrow();
  return toInfo(row, Number(n.n));
}

/** Removes a service that has no attachments (its server is left as it is). */
export async function removeService(db: Db, access: WorkspaceAccess, name: string): Promise<{ name: string }> {
  return db.transaction().execute(async (tx) => {
    const row = await findService(tx, access, name);
    const attached = await tx.selectFrom('service_attachments as a').leftJoin('projects as p', 'p.id', 'a.project_id').leftJoin('environments as e', 'e.id', 'a.environment_id').select(['p.name as project', 'e.name as environment', 'a.state']).where('a.service_id', '=', row.id).execute();
    if (attached.length > 0) {
      const where = attached.slice(0, 5).map((a) => `${a.project ?? '(deleted)'}/${a.environment ?? '(deleted)'}${a.state === 'detaching' ? ' (detaching)' : ''}`).join(', ');
      throw new SlipwayError('SLW_SERVICE_ATTACHED', `service '${name}' still has ${attached.length} attachment(s) (${where}); detach them first (slipway service detach ${name} -p PROJECT -e ENV), and wait until detaching ones are gone (slipway service show ${name})`);
    }
    await tx.deleteFrom('services').where('id', '=', row.id).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.remove', targetType: 'service', target: name, details: { kind: row.kind } });
    return { name };
  });
}
