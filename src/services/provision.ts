/**
 * Provisioned services: Slipway runs the server itself as a workload through the target port on
 * the `local` placement — one replica, the image pinned by digest, a named volume for the data
 * (`slw-svc-<id>`, which removing the workload never deletes), a private network of its own that
 * workloads of attached environments join, a health check and memory/CPU limits. PostgreSQL's
 * admin password is generated here; a custom image's environment is given at create. Both are
 * sealed like secrets.
 *
 * Create waits until the target reports the replica ready, probes it with the kind's driver, and
 * only then stores the service; a failure midway removes what it made (workload, network, and the
 * volume, new and empty). Remove takes the workload and network down and keeps the volume unless
 * asked to drop the data with a confirmation.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { SlipwayError } from '../core/errors.js';
import { parseCustomEnv, parseHealth, parsePort, parseScheme, parseVolumePath, type CustomHealth } from '../core/custom-services.js';
import { cpuMillis, parseCpus, parseMemory } from '../core/deploy.js';
import { assertName } from '../core/names.js';
import { isServiceKind, serviceKinds, type AdminConnection, type ServiceKind } from '../core/services.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { Db, ServiceBackupsTable, ServicesTable } from '../store/schema.js';
import { isUniqueViolation } from '../store/errors.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';
import { backupNeededBy, removeBackupRow } from './backup-retention.js';
import { customInfo, customRow } from './custom-store.js';
import { announceService } from './changes.js';
import { postgresRuntime, serviceSpec, type ServiceRuntime } from './provision-spec.js';
import { defaultTimeouts, probeUntil, teardown, waitReady, type ProvisionTimeouts } from './provision-wait.js';
import { provisionContracts, provisionNames, provisionPlacement, resolveServiceImage, type Provisioning } from './provisioning.js';
import { adminSealId, assertNotAttached, findService, removeService, toInfo, type ServiceContext, type ServiceInfo } from './services.js';

export type { ProvisionTimeouts };

export interface ProvisionInput {
  name: string;
  kind: string;
  image: string;
  /** e.g. `512m` (default). */
  memory?: string | undefined;
  /** e.g. `1` (default) or `0.5`. */
  cpus?: string | undefined;
  /** Custom: the port the image listens on. */
  port?: number | undefined;
  /** Custom: the image's environment (values may be secrets). */
  env?: Record<string, string> | undefined;
  /** Custom: where the data volume is mounted (none by default). */
  volume?: string | undefined;
  /** Custom: `tcp` (default) or `http:/PATH`. */
  health?: string | undefined;
  /** Custom: the scheme of `<PREFIX>_URL`. */
  scheme?: string | undefined;
}

export function provisioningOf(ctx: ServiceContext): Provisioning {
  const p = ctx.provisioning?.() ?? null;
  if (!p) throw new SlipwayError('SLW_PROXY_UNAVAILABLE', 'this server runs no target for provisioned services yet: start it with --proxy-listen HOST:PORT and a Docker engine, or adopt a server with --adopt');
  return p;
}

interface KindRuntime {
  runtime: ServiceRuntime;
  /** The admin connection but its address (PostgreSQL: the generated superuser password). */
  admin: Omit<AdminConnection, 'host' | 'port'>;
  /** Custom: what goes into custom_services. */
  settings: { scheme: string; health: CustomHealth; volumePath: string | null; env: Record<string, string> } | null;
}

/** What the kind runs with: PostgreSQL by its contract and a generated password; a custom image as given. */
function runtimeFor(kind: ServiceKind, input: ProvisionInput): KindRuntime {
  const customOnly = ['port', 'env', 'volume', 'health', 'scheme'] as const;
  if (kind === 'custom') {
    const health = parseHealth(input.health);
    const settings = { scheme: parseScheme(input.scheme, health), health, volumePath: parseVolumePath(input.volume), env: parseCustomEnv(input.env) };
    const runtime: ServiceRuntime = { port: parsePort(input.port), health, dataPath: settings.volumePath, env: settings.env };
    return { runtime, admin: { kind, username: '', password: '', database: null, managementUrl: null }, settings };
  }
  const given = customOnly.filter((k) => input[k] !== undefined);
  if (given.length > 0) throw new SlipwayError('SLW_VALIDATION', `${given.map((k) => `--${k}`).join(', ')} ${given.length === 1 ? 'is' : 'are'} for custom services; a ${kind} image follows its kind's contract (docs/services.md)`);
  const contract = provisionContracts[kind];
  if (!contract) throw new SlipwayError('SLW_VALIDATION', `Slipway provisions postgres and custom services so far; adopt a running ${kind} server with --adopt URL`);
  const password = randomBytes(24).toString('base64url');
  return { runtime: postgresRuntime(contract.adminUser, password), admin: { kind, username: contract.adminUser, password, database: contract.adminDatabase, managementUrl: null }, settings: null };
}

