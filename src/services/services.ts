/**
 * Services of a workspace: create (adopt a server with admin credentials; custom ones:
 * src/services/custom.ts), list, show, remove.
 * The admin credentials are sealed like a secret and never returned; the control plane uses
 * them only to create and drop what attachments need (src/services/attachments.ts).
 *
 * @module
 */
import { SlipwayError, notFound } from '../core/errors.js';
import { isDataKind, isServiceKind, parseAdminUrl, parseEndpoint, serviceKinds, type AdminConnection, type ServiceKind } from '../core/services.js';
import { assertName } from '../core/names.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { Keyring } from '../secrets/secrets.js';
import type { SealedKind } from '../secrets/sealed.js';
import type { Db, Executor, ServicesTable } from '../store/schema.js';
import { isUniqueViolation } from '../store/errors.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';
import { announceService } from './changes.js';
import { customInfo, customRows, type CustomInfo } from './custom-store.js';
import type { ServiceDrivers } from './driver.js';
import type { ServiceHostPolicy } from './host-policy.js';
import { observeProvisioned, provisionedAddress, provisionedRows, type Provisioning, type ServiceHealth } from './provisioning.js';
import { lastUpgraded } from './upgrade-store.js';

/** What the services context needs from the server. */
export interface ServiceContext {
  db: Db;
  keyring: Keyring;
  drivers: ServiceDrivers;
  hosts: ServiceHostPolicy;
  /** Where provisioned services run (null until the server's targets are up; absent: none). */
  provisioning?: (() => Provisioning | null) | undefined;
}

/** How Slipway runs a provisioned service, and its health as the target reports it now. */
export interface ProvisionedInfo {
  placement: string;
  image: string;
  imageDigest: string;
  /** The named volume of its data; null for a custom service without one. */
  volume: string | null;
  network: string;
  memoryBytes: number | null;
  cpuMillis: number | null;
  health: ServiceHealth;
  message: string | null;
  /** When its image was last upgraded (null: never). */
  upgradedAt: string | null;
}

