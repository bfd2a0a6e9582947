/**
 * The workload spec of an environment's release: the image by digest, the release's config
 * snapshot and secret versions (decrypted here, only to be handed to the target), the
 * environment's settings, and the labels a restarted server finds it by.
 *
 * @module
 */
import { cpuMillis, releaseLabels, workloadName, type EnvironmentSettings } from '../core/deploy.js';
import { dockerVolumeName, parseStoredVolumes, volumeLabels, type EnvironmentVolume } from '../core/volumes.js';
import { siteVariables } from '../apps/site-variables.js';
import { resolveEnvironmentConfig } from '../config/config.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { attachmentVariables } from '../services/credentials.js';
import { attachmentNetworks } from '../services/networks.js';
import { currentSecretVersions, revealSecrets, type Keyring, type SecretVersions } from '../secrets/secrets.js';
import type { Executor, ReleasesTable } from '../store/schema.js';
import type { HealthCheck, RegistryAuth, VolumeMount, WorkloadSpec } from './target.js';

/** The label that says which Slipway instance made a workload (several may share one Docker engine). */
export const INSTANCE_LABEL = 'io.slipway.instance';

/** How targets reach Slipway's registry. */
export interface RegistryAccess {
  /** `host:port` as the target reaches it. */
  host: string;
  /** Short-lived pull credentials for one repository. */
  auth(repository: string): RegistryAuth;
}

/** The edge route of an environment. */
export const routeId = (environmentId: string) => `env-${environmentId}`;

/** Names of an environment's release, for labels and the workload name. */
export function releaseIds(access: EnvironmentAccess, release: number) {
  return { workspace: access.workspace.name, project: access.project.name, environment: access.environment.name, environmentId: access.environment.id, release };
}

export function healthOf(settings: EnvironmentSettings): HealthCheck {
  return settings.healthType === 'http' ? { type: 'http', path: settings.healthPath } : { type: settings.healthType };
}

/**
 * The variables a workload or job of the environment gets: `PORT`, the config (at `configVersion`,
 * or as it is now), the secrets (these versions, or the current ones), a site's own variables
 * (`SLIPWAY_SITE`, its labels: as they are now), then the attached services' connection
 * variables; each later group wins over an earlier key of the same name. Holds decrypted
 * secrets: hand it to a target only, never log or store it.
 */
export async function environmentVariables(db: Executor, keyring: Keyring, access: EnvironmentAccess, at: { configVersion?: number; secretVersions?: SecretVersions }, port: number): Promise<Record<string, string>> {
  return (await environmentParts(db, keyring, access, at, port)).env;
}

/** {@link environmentVariables}, and the values among them that are secret (secrets, service connection variables), for redaction. */
export async function environmentParts(db: Executor, keyring: Keyring, access: EnvironmentAccess, at: { configVersion?: number; secretVersions?: SecretVersions }, port: number): Promise<{ env: Record<string, string>; secret: string[] }> {
  const config = await resolveEnvironmentConfig(db, access, at.configVersion);
  const secrets = await revealSecrets(db, keyring, access.workspace.id, access.project.id, at.secretVersions ?? (await currentSecretVersions(db, access)));
  const services = await attachmentVariables(db, keyring, access.environment.id);
  const env: Record<string, string> = { PORT: String(port) };
  for (const entry of config.entries) env[entry.key] = entry.value;
  Object.assign(env, secrets);
  if (access.environment.kind === 'site' || access.environment.kind === 'clone') Object.assign(env, await siteVariables(db, access.environment.id));
  Object.assign(env, services);
  return { env, secret: [...Object.values(secrets), ...Object.values(services)] };
}

/** The release's volumes as mounts: Docker volume `slw-<environment id>-<name>`, created with Slipway's labels when missing. */
export function volumeMounts(access: EnvironmentAccess, release: Pick<ReleasesTable, 'volumes'>, instance: string): VolumeMount[] {
  return environmentMounts(access, parseStoredVolumes(release.volumes), instance);
}

/** Volumes of the environment as mounts (a release's replicas, a pipeline job, read-only where it says so): the same Docker volume for the same name. */
export function environmentMounts(access: EnvironmentAccess, volumes: Array<EnvironmentVolume & { readOnly?: boolean }>, instance: string): VolumeMount[] {
  const ids = { workspace: access.workspace.name, project: access.project.name, environment: access.environment.name, environmentId: access.environment.id };
  return volumes.map((v) => ({ volume: dockerVolumeName(access.environment.id, v.name, v.generation), path: v.path, ...(v.readOnly ? { readOnly: true } : {}), labels: { ...volumeLabels(ids, v.name), [INSTANCE_LABEL]: instance } }));
}

/** The spec of `release` with `replicas` replicas. Holds decrypted secrets: never log or store it. */
export async function workloadSpec(db: Executor, keyring: Keyring, registry: RegistryAccess, instance: string, access: EnvironmentAccess, release: ReleasesTable, settings: EnvironmentSettings, replicas: number): Promise<WorkloadSpec> {
  const repository = `${access.workspace.name}/${access.project.name}`;
  const env = await environmentVariables(db, keyring, access, { configVersion: release.config_version, secretVersions: JSON.parse(release.secret_versions) as SecretVersions }, settings.port);
  const ids = releaseIds(access, release.number);
  return {
    name: workloadName(ids),
    image: `${registry.host}/${repository}@${release.image_digest}`,
    registryAuth: registry.auth(repository),
    env,
    command: null,
    resources: { cpuMillis: cpuMillis(settings.nanoCpus), memoryBytes: settings.memoryBytes },
    // The volumes this release was made with (a rollback's are those of the release it returns to), by their derived Docker names.
    volumes: volumeMounts(access, release, instance),
    // Provisioned services it is attached to: their private networks (reached by the replica's name).
    networks: await attachmentNetworks(db, access.environment.id),
    labels: { ...releaseLabels(ids), [INSTANCE_LABEL]: instance },
    replicas,
    port: settings.port,
    health: healthOf(settings),
  };
}
