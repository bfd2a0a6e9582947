/**
 * Provisioned services on a placement: the names Slipway gives what it makes (workload, volume,
 * network), where the control plane and workloads reach the server, its health as the target
 * reports it, and the image (`--image`) resolved to a digest in Slipway's registry.
 *
 * The image contract (PostgreSQL, like the official image): the environment variables
 * `POSTGRES_USER` and `POSTGRES_PASSWORD` set the superuser on first start (empty data
 * directory), the data lives in `/var/lib/postgresql/data` (Slipway mounts the named volume
 * there), the server listens on 5432 on every address of the container and accepts password
 * (SCRAM) logins from the network.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { isDigest } from '../core/oci.js';
import type { Endpoint, ServiceKind } from '../core/services.js';
import type { Placements, RegistryAuth, WorkloadStatus } from '../deploy/target.js';
import type { Executor, ProvisionedServicesTable } from '../store/schema.js';

/** What provisioning needs from the server: where workloads run, how targets pull from its registry, and this instance's id. */
export interface Provisioning {
  placements: Placements;
  registry: { host: string; auth(repository: string): RegistryAuth };
  instance: string;
}

/** The placement provisioned services run on (agents' targets come later). */
export const provisionPlacement = 'local';

/** Per kind: the port, where the data lives, the admin user and its database. Only PostgreSQL today. */
export const provisionContracts: Partial<Record<ServiceKind, { port: number; dataPath: string; adminUser: string; adminDatabase: string | null }>> = {
  postgres: { port: 5432, dataPath: '/var/lib/postgresql/data', adminUser: 'postgres', adminDatabase: 'postgres' },
};

/** `slw-svc-<id>` for the workload, its volume and its network; workloads reach replica 1 by its name on that network. */
export function provisionNames(serviceId: string): { workload: string; volume: string; network: string; host: string } {
  const base = `slw-svc-${serviceId.replace(/^svc_/, '').replace(/_/g, '-')}`;
  return { workload: base, volume: base, network: base, host: `${base}-1` };
}

/** The image a provisioned service runs, resolved in Slipway's registry. */
export interface ResolvedImage {
  projectId: string;
  /** `workspace/project`. */
  repository: string;
  digest: string;
  /** `host/workspace/project@sha256:…` as the target pulls it. */
  image: string;
}

/**
 * Resolves `--image` to a digest in the workspace's part of Slipway's registry: `PROJECT:TAG`,
 * `PROJECT@sha256:…`, optionally with `WORKSPACE/` or `HOST/WORKSPACE/` (this registry) in front.
 * Images from elsewhere are imported first (`slipway import`), so the service is pinned to bytes
 * Slipway keeps.
 */