/** Creates a provisioned service: runs it, waits until it is ready, probes it, then stores it. */
export async function provisionService(ctx: ServiceContext, access: WorkspaceAccess, input: ProvisionInput, options: { logger?: Logger; timeouts?: Partial<ProvisionTimeouts> } = {}): Promise<ServiceInfo> {
  assertName('service', input.name);
  if (!isServiceKind(input.kind)) throw new SlipwayError('SLW_SERVICE_KIND_UNKNOWN', `unknown service kind '${input.kind}': use one of ${serviceKinds.join(', ')}`);
  const kind: ServiceKind = input.kind;
  const { runtime, admin: adminBase, settings } = runtimeFor(kind, input);
  const memoryBytes = parseMemory(input.memory ?? '512m');
  const cpu = cpuMillis(parseCpus(input.cpus ?? '1'));
  const timeouts = { ...defaultTimeouts, ...options.timeouts };
  const provisioning = provisioningOf(ctx);
  const target = provisioning.placements.resolve(provisionPlacement).target;
  const existing = await ctx.db.selectFrom('services').select('id').where('workspace_id', '=', access.workspace.id).where('name', '=', input.name).executeTakeFirst();
  if (existing) throw new SlipwayError('SLW_ALREADY_EXISTS', `service '${input.name}' already exists in workspace '${access.workspace.name}'`);
  const image = await resolveServiceImage(ctx.db, access.workspace, provisioning.registry.host, input.image);

  const id = newId('svc');
  const names = provisionNames(id);
  const volume = runtime.dataPath === null ? '' : names.volume;
  const spec = serviceSpec(provisioning, { serviceId: id, serviceName: input.name, workspaceName: access.workspace.name, names, image, runtime, limits: { memoryBytes, cpuMillis: cpu } });
  const notReady = (why: string) => new SlipwayError('SLW_SERVICE_PROVISION_FAILED', `provisioned service '${input.name}' did not come up: ${why}; nothing was kept`);
  const started = Date.now();
  try {
    await target.apply(spec);
    const address = await waitReady(target, names.workload, timeouts.readyMs, notReady);
    const admin: AdminConnection = { ...adminBase, host: names.host, port: runtime.port };
    const { version } = await probeUntil(ctx, { ...admin, ...address }, timeouts.probeMs, notReady);
    const row: ServicesTable = {
      id,
      workspace_id: access.workspace.id,
      name: input.name,
      kind,
      mode: 'provisioned',
      host: address.host,
      port: address.port,
      workload_host: names.host,
      workload_port: runtime.port,
      admin_envelope: ctx.keyring.seal(adminSealId(access.workspace.id, id), JSON.stringify(admin)),
      server_version: version || null,
      created_at: nowIso(),
      created_by: access.principal.userId,
    };
    const custom = settings ? customRow(ctx.keyring, access.workspace.id, id, settings) : null;
    const readyMs = Date.now() - started;
    await ctx.db.transaction().execute(async (tx) => {
      await tx.insertInto('services').values(row).execute();
      await tx.insertInto('provisioned_services').values({ service_id: id, placement: provisionPlacement, image: image.image, image_digest: image.digest, project_id: image.projectId, repository: image.repository, workload: names.workload, volume, network: names.network, memory_bytes: memoryBytes, cpu_millis: cpu }).execute();
      if (custom) await tx.insertInto('custom_services').values(custom).execute();
      // Never the environment's values: only its names.
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.create', targetType: 'service', target: input.name, details: { kind, mode: 'provisioned', image: image.image, placement: provisionPlacement, volume: volume || null, memoryBytes, cpuMillis: cpu, readyMs, ...(custom ? { port: runtime.port, health: custom.health, env: JSON.parse(custom.env_names) as string[] } : {}) } });
    });
    announceService(access.workspace.id, input.name, 'created');
    options.logger?.info({ service: input.name, workload: names.workload, readyMs }, `provisioned ${kind} service ${input.name} ready in ${readyMs} ms`);
    return toInfo(row, 0, { placement: provisionPlacement, image: image.image, imageDigest: image.digest, volume: volume || null, network: names.network, memoryBytes, cpuMillis: cpu, health: 'ready', message: null, upgradedAt: null }, custom ? customInfo(custom) : undefined);
  } catch (error) {
    await teardown(target, { ...names, volume }, true).catch((e: unknown) => options.logger?.warn({ err: e, workload: names.workload }, 'could not remove what a failed provisioning made'));
    if (isUniqueViolation(error)) throw new SlipwayError('SLW_ALREADY_EXISTS', `service '${input.name}' already exists in workspace '${access.workspace.name}'`);
    throw error;
  }
}

