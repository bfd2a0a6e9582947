/**
 * The target spec of one job of a run: the image (`$build`: the run's digest in the project's
 * repository), the environment's variables (for a release step: those of the release being
 * rolled out, so its jobs see exactly what the new replicas will; otherwise the environment's
 * config and secrets as they are now) with the job's own `env` over them, its command (replacing
 * the image's entrypoint), resources, timeout and the environment's volumes it names (mounted as
 * the replicas mount them: the same Docker volume at the same path).
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { buildImage, type ManifestJob } from '../core/manifest.js';
import { jobWorkloadName } from '../core/pipelines.js';
import { jobVolumes, parseStoredVolumes } from '../core/volumes.js';
import { storedSettings } from '../deploy/settings.js';
import { INSTANCE_LABEL, environmentMounts, environmentParts, type RegistryAccess } from '../deploy/spec.js';
import type { JobSpec, RegistryAuth, VolumeMount } from '../deploy/target.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { Keyring, SecretVersions } from '../secrets/secrets.js';
import { attachmentNetworks } from '../services/networks.js';
import type { Executor, PipelineRunsTable } from '../store/schema.js';

/** The label that names the run a job container belongs to. */
export const RUN_LABEL = 'io.slipway.pipeline-run';

/** The image reference a job runs, and how the target pulls it. Refuses another workspace's repository of this registry. */
export function jobImage(access: EnvironmentAccess, registry: RegistryAccess, job: ManifestJob, digest: string): { image: string; auth: RegistryAuth | null } {
  const own = `${access.workspace.name}/${access.project.name}`;
  if (job.image === buildImage) return { image: `${registry.host}/${own}@${digest}`, auth: registry.auth(own) };
  if (job.image.startsWith(`${registry.host}/`)) {
    const path = job.image.slice(registry.host.length + 1).split('@')[0]!.replace(/:[^/]*$/, '');
    if (!path.startsWith(`${access.workspace.name}/`)) {
      throw new SlipwayError('SLW_FORBIDDEN', `job '${job.name}' names image ${job.image}, which is not in workspace '${access.workspace.name}'; use an image of this workspace's repositories`);
    }
    return { image: job.image, auth: registry.auth(path) };
  }
  return { image: job.image, auth: null };
}

/**
 * Replaces every secret value (a secret, a service connection variable; 4 characters or more)
 * in a line of job output, so that a job printing its environment stores no secret in the run's
 * log.
 */
export function redactLine(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const s of secrets) if (s.length >= 4 && out.includes(s)) out = out.split(s).join('[redacted]');
  return out;
}

/** The variables of the run's environment (as its jobs get them), and which values are secret. */
async function runEnvironment(db: Executor, keyring: Keyring, access: EnvironmentAccess, run: PipelineRunsTable, port: number) {
  // A release step sees the variables of the release it rolls out; a run, the environment's as they are now.
  const release = run.deployment_id
    ? await db.selectFrom('deployments as d').innerJoin('releases as r', 'r.id', 'd.release_id').select(['r.config_version', 'r.secret_versions']).where('d.id', '=', run.deployment_id).executeTakeFirst()
    : undefined;
  const at = release ? { configVersion: release.config_version, secretVersions: JSON.parse(release.secret_versions) as SecretVersions } : {};
  return environmentParts(db, keyring, access, at, port);
}

/** The secret values a run's jobs see (longest first, so a value containing another is replaced whole). */
export async function runSecrets(db: Executor, keyring: Keyring, access: EnvironmentAccess, run: PipelineRunsTable, port: number): Promise<string[]> {
  return [...new Set((await runEnvironment(db, keyring, access, run, port)).secret)].sort((a, b) => b.length - a.length);
}

/** The environment as a volume refusal names it: `shop/qa`, and the CLI flags that select it. */
export function volumeErrorContext(access: EnvironmentAccess): { where: string; flags: string } {
  return { where: `${access.project.name}/${access.environment.name}`, flags: `-w ${access.workspace.name} -p ${access.project.name} -e ${access.environment.name}` };
}

/**
 * The volumes a job mounts, resolved when it starts. A release step's jobs mount those recorded
 * with the release it rolls out — what its new replicas will mount, as its variables are the
 * release's (a volume declared after the deploy began is not there until the next deploy); any
 * other run's, those the environment's settings declare now. A name not declared there fails the
 * job before it starts (SLW_INVALID_VOLUME, naming the volumes there are).
 */
export async function jobMounts(db: Executor, access: EnvironmentAccess, run: Pick<PipelineRunsTable, 'deployment_id'>, job: Pick<ManifestJob, 'name' | 'volumes'>, instance: string): Promise<VolumeMount[]> {
  if (!job.volumes || job.volumes.length === 0) return [];
  const at = volumeErrorContext(access);
  const release = run.deployment_id
    ? await db.selectFrom('deployments as d').innerJoin('releases as r', 'r.id', 'd.release_id').select(['r.number', 'r.volumes']).where('d.id', '=', run.deployment_id).executeTakeFirst()
    : undefined;
  const volumes = release
    ? jobVolumes(job, parseStoredVolumes(release.volumes), { ...at, release: release.number })
    : jobVolumes(job, (await storedSettings(db, access.environment.id)).volumes ?? [], at);
  return environmentMounts(access, volumes, instance);
}

export async function jobSpec(
  db: Executor,
  keyring: Keyring,
  registry: RegistryAccess,
  instance: string,
  access: EnvironmentAccess,
  run: PipelineRunsTable,
  index: number,
  job: ManifestJob,
  port: number,
): Promise<JobSpec> {
  const { image, auth } = jobImage(access, registry, job, run.image_digest);
  const env = { ...(await runEnvironment(db, keyring, access, run, port)).env, ...job.env };
  return {
    name: jobWorkloadName(run.id, index),
    image,
    registryAuth: auth,
    env,
    command: null,
    entrypoint: job.command,
    resources: job.resources,
    volumes: await jobMounts(db, access, run, job, instance),
    networks: await attachmentNetworks(db, access.environment.id),
    labels: {
      'io.slipway.managed': 'true',
      'io.slipway.workspace': access.workspace.name,
      'io.slipway.project': access.project.name,
      'io.slipway.environment': access.environment.name,
      [RUN_LABEL]: run.id,
      'io.slipway.pipeline-job': job.name,
      [INSTANCE_LABEL]: instance,
    },
    timeoutSeconds: job.timeoutSeconds,
  };
}