export async function resolveServiceImage(db: Executor, workspace: { id: string; name: string }, registryHost: string, reference: string): Promise<ResolvedImage> {
  const bad = (why: string) => new SlipwayError('SLW_VALIDATION', `--image ${JSON.stringify(reference)} ${why}; name an image of Slipway's registry as PROJECT:TAG or PROJECT@sha256:… (import one from elsewhere first: slipway import)`);
  const m = /^(?:(?:([^/]+)\/)?([^/]+)\/)?([a-z0-9][a-z0-9-]*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(reference.trim());
  if (!m) throw bad('is not an image reference');
  const [, host, ws, project = '', tag, digest] = m;
  if (host !== undefined && host.toLowerCase() !== registryHost.toLowerCase()) throw bad(`names registry ${host}, not this server's (${registryHost})`);
  if (ws !== undefined && ws !== workspace.name) throw bad(`is in workspace '${ws}', not '${workspace.name}'`);
  if (tag === undefined && digest === undefined) throw bad('has no tag or digest');
  const repo = await db
    .selectFrom('projects as p')
    .innerJoin('registry_repositories as r', 'r.project_id', 'p.id')
    .select(['p.id as projectId', 'r.id as repositoryId', 'r.name'])
    .where('p.workspace_id', '=', workspace.id)
    .where('p.name', '=', project)
    .executeTakeFirst();
  const name = `${workspace.name}/${project}`;
  if (!repo) throw new SlipwayError('SLW_IMAGE_NOT_FOUND', `${name} has no images; push or import the service's image first`);
  let resolved: string;
  if (digest !== undefined) {
    if (!isDigest(digest)) throw bad('has an invalid digest');
    const found = await db.selectFrom('registry_manifests').select('digest').where('repository_id', '=', repo.repositoryId).where('digest', '=', digest).executeTakeFirst();
    if (!found) throw new SlipwayError('SLW_IMAGE_NOT_FOUND', `${name} has no image ${digest}`);
    resolved = digest;
  } else {
    const found = await db.selectFrom('registry_tags').select('digest').where('repository_id', '=', repo.repositoryId).where('tag', '=', tag!).executeTakeFirst();
    if (!found) throw new SlipwayError('SLW_IMAGE_NOT_FOUND', `${name} has no tag ${tag}`);
    resolved = found.digest;
  }
  return { projectId: repo.projectId, repository: repo.name, digest: resolved, image: `${registryHost}/${repo.name}@${resolved}` };
}

export type ServiceHealth = 'ready' | 'starting' | 'failed' | 'stopped' | 'unknown';

/** What the target reports of a provisioned service now. */
export interface ServiceObservation {
  health: ServiceHealth;
  /** Where the control plane reaches it (the replica's address as its target reports it). */
  address: Endpoint | null;
  message: string | null;
}

function parseAddress(address: string): Endpoint | null {
  const i = address.lastIndexOf(':');
  const port = Number(address.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { host: address.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port };
}

export function observation(status: WorkloadStatus | null): ServiceObservation {
  const replica = status?.instances.find((i) => i.index === 1);
  if (!status || !replica) return { health: 'stopped', address: null, message: 'no replica runs' };
  const address = replica.address === null ? null : parseAddress(replica.address);
  if (replica.state === 'running') return { health: replica.ready ? 'ready' : 'starting', address, message: replica.message };
  if (replica.state === 'pending') return { health: 'starting', address: null, message: replica.message };
  return { health: replica.state === 'failed' ? 'failed' : 'stopped', address: null, message: replica.message };
}

/** Observes the service's workload; a target that cannot be asked reports `unknown`. */
export async function observeProvisioned(provisioning: Provisioning | null, row: Pick<ProvisionedServicesTable, 'placement' | 'workload'>): Promise<ServiceObservation> {
  if (!provisioning) return { health: 'unknown', address: null, message: 'the server has no target yet' };
  try {
    return observation(await provisioning.placements.resolve(row.placement).target.observe(row.workload));
  } catch (error) {
    return { health: 'unknown', address: null, message: error instanceof Error ? error.message : String(error) };
  }
}

/** The address the control plane reaches a provisioned service at now; throws SLW_SERVICE_UNREACHABLE while it does not run. */
export async function provisionedAddress(db: Executor, provisioning: Provisioning | null, serviceId: string, name: string): Promise<Endpoint> {
  const row = await db.selectFrom('provisioned_services').selectAll().where('service_id', '=', serviceId).executeTakeFirstOrThrow();
  const seen = await observeProvisioned(provisioning, row);
  if (seen.address === null || seen.health === 'failed' || seen.health === 'stopped') {
    throw new SlipwayError('SLW_SERVICE_UNREACHABLE', `provisioned service '${name}' does not run on target '${row.placement}' (${seen.health}${seen.message ? `: ${seen.message}` : ''}); nothing was changed`);
  }
  return seen.address;
}

/** Provisioned details of these services, by service id. */
export async function provisionedRows(db: Executor, serviceIds: string[]): Promise<Map<string, ProvisionedServicesTable>> {
  if (serviceIds.length === 0) return new Map();
  const rows = await db.selectFrom('provisioned_services').selectAll().where('service_id', 'in', serviceIds).execute();
  return new Map(rows.map((r) => [r.service_id, r]));
}
