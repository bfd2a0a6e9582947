/**
 * Provisioned services: Slipway runs the server itself as a workload through the target port on
 * the `local` placement — one replica, the image pinned by digest, a named volume for the data
 * (`slw-svc-<id>`, which removing the workload never deletes), a private network of its own that
 * workloads of attached environments join, a TCP health check and memory/CPU limits. The admin
 * password is generated here and sealed like an adopted service's admin URL.
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
import { SlipwayError, isSlipwayError } from '../core/errors.js';
import { cpuMillis, parseCpus, parseMemory } from '../core/deploy.js';
import { assertName } from '../core/names.js';
import { isServiceKind, serviceKinds, type AdminConnection, type ServiceKind } from '../core/services.js';
import { recordAudit } from '../audit/audit.js';
import { INSTANCE_LABEL } from '../deploy/spec.js';
import type { Target, WorkloadSpec } from '../deploy/target.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { ServicesTable } from '../store/schema.js';
import { isUniqueViolation } from '../store/errors.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';
import { observation, provisionContracts, provisionNames, provisionPlacement, resolveServiceImage, type Provisioning } from './provisioning.js';
import { adminSealId, assertNotAttached, findService, removeService, toInfo, type ServiceContext, type ServiceInfo } from './services.js';

export interface ProvisionInput {
  name: string;
  kind: string;
  image: string;
  /** e.g. `512m` (default). */
  memory?: string | undefined;
  /** e.g. `1` (default) or `0.5`. */
  cpus?: string | undefined;
}

/** How long create waits for the replica to be ready and the admin probe to succeed. */
export interface ProvisionTimeouts {
  readyMs: number;
  probeMs: number;
}

const defaultTimeouts: ProvisionTimeouts = { readyMs: 180_000, probeMs: 60_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function provisioningOf(ctx: ServiceContext): Provisioning {
  const p = ctx.provisioning?.() ?? null;
  if (!p) throw new SlipwayError('SLW_PROXY_UNAVAILABLE', 'this server runs no target for provisioned services yet: start it with --proxy-listen HOST:PORT and a Docker engine, or adopt a server with --adopt');
  return p;
}

/** Waits until the gone workload's replicas are removed (a volume still mounted cannot be deleted). */
async function waitGone(target: Target, workload: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await target.observe(workload)) !== null) {
    if (Date.now() > end) throw new SlipwayError('SLW_INTERNAL', `workload ${workload} was not removed within ${timeoutMs / 1000}s`);
    await sleep(250);
  }
}

/** Takes down what a provisioned service runs; the data volume only with `dropVolume`. */
async function teardown(target: Target, names: { workload: string; volume: string; network: string }, dropVolume: boolean): Promise<void> {
  await target.remove(names.workload, 10);
  await waitGone(target, names.workload);
  if (dropVolume) await target.removeVolume(names.volume);
  await target.removeNetwork?.(names.network);
}

/** Creates a provisioned service: runs it, waits until it is ready, probes it, then stores it. */
export async function provisionService(ctx: ServiceContext, access: WorkspaceAccess, input: ProvisionInput, options: { logger?: Logger; timeouts?: Partial<ProvisionTimeouts> } = {}): Promise<ServiceInfo> {
  assertName('service', input.name);
  if (!isServiceKind(input.kind)) throw new SlipwayError('SLW_SERVICE_KIND_UNKNOWN', `unknown service kind '${input.kind}': use one of ${serviceKinds.join(', ')}`);
  const kind: ServiceKind = input.kind;
  const contract = provisionContracts[kind];
  if (!contract) throw new SlipwayError('SLW_VALIDATION', `Slipway provisions postgres services only so far; adopt a running ${kind} server with --adopt URL`);
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
  const password = randomBytes(24).toString('base64url');
  const spec: WorkloadSpec = {
    name: names.workload,
    image: image.image,
    registryAuth: provisioning.registry.auth(image.repository),
    // The image contract (provisioning.ts): the superuser and its password on first start.
    env: { POSTGRES_USER: contract.adminUser, POSTGRES_PASSWORD: password },
    command: null,
    resources: { cpuMillis: cpu, memoryBytes },
    volumes: [{ volume: names.volume, path: contract.dataPath }],
    networks: [names.network],
    labels: { 'io.slipway.managed': 'true', 'io.slipway.workspace': access.workspace.name, 'io.slipway.service': input.name, 'io.slipway.service-id': id, [INSTANCE_LABEL]: provisioning.instance },
    replicas: 1,
    port: contract.port,
    health: { type: 'tcp' },
  };
  const started = Date.now();
  const undo = async () => {
    await teardown(target, names, true).catch((error: unknown) => options.logger?.warn({ err: error, workload: names.workload }, 'could not remove what a failed provisioning made'));
  };
  try {
    await target.apply(spec);
    const address = await waitReady(target, names.workload, input.name, timeouts.readyMs);
    const admin: AdminConnection = { kind, host: names.host, port: contract.port, username: contract.adminUser, password, database: contract.adminDatabase, managementUrl: null };
    const { version } = await probeUntil(ctx, { ...admin, ...address }, input.name, timeouts.probeMs);
    const row: ServicesTable = {
      id,
      workspace_id: access.workspace.id,
      name: input.name,
      kind,
      mode: 'provisioned',
      host: address.host,
      port: address.port,
      workload_host: names.host,
      workload_port: contract.port,
      admin_envelope: ctx.keyring.seal(adminSealId(access.workspace.id, id), JSON.stringify(admin)),
      server_version: version,
      created_at: nowIso(),
      created_by: access.principal.userId,
    };
    const readyMs = Date.now() - started;
    await ctx.db.transaction().execute(async (tx) => {
      await tx.insertInto('services').values(row).execute();
      await tx.insertInto('provisioned_services').values({ service_id: id, placement: provisionPlacement, image: image.image, image_digest: image.digest, project_id: image.projectId, repository: image.repository, workload: names.workload, volume: names.volume, network: names.network, memory_bytes: memoryBytes, cpu_millis: cpu }).execute();
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'service.create', targetType: 'service', target: input.name, details: { kind, mode: 'provisioned', image: image.image, placement: provisionPlacement, volume: names.volume, memoryBytes, cpuMillis: cpu, readyMs } });
    });
    options.logger?.info({ service: input.name, workload: names.workload, readyMs }, `provisioned ${kind} service ${input.name} ready in ${readyMs} ms`);
    return toInfo(row, 0, { placement: provisionPlacement, image: image.image, imageDigest: image.digest, volume: names.volume, network: names.network, memoryBytes, cpuMillis: cpu, health: 'ready', message: null });
  } catch (error) {
    await undo();
    if (isUniqueViolation(error)) throw new SlipwayError('SLW_ALREADY_EXISTS', `service '${input.name}' already exists in workspace '${access.workspace.name}'`);
    throw error;
  }
}

