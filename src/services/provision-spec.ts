/**
 * The workload spec of a provisioned service, the same at create, at an upgrade (another image,
 * the same volume) and when an interrupted upgrade is put back: one replica, the image pinned by
 * digest, the named volume at the data path, the private network, limits, the health check, and
 * the environment — the kind's contract (PostgreSQL: the admin user and its generated password)
 * or, for a custom service, the variables given at create. The environment holds secrets: it
 * reaches the target only, never a log or a label.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import type { AdminConnection } from '../core/services.js';
import { INSTANCE_LABEL } from '../deploy/spec.js';
import type { HealthCheck, WorkloadSpec } from '../deploy/target.js';
import type { ProvisionedServicesTable, ServicesTable } from '../store/schema.js';
import { customEnv, customHealth } from './custom-store.js';
import { provisionContracts, type Provisioning } from './provisioning.js';
import { adminSealId, type ServiceContext } from './services.js';

/** What a provisioned service's workload runs with besides its image. Holds secrets (env): never log it. */
export interface ServiceRuntime {
  port: number;
  health: HealthCheck;
  /** Where the volume is mounted; null: no volume. */
  dataPath: string | null;
  env: Record<string, string>;
}

/** The label that names the digest a provisioned service's workload runs (to tell, after a restart, which image runs). */
export const SERVICE_DIGEST_LABEL = 'io.slipway.service-digest';

/** PostgreSQL by its image contract: the superuser and its password on first start, the data directory, port 5432. */
export function postgresRuntime(adminUser: string, password: string): ServiceRuntime {
  const contract = provisionContracts.postgres!;
  return { port: contract.port, health: { type: 'tcp' }, dataPath: contract.dataPath, env: { POSTGRES_USER: adminUser, POSTGRES_PASSWORD: password } };
}

export interface SpecInput {
  serviceId: string;
  serviceName: string;
  workspaceName: string;
  names: { workload: string; volume: string; network: string };
  image: { image: string; repository: string; digest: string };
  runtime: ServiceRuntime;
  limits: { memoryBytes: number | null; cpuMillis: number | null };
}

export function serviceSpec(provisioning: Provisioning, s: SpecInput): WorkloadSpec {
  return {
    name: s.names.workload,
    image: s.image.image,
    registryAuth: provisioning.registry.auth(s.image.repository),
    env: s.runtime.env,
    command: null,
    resources: { cpuMillis: s.limits.cpuMillis, memoryBytes: s.limits.memoryBytes },
    volumes: s.runtime.dataPath === null ? [] : [{ volume: s.names.volume, path: s.runtime.dataPath }],
    networks: [s.names.network],
    labels: { 'io.slipway.managed': 'true', 'io.slipway.workspace': s.workspaceName, 'io.slipway.service': s.serviceName, 'io.slipway.service-id': s.serviceId, [SERVICE_DIGEST_LABEL]: s.image.digest, [INSTANCE_LABEL]: provisioning.instance },
    replicas: 1,
    port: s.runtime.port,
    health: s.runtime.health,
  };
}

/** The runtime of a stored provisioned service: opens its sealed admin password or environment (never log it). */
export async function storedRuntime(ctx: ServiceContext, row: ServicesTable): Promise<ServiceRuntime> {
  if (row.kind === 'custom') {
    const c = await ctx.db.selectFrom('custom_services').selectAll().where('service_id', '=', row.id).executeTakeFirstOrThrow();
    return { port: row.workload_port, health: customHealth(c), dataPath: c.volume_path, env: customEnv(ctx.keyring, row.workspace_id, c) };
  }
  if (row.kind !== 'postgres') throw new SlipwayError('SLW_INTERNAL', `no provisioning contract for ${row.kind}`);
  const admin = JSON.parse(ctx.keyring.open(adminSealId(row.workspace_id, row.id), row.admin_envelope)) as AdminConnection;
  return postgresRuntime(admin.username, admin.password);
}

/** The spec of a stored provisioned service running `image` (its own, or an upgrade's). */
export async function storedSpec(ctx: ServiceContext, provisioning: Provisioning, row: ServicesTable, p: ProvisionedServicesTable, workspaceName: string, image: { image: string; repository: string; digest: string }): Promise<WorkloadSpec> {
  return serviceSpec(provisioning, {
    serviceId: row.id,
    serviceName: row.name,
    workspaceName,
    names: { workload: p.workload, volume: p.volume, network: p.network },
    image,
    runtime: await storedRuntime(ctx, row),
    limits: { memoryBytes: p.memory_bytes, cpuMillis: p.cpu_millis },
  });
}
