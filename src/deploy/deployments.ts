/**
 * Deployments: the operation record behind every rollout (a new release from a deploy,
 * promotion, config change or rollback; or scaling the release that runs). Requesting one
 * records the release and the deployment in one transaction and returns at once; the engine
 * runs it. At most one deployment per environment is queued or running — the store enforces it
 * with a unique partial index, so two concurrent requests can never both win. A request may
 * supersede the active one instead of being refused: a queued one is cancelled at once, a
 * running one is marked `cancelling` and the engine ends it (undone before its traffic switch,
 * completed after it) before it starts the new one.
 *
 * @module
 */
import { SlipwayError, notFound } from '../core/errors.js';
import type { DeploymentStatus } from '../core/deploy.js';
import type { ReleaseTrigger } from '../core/releases.js';
import type { EnvironmentVolume } from '../core/volumes.js';
import type { Actor } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { insertRelease, type Release } from '../releases/releases.js';
import { currentSecretVersions, type SecretVersions } from '../secrets/secrets.js';
import { isUniqueViolation } from '../store/errors.js';
import { lockEnvironment } from '../store/locks.js';
import type { Db, DeploymentsTable, Executor } from '../store/schema.js';
import { announceChange, appendEvent } from './events.js';
import { assertReleaseStepMayRun } from '../pipelines/review.js';

/** Statuses of a deployment the engine still has to end. */
export const unfinished = ['queued', 'running', 'cancelling'] as const;

export interface Deployment {
  id: string;
  environment: string;
  kind: 'release' | 'scale';
  releaseNumber: number;
  status: DeploymentStatus;
  phase: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  /** The deployment that superseded this one, if one did. */
  supersededBy: string | null;
  /** When log retention removed its log lines; null: they are all there. */
  logsPrunedAt: string | null;
}

export function toDeployment(environment: string, d: DeploymentsTable): Deployment {
  return {
    id: d.id,
    environment,
    kind: d.kind === 'scale' ? 'scale' : 'release',
    releaseNumber: d.release_number,
    status: d.status as DeploymentStatus,
    phase: d.phase,
    createdAt: d.created_at,
    startedAt: d.started_at,
    finishedAt: d.finished_at,
    error: d.error,
    supersededBy: d.superseded_by,
    logsPrunedAt: d.logs_pruned_at,
  };
}

export interface DeployRequest {
  imageDigest: string;
  version: string | null;
  trigger: ReleaseTrigger;
  actor: Actor;
  /** Snapshot to deploy; default: the project's current config and the environment's current secrets. */
  configVersion?: number;
  secretVersions?: SecretVersions;
  /** The volumes to mount; default: the environment's settings now (a rollback: the release's it returns to). */
  volumes?: EnvironmentVolume[];
  /** End the active deployment instead of refusing (rollback, `deploy --supersede`). */
  supersede?: boolean;
}

/** What a request did to the deployment that was active, if it superseded one. */
export interface Superseded {
  id: string;
  releaseNumber: number;
  /** `cancelled`: it had not started; `cancelling`: the engine ends it first. */
  status: 'cancelled' | 'cancelling';
}

export interface Requested {
  release: Release;
  deployment: Deployment;
  superseded: Superseded | null;
}

/** The deployment of an environment the engine works on now (queued or running), if any. */
export async function activeDeployment(db: Executor, environmentId: string): Promise<DeploymentsTable | undefined> {
  return db.selectFrom('deployments').selectAll().where('environment_id', '=', environmentId).where('status', 'in', ['queued', 'running']).executeTakeFirst();
}

const busy = (access: EnvironmentAccess, d: { id: string; release_number: number }) =>
  new SlipwayError(
    'SLW_DEPLOY_IN_PROGRESS',
    `${access.project.name}/${access.environment.name} is being deployed (deployment ${d.id}, release #${d.release_number}); follow it with 'slipway logs ${d.id} --follow', wait for it with --wait, or replace it with --supersede`,
  );

/** Within `tx`: ends or marks the active deployment so a new one can start. */
async function supersedeActive(tx: Executor, active: DeploymentsTable, by: string): Promise<Superseded> {
  const now = nowIso();
  if (active.status === 'queued') {
    await tx.updateTable('deployments').set({ status: 'cancelled', phase: 'cancelled', finished_at: now, error: `superseded by deployment ${by} before it started`, superseded_by: by }).where('id', '=', active.id).execute();
    if (active.kind !== 'scale') await tx.updateTable('releases').set({ status: 'cancelled', finished_at: now, message: `superseded by deployment ${by}` }).where('id', '=', active.release_id).where('status', '=', 'pending').execute();
    await tx.updateTable('promotions').set({ status: 'cancelled' }).where('deployment_id', '=', active.id).execute();
    return { id: active.id, releaseNumber: active.release_number, status: 'cancelled' };
  }
  await tx.updateTable('deployments').set({ status: 'cancelling', superseded_by: by }).where('id', '=', active.id).where('status', '=', 'running').execute();
  return { id: active.id, releaseNumber: active.release_number, status: 'cancelling' };
}

/**
 * Records a release and its deployment in one transaction (and, through `within`, whatever
 * belongs with them, such as the promotion it carries out); the engine picks it up. Refused
 * (SLW_MANIFEST_UNREVIEWED or SLW_INVALID_VOLUME, nothing recorded) when its release step could not run there.
 */
