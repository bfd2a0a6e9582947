/**
 * Reads for deploy requests: which image a version or digest names in the project's repository,
 * which release a rollback goes to, and each environment's status.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { isDigest } from '../core/oci.js';
import { pipelineOrder } from '../core/tiers.js';
import { defaultRollbackTarget, type ReleaseStatus } from '../core/releases.js';
import type { EnvironmentAccess, ProjectAccess } from '../projects/projects.js';
import { repositoryOfProject } from '../registry/repositories.js';
import type { Executor } from '../store/schema.js';
import { activeDeployment, currentRelease, toDeployment, type Deployment } from './deployments.js';
import { getSettings } from './settings.js';
import type { Target } from './target.js';

/** The image `--version` (a tag) or `--digest` names in the project's repository. */
export async function resolveImage(db: Executor, access: EnvironmentAccess, ref: { version?: string | undefined; digest?: string | undefined }): Promise<{ digest: string; version: string | null }> {
  if ((ref.version === undefined) === (ref.digest === undefined)) throw new SlipwayError('SLW_VALIDATION', 'name the image with exactly one of --version or --digest');
  const repo = await repositoryOfProject(db, access.workspace, access.project);
  if (ref.digest !== undefined) {
    if (!isDigest(ref.digest)) throw new SlipwayError('SLW_VALIDATION', `'${ref.digest}' is not a digest (sha256:<64 hex>)`);
    const m = await db.selectFrom('registry_manifests').select('digest').where('repository_id', '=', repo.id).where('digest', '=', ref.digest).executeTakeFirst();
    if (!m) throw new SlipwayError('SLW_IMAGE_NOT_FOUND', `${repo.name} has no image ${ref.digest}; build or import it first (slipway images lists what is there)`);
    const tag = await db.selectFrom('registry_tags').select('tag').where('repository_id', '=', repo.id).where('digest', '=', ref.digest).where('tag', 'not like', 'src-%').executeTakeFirst();
    return { digest: ref.digest, version: tag?.tag ?? null };
  }
  const tag = await db.selectFrom('registry_tags').select('digest').where('repository_id', '=', repo.id).where('tag', '=', ref.version!).executeTakeFirst();
  if (!tag) throw new SlipwayError('SLW_IMAGE_NOT_FOUND', `${repo.name} has no version ${ref.version}; build it with 'slipway build' or see 'slipway images'`);
  return { digest: tag.digest, version: ref.version! };
}

/** The release a rollback restores: number `to`, or the previous successful one. */
export async function rollbackTarget(db: Executor, access: EnvironmentAccess, to: number | undefined) {
  const releases = await db.selectFrom('releases').selectAll().where('environment_id', '=', access.environment.id).orderBy('number', 'desc').execute();
  const facts = releases.map((r) => ({ ...r, status: r.status as ReleaseStatus }));
  const target = to === undefined ? defaultRollbackTarget(facts) : facts.find((r) => r.number === to);
  if (!target) {
    throw new SlipwayError('SLW_NOTHING_DEPLOYED', to === undefined ? `${access.project.name}/${access.environment.name} has no earlier successful release to roll back to` : `${access.project.name}/${access.environment.name} has no release #${to}`);
  }
  if (target.status !== 'succeeded' && target.status !== 'superseded') throw new SlipwayError('SLW_NOTHING_DEPLOYED', `release #${target.number} never ran successfully (${target.status}); pick a release that did (slipway releases)`);
  return target;
}

export interface EnvironmentStatus {
  name: string;
  domain: string;
  /** `trigger`: what made the release (deploy, promotion, …); `actor`: the e-mail of the user who did, or null. */
  release: { number: number; version: string | null; imageDigest: string; configVersion: number; finishedAt: string | null; trigger: string; actor: string | null } | null;
  replicas: { running: number; desired: number };
  health: 'healthy' | 'degraded' | 'down' | 'not-deployed' | 'unknown';
  deploying: Deployment | null;
}

export async function environmentStatus(db: Executor, access: ProjectAccess, target: Target | null): Promise<EnvironmentStatus[]> {
  const environments = (await db.selectFrom('environments').selectAll().where('project_id', '=', access.project.id).execute()).sort((a, b) => pipelineOrder(a.name).localeCompare(pipelineOrder(b.name)));
  const out: EnvironmentStatus[] = [];
  for (const environment of environments) {
    const envAccess = { ...access, environment };
    const settings = await getSettings(db, envAccess);
    const release = await currentRelease(db, environment.id);
    const active = await activeDeployment(db, environment.id);
    const actor = release?.actor_user_id ? ((await db.selectFrom('users').select('email').where('id', '=', release.actor_user_id).executeTakeFirst())?.email ?? null) : null;
    let running = 0;
    let health: EnvironmentStatus['health'] = release ? 'unknown' : 'not-deployed';
    if (release && target) {
      const replicas = await target.list({ 'io.slipway.environment-id': environment.id, 'io.slipway.release': String(release.number) }).catch(() => null);
      if (replicas) {
        running = replicas.filter((r) => r.running).length;
        health = running >= settings.replicas ? 'healthy' : running > 0 ? 'degraded' : 'down';
      }
    }
    out.push({
      name: environment.name,
      domain: settings.domain,
      release: release ? { number: release.number, version: release.version_tag, imageDigest: release.image_digest, configVersion: release.config_version, finishedAt: release.finished_at, trigger: release.trigger, actor } : null,
      replicas: { running, desired: settings.replicas },
      health,
      deploying: active ? toDeployment(environment.name, active) : null,
    });
  }
  return out;
}