export interface RemoveServiceOptions {
  dropData: boolean;
  confirm?: string | undefined;
  /** Also remove the service's backups; without it a service that has backups is refused. */
  dropBackups: boolean;
  /** Where the backups' files are. */
  dataDir: string;
}

/**
 * Removes a service. It must have no attachments, and no backups unless `dropBackups` (they
 * would be out of reach once it is gone). A provisioned one's workload and network go, its data
 * volume stays unless `dropData` with `confirm` (the service name again). Its backups go after
 * the service itself, each with its audit entry.
 */
export async function removeAnyService(ctx: ServiceContext, access: WorkspaceAccess, name: string, options: RemoveServiceOptions): Promise<{ name: string; volumeKept: string | null; backupsRemoved: number }> {
  const row = await findService(ctx.db, access, name);
  if (row.mode !== 'provisioned' && options.dropData) throw new SlipwayError('SLW_VALIDATION', `service '${name}' is adopted: Slipway never deletes an adopted server's data; drop attachments' data with 'slipway service detach --drop-data'`);
  if (options.dropData && options.confirm !== name) throw new SlipwayError('SLW_CONFIRM_REQUIRED', `--drop-data deletes the data volume of service '${name}' for good; to go ahead, repeat the service name: --confirm ${name}`);
  await assertNotAttached(ctx.db, row);
  const backups = await backupsToRemove(ctx.db, row.id, name, options.dropBackups);
  let volumeKept: string | null = null;
  if (row.mode !== 'provisioned') {
    await removeService(ctx.db, access, name);
  } else {
    const upgrading = await ctx.db.selectFrom('service_upgrades').select('id').where('service_id', '=', row.id).where('status', '=', 'running').executeTakeFirst();
    if (upgrading) throw new SlipwayError('SLW_SERVICE_BUSY', `service '${name}' is being upgraded; remove it once the upgrade ended (slipway service show ${name})`);
    const p = await ctx.db.selectFrom('provisioned_services').selectAll().where('service_id', '=', row.id).executeTakeFirstOrThrow();
    const target = provisioningOf(ctx).placements.resolve(p.placement).target;
    await teardown(target, p, options.dropData);
    await removeService(ctx.db, access, name, { volume: p.volume || null, dataDropped: options.dropData, backupsRemoved: backups.length });
    volumeKept = options.dropData || p.volume === '' ? null : p.volume;
  }
  for (const b of backups) await removeBackupRow(ctx.db, options.dataDir, b, actorOf(access.principal), { project: b.project_name, environment: b.environment_name, serviceRemoved: true }, name);
  return { name, volumeKept, backupsRemoved: backups.length };
}

/** The service's backups, when `drop` and nothing still needs one; refused otherwise (nothing changed). */
async function backupsToRemove(db: Db, serviceId: string, name: string, drop: boolean): Promise<ServiceBackupsTable[]> {
  const rows = await db.selectFrom('service_backups').selectAll().where('service_id', '=', serviceId).execute();
  if (rows.length === 0) return rows;
  const size = rows.reduce((n, r) => n + Number(r.size), 0);
  if (!drop) throw new SlipwayError('SLW_SERVICE_HAS_BACKUPS', `service '${name}' still has ${rows.length} backup(s) (${size} bytes), which nothing could reach once it is gone: list them (slipway service backups ${name}), remove them (slipway service backup-rm ${name} --backup ID), or remove them with the service (--drop-backups)`);
  for (const r of rows) {
    const needed = await backupNeededBy(db, r.id);
    if (needed) throw new SlipwayError('SLW_BACKUP_IN_USE', `backup ${r.id} of service '${name}' is kept for ${needed}; remove the service once that has ended`);
  }
  return rows;
}
