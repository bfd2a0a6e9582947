/**
 * A config or secret change on an environment that runs rolls a new release: the same image,
 * the new config version and secret versions, deployed like any other release (no build). With
 * `restart: false` the change is only staged for the next release.
 *
 * @module
 */
import type { ReleaseTrigger } from '../core/releases.js';
import type { Actor } from '../audit/audit.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { Db } from '../store/schema.js';
import { activeDeployment, currentRelease, requestDeploy, type Deployment } from './deployments.js';

export async function restartAfterChange(db: Db, access: EnvironmentAccess, trigger: Extract<ReleaseTrigger, 'config-change' | 'secret-change' | 'service-change' | 'move' | 'volume-restore'>, actor: Actor, enqueue: (environmentId: string) => void): Promise<Deployment | null> {
  const running = await currentRelease(db, access.environment.id);
  if (!running || (await activeDeployment(db, access.environment.id))) return null;
  const project = await db.selectFrom('projects').selectAll().where('id', '=', access.project.id).executeTakeFirstOrThrow();
  const { deployment } = await requestDeploy(db, { ...access, project }, { imageDigest: running.image_digest, version: running.version_tag, trigger, actor });
  enqueue(access.environment.id);
  return deployment;
}