/** A service as the API shows it (never its credentials). */
export interface ServiceInfo {
  name: string;
  kind: ServiceKind;
  mode: 'adopted' | 'provisioned';
  address: string;
  workloadAddress: string;
  serverVersion: string | null;
  createdAt: string;
  attachments: number;
  /** Provisioned services only. */
  provisioned?: ProvisionedInfo;
  /** Custom services only. */
  custom?: CustomInfo;
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

export function toInfo(row: ServicesTable, attachments: number, provisioned?: ProvisionedInfo, custom?: CustomInfo): ServiceInfo {
  return { name: row.name, kind: row.kind as ServiceKind, mode: row.mode === 'provisioned' ? 'provisioned' : 'adopted', address: address(row.host, row.port), workloadAddress: address(row.workload_host, row.workload_port), serverVersion: row.server_version, createdAt: row.created_at, attachments, ...(provisioned ? { provisioned } : {}), ...(custom ? { custom } : {}) };
}

/** The sealed-envelope id of a service's admin connection. */
export const adminSealId = sealId;

/** Every service's admin connection (adopted, provisioned and custom alike), for a master-key rotation. */
export const sealedServiceAdmins: SealedKind = {
  name: 'service admin connections',
  columns: ['services.admin_envelope'],
  async reseal(tx, reseal) {
    const rows = await tx.selectFrom('services').select(['id', 'workspace_id', 'name', 'admin_envelope']).execute();
    for (const r of rows) await tx.updateTable('services').set({ admin_envelope: reseal(sealId(r.workspace_id, r.id), r.admin_envelope, `service ${r.name} (${r.id})`) }).where('id', '=', r.id).execute();
    return rows.length;
  },
};

/**
 * An adopted server's admin connection aimed at checked addresses: its host, and RabbitMQ's
 * management URL too (a tenant names both; neither may point the control plane at an internal
 * address unless --allow-service-host allows it). Plain-HTTP management URLs are rewritten to the
 * checked address, so a second DNS answer cannot swap it.
 */
export async function checkedAdmin(ctx: ServiceContext, admin: AdminConnection): Promise<AdminConnection> {
  const host = await ctx.hosts.resolve(admin.host);
  if (admin.managementUrl === null) return { ...admin, host };
  const url = new URL(admin.managementUrl);
  const address = await ctx.hosts.resolve(url.hostname);
  if (url.protocol === 'http:') url.hostname = address.includes(':') ? `[${address}]` : address;
  return { ...admin, host, managementUrl: `${url.protocol}//${url.host}` };
}

/**
 * The admin connection of a stored service (never log it): an adopted one aimed at its checked
 * address; a provisioned one at the address its target reports for its replica now (the local
 * Docker target publishes it on 127.0.0.1 only: the admin connection goes over loopback).
 */
export async function adminOf(ctx: ServiceContext, row: ServicesTable): Promise<AdminConnection> {
  const admin = JSON.parse(ctx.keyring.open(sealId(row.workspace_id, row.id), row.admin_envelope)) as AdminConnection;
  if (row.mode === 'provisioned') return { ...admin, ...(await provisionedAddress(ctx.db, ctx.provisioning?.() ?? null, row.id, row.name)) };
  return checkedAdmin(ctx, admin);
}

/** Adds what the target reports now to provisioned services, and custom services' settings. */
async function withProvisioned(db: Executor, provisioning: ServiceContext['provisioning'], rows: Array<{ row: ServicesTable; attachments: number }>): Promise<ServiceInfo[]> {
  const provisionedIds = rows.filter((r) => r.row.mode === 'provisioned').map((r) => r.row.id);
  const provisioned = await provisionedRows(db, provisionedIds);
  const upgraded = await lastUpgraded(db, provisionedIds);
  const custom = await customRows(db, rows.filter((r) => r.row.kind === 'custom').map((r) => r.row.id));
  return Promise.all(
    rows.map(async ({ row, attachments }) => {
      const c = custom.get(row.id);
      const customPart = c ? customInfo(c) : undefined;
      const p = provisioned.get(row.id);
      if (!p) return toInfo(row, attachments, undefined, customPart);
      const seen = await observeProvisioned(provisioning?.() ?? null, p);
      const info: ProvisionedInfo = { placement: p.placement, image: p.image, imageDigest: p.image_digest, volume: p.volume === '' ? null : p.volume, network: p.network, memoryBytes: p.memory_bytes, cpuMillis: p.cpu_millis, health: seen.health, message: seen.message, upgradedAt: upgraded.get(row.id) ?? null };
      return toInfo(seen.address ? { ...row, host: seen.address.host, port: seen.address.port } : row, attachments, info, customPart);
    }),
  );
}

export async function createService(ctx: ServiceContext, access: WorkspaceAccess, input: CreateServiceInput): Promise<ServiceInfo> {
  assertName('service', input.name);
  if (!isServiceKind(input.kind)) throw new SlipwayError('SLW_SERVICE_KIND_UNKNOWN', `unknown service kind '${input.kind}': use one of ${serviceKinds.join(', ')}`);
  if (!isDataKind(input.kind)) throw new SlipwayError('SLW_INTERNAL', 'custom services are adopted by adoptCustomService');
  const admin = parseAdminUrl(input.kind, input.adopt, input.managementUrl);
  const workload = input.workloadAddress === undefined ? { host: admin.host, port: admin.port } : parseEndpoint(input.workloadAddress, admin.port, '--workload-address');
  const existing = await ctx.db.selectFrom('services').select('id').where('workspace_id', '=', access.workspace.id).where('name', '=', input.name).executeTakeFirst();
  if (existing) throw new SlipwayError('SLW_ALREADY_EXISTS', `service '${input.name}' already exists in workspace '${access.workspace.name}'`);
  // Checked and probed before anything is stored: a wrong URL or password stores nothing.
  const checked = await checkedAdmin(ctx, admin);
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
  announceService(access.workspace.id, input.name, 'created');
  return toInfo(row, 0);
}

export async function findService(db: Executor, access: WorkspaceAccess, name: string): Promise<ServicesTable> {
  const row = await db.selectFrom('services').selectAll().where('workspace_id', '=', access.workspace.id).where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound('service', name, `workspace '${access.workspace.name}'`);
  return row;
}

export async function listServices(db: Executor, access: WorkspaceAccess, provisioning?: ServiceContext['provisioning']): Promise<ServiceInfo[]> {
  const rows = await db
    .selectFrom('services as s')
    .leftJoin('service_attachments as a', 'a.service_id', 's.id')
    .selectAll('s')
    .select((eb) => eb.fn.count<number>('a.id').as('attachments'))
    .where('s.workspace_id', '=', access.workspace.id)
    .groupBy('s.id')
    .orderBy('s.name')
    .execute();
  return withProvisioned(db, provisioning, rows.map(({ attachments, ...row }) => ({ row, attachments: Number(attachments) })));
}

export async function describeService(db: Executor, access: WorkspaceAccess, name: string, provisioning?: ServiceContext['provisioning']): Promise<ServiceInfo> {
  const row = await findService(db, access, name);
  const n = await db.selectFrom('service_attachments').select((eb) => eb.fn.count<number>('id').as('n')).where('service_id', '=', row.id).executeTakeFirstOrThrow();
  const [info] = await withProvisioned(db, provisioning, [{ row, attachments: Number(n.n) }]);
  return info!;
}

/** Refuses to remove a service that still has attachments. */
export async function assertNotAttached(db: Executor, row: ServicesTable): Promise<void> {
  const attached = await db.selectFrom('service_attachments as a').leftJoin('projects as p', 'p.id', 'a.project_id').leftJoin('environments as e', 'e.id', 'a.environment_id').select(['p.name as project', 'e.name as environment', 'a.state']).where('a.service_id', '=', row.id).execute();
  if (attached.length > 0) {
    const where = attached.slice(0, 5).map((a) => `${a.project ?? '(deleted)'}/${a.environment ?? '(deleted)'}${a.state === 'detaching' ? ' (detaching)' : ''}`).join(', ');
    throw new SlipwayError('SLW_SERVICE_ATTACHED', `service '${row.name}' still has ${attached.length} attachment(s) (${where}); detach them first (slipway service detach ${row.name} -p PROJECT -e ENV), and wait until detaching ones are gone (slipway service show ${row.name})`);
  }
}

/** Removes a service that has no attachments (an adopted server is left as it is; a provisioned one is taken down first: src/services/provision.ts). */
export async function removeService(db: Db, access: WorkspaceAccess, name: string, details: Record<string, unknown> = {}): Promise<{ name: string }> {
  const removed = await db.transaction().execute(async (tx) => {
    const row = await findService(tx, access, name);
    await assertNotAttached(tx, row);
    await tx.deleteFrom('provisioned_services').where('service_id', '=', row.id).execute();
    await tx.deleteFrom('custom_services').where('service_id', '=', row.id).execute();
    await tx.deleteFrom('service_upgrades').where('service_id', '=', row.id).execute();
    await tx.deleteFrom('services').where('id', '=', row.id).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.remove', targetType: 'service', target: name, details: { kind: row.kind, mode: row.mode, ...details } });
    return { name };
  });
  announceService(access.workspace.id, name, 'removed');
  return removed;
}