export async function requestDeploy(db: Db, access: EnvironmentAccess, request: DeployRequest, within?: (tx: Executor, requested: Requested) => Promise<void>): Promise<Requested> {
  await assertReleaseStepMayRun(db, access, request.volumes);
  let requested: Requested;
  try {
    requested = await db.transaction().execute(async (tx) => {
      const id = newId('dep');
      // Requests of one environment queue here (PostgreSQL row lock; SQLite runs one transaction
      // at a time anyway), so each sees what the previous one did; the index below is the backstop.
      await lockEnvironment(tx, access.environment.id);
      const active = await activeDeployment(tx, access.environment.id);
      let superseded: Superseded | null = null;
      if (active && !request.supersede) throw busy(access, active);
      if (active) superseded = await supersedeActive(tx, active, id);
      const project = await tx.selectFrom('projects').select('config_version').where('id', '=', access.project.id).executeTakeFirstOrThrow();
      const release = await insertRelease(tx, access, {
        imageDigest: request.imageDigest,
        version: request.version,
        configVersion: request.configVersion ?? project.config_version,
        secretVersions: request.secretVersions ?? (await currentSecretVersions(tx, access)),
        trigger: request.trigger,
        actor: request.actor,
        ...(request.volumes ? { volumes: request.volumes } : {}),
      });
      const row = await insertDeployment(tx, access, id, 'release', release.id, release.number);
      const what = `release #${release.number} of ${access.project.name}/${access.environment.name}: ${request.version ? `${request.version} ` : ''}${request.imageDigest} (${request.trigger})`;
      await appendEvent(tx, row.id, 'queued', superseded ? `${what}; supersedes deployment ${superseded.id} (release #${superseded.releaseNumber})` : what);
      const result = { release, deployment: toDeployment(access.environment.name, row), superseded };
      await within?.(tx, result);
      return result;
    });
  } catch (error) {
    // The unique index caught a request that raced this one past the check above.
    if (isUniqueViolation(error)) throw busy(access, (await activeDeployment(db, access.environment.id)) ?? { id: '?', release_number: 0 });
    throw error;
  }
  announce(access, requested.deployment);
  if (requested.superseded) announceChange(access.workspace.id, { kind: 'deployment', id: requested.superseded.id, project: access.project.name, environment: access.environment.name, status: requested.superseded.status });
  return requested;
}

/** Records a deployment that changes the replicas of the release that runs (no new release). */
export async function requestScale(db: Db, access: EnvironmentAccess, replicas: number, within?: (tx: Executor) => Promise<void>): Promise<Deployment> {
  let deployment: Deployment;
  try {
    deployment = await db.transaction().execute(async (tx) => {
      await lockEnvironment(tx, access.environment.id);
      const active = await activeDeployment(tx, access.environment.id);
      if (active) throw busy(access, active);
      const release = await currentRelease(tx, access.environment.id);
      if (!release) throw new SlipwayError('SLW_NOTHING_DEPLOYED', `${access.project.name}/${access.environment.name} runs nothing yet; the replica count is used by its first deploy`);
      const row = await insertDeployment(tx, access, newId('dep'), 'scale', release.id, release.number, JSON.stringify({ replicas }));
      await appendEvent(tx, row.id, 'queued', `scale release #${release.number} of ${access.project.name}/${access.environment.name} to ${replicas} replica(s)`);
      await within?.(tx);
      return toDeployment(access.environment.name, row);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw busy(access, (await activeDeployment(db, access.environment.id)) ?? { id: '?', release_number: 0 });
    throw error;
  }
  announce(access, deployment);
  return deployment;
}

async function insertDeployment(tx: Executor, access: EnvironmentAccess, id: string, kind: 'release' | 'scale', releaseId: string, releaseNumber: number, state = '{}'): Promise<DeploymentsTable> {
  // The placement is fixed when the deployment is asked for.
  const settings = await tx.selectFrom('environment_settings').select('data').where('environment_id', '=', access.environment.id).executeTakeFirst();
  const target = (settings ? (JSON.parse(settings.data) as { target?: string }).target : undefined) ?? 'local';
  const row: DeploymentsTable = {
    id,
    workspace_id: access.workspace.id,
    project_id: access.project.id,
    environment_id: access.environment.id,
    release_id: releaseId,
    release_number: releaseNumber,
    status: 'queued',
    phase: 'queued',
    owner: null,
    lease_until: null,
    created_at: nowIso(),
    started_at: null,
    heartbeat_at: null,
    finished_at: null,
    error: null,
    kind,
    fence: 0,
    state,
    phase_started_at: null,
    target,
    superseded_by: null,
    logs_pruned_at: null,
  };
  await tx.insertInto('deployments').values(row).execute();
  return row;
}

function announce(access: EnvironmentAccess, d: Deployment): void {
  announceChange(access.workspace.id, { kind: 'deployment', id: d.id, project: access.project.name, environment: access.environment.name, status: d.status });
}

/** A deployment of the accessed workspace, by id (foreign and missing alike: not found). */
export async function findDeployment(db: Executor, workspaceId: string, id: string): Promise<{ row: DeploymentsTable; environment: string; project: string }> {
  const row = await db
    .selectFrom('deployments as d')
    .innerJoin('environments as e', 'e.id', 'd.environment_id')
    .innerJoin('projects as p', 'p.id', 'd.project_id')
    .selectAll('d')
    .select(['e.name as environment', 'p.name as project'])
    .where('d.id', '=', id)
    .where('d.workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (!row) throw notFound('deployment', id);
  const { environment, project, ...rest } = row;
  return { row: rest, environment, project };
}

/** The newest succeeded release of an environment: what runs there. */
export async function currentRelease(db: Executor, environmentId: string) {
  return db.selectFrom('releases').selectAll().where('environment_id', '=', environmentId).where('status', '=', 'succeeded').orderBy('number', 'desc').executeTakeFirst();
}