/** Waits until the target reports replica 1 ready; its address is where the control plane reaches it. */
async function waitReady(target: Target, workload: string, name: string, timeoutMs: number): Promise<{ host: string; port: number }> {
  const end = Date.now() + timeoutMs;
  let exited = 0;
  let last = 'not started';
  for (;;) {
    const seen = observation(await target.observe(workload));
    if (seen.health === 'ready' && seen.address) return seen.address;
    last = seen.message ?? seen.health;
    if (seen.health === 'failed') throw new SlipwayError('SLW_SERVICE_PROVISION_FAILED', `provisioned service '${name}' cannot run: ${last}; nothing was kept`);
    // Stopped for two seconds on end (a crashing server the restart policy keeps bringing back): it will not come up by itself.
    exited = seen.health === 'stopped' ? exited + 1 : 0;
    if (exited >= 8) throw new SlipwayError('SLW_SERVICE_PROVISION_FAILED', `provisioned service '${name}' keeps stopping (${last}); check that the image follows the contract (docs/services.md); nothing was kept`);
    if (Date.now() > end) throw new SlipwayError('SLW_SERVICE_PROVISION_FAILED', `provisioned service '${name}' was not ready within ${Math.round(timeoutMs / 1000)}s (${last}); nothing was kept`);
    await sleep(250);
  }
}

/** Probes with the kind's driver until it answers (a server that just opened its port may still be starting up). */
async function probeUntil(ctx: ServiceContext, admin: AdminConnection, name: string, timeoutMs: number): Promise<{ version: string }> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await ctx.drivers[admin.kind].probe(admin);
    } catch (error) {
      if (Date.now() > end) {
        const why = isSlipwayError(error) ? `${error.code}: ${error.message}` : String(error);
        throw new SlipwayError('SLW_SERVICE_PROVISION_FAILED', `provisioned service '${name}' runs but its admin probe failed (${why}); nothing was kept`, { cause: error });
      }
      await sleep(500);
    }
  }
}

/**
 * Removes a service. A provisioned one must have no attachments; its workload and network go,
 * its data volume stays unless `dropData` with `confirm` (the service name again).
 */
export async function removeAnyService(ctx: ServiceContext, access: WorkspaceAccess, name: string, options: { dropData: boolean; confirm?: string | undefined }): Promise<{ name: string; volumeKept: string | null }> {
  const row = await findService(ctx.db, access, name);
  if (row.mode !== 'provisioned') {
    if (options.dropData) throw new SlipwayError('SLW_VALIDATION', `service '${name}' is adopted: Slipway never deletes an adopted server's data; drop attachments' data with 'slipway service detach --drop-data'`);
    return { ...(await removeService(ctx.db, access, name)), volumeKept: null };
  }
  if (options.dropData && options.confirm !== name) throw new SlipwayError('SLW_CONFIRM_REQUIRED', `--drop-data deletes the data volume of service '${name}' for good; to go ahead, repeat the service name: --confirm ${name}`);
  await assertNotAttached(ctx.db, row);
  const p = await ctx.db.selectFrom('provisioned_services').selectAll().where('service_id', '=', row.id).executeTakeFirstOrThrow();
  const target = provisioningOf(ctx).placements.resolve(p.placement).target;
  await teardown(target, p, options.dropData);
  await removeService(ctx.db, access, name, { volume: p.volume, dataDropped: options.dropData });
  return { name, volumeKept: options.dropData ? null : p.volume };
}
