/**
 * Deployments: the operation record behind every new release (deploy, promotion, config change,
 * rollback). Requesting one records the release (pending) and the deployment (queued) and
 * returns at once; the engine runs it. One unfinished deployment per environment at a time.
 *
 * @module
 */
import { SlipwayError, notFound } from '../core/errors.js';
import type { ReleaseTrigger } from '../core/releases.js';
import type { Actor } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { createRelease, type Release } from '../releases/releases.js';
import { currentSecretVersions, type SecretVersions } from '../secrets/secrets.js';
import type { Db, DeploymentsTable, Executor } from '../store/schema.js';
import { announceChange, appendEvent } from './events.js';

export interface Deployment {
  id: string;
  environment: string;
  releaseNumber: number;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  phase: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
}

export function toDeployment(environment: string, d: DeploymentsTable): Deployment {
  return { id: d.id, environment, releaseNumber: d.release_number, status: d.status as Deployment['status'], phase: d.phase, createdAt: d.created_at, startedAt: d.started_at, finishedAt: d.finished_at, error: d.error };
}

export interface DeployRequest {
  imageDigest: string;
  version: string | null;
  trigger: ReleaseTrigger;
  actor: Actor;
  /** Snapshot to deploy; default: the project's current config and the environment's current secrets. */
  configVersion?: number;
  secretVersions?: SecretVersions;
}

/** The unfinished deployment of an environment, if any. */
export async function activeDeployment(db: Executor, environmentId: string): Promise<DeploymentsTable | undefined> {
  return db.selectFrom('deployments').selectAll().where('environment_id', '=', environmentId).where('status', 'in', ['queued', 'running']).orderBy('created_at').executeTakeFirst();
}

/** Records a release and its deployment; the engine picks it up. */
export async function requestDeploy(db: Db, access: EnvironmentAccess, request: DeployRequest): Promise<{ release: Release; deployment: Deployment }> {
  const busy = await activeDeployment(db, access.environment.id);
  if (busy) throw new SlipwayError('SLW_DEPLOY_IN_PROGRESS', `${access.project.name}/${access.environment.name} is being deployed (deployment ${busy.id}, release #${busy.release_number}); follow it with 'slipway logs ${busy.id} --follow' and try again when it ends`);
  const release = await createRelease(db, access, {
    imageDigest: request.imageDigest,
    version: request.version,
    configVersion: request.configVersion ?? access.project.config_version,
    secretVersions: request.secretVersions ?? (await currentSecretVersions(db, access)),
    trigger: request.trigger,
    actor: request.actor,
  });
  const row: DeploymentsTable = {
    id: newId('dep'),
    workspace_id: access.workspace.id,
    project_id: access.project.id,
    environment_id: access.environment.id,
    release_id: release.id,
    release_number: release.number,
    status: 'queued',
    phase: 'queued',
    owner: null,
    lease_until: null,
    created_at: nowIso(),
    started_at: null,
    heartbeat_at: null,
    finished_at: null,
    error: null,
  };
  await db.insertInto('deployments').values(row).execute();
  await appendEvent(db, row.id, 'queued', `release #${release.number} of ${access.project.name}/${access.environment.name}: ${request.version ?? ''} ${request.imageDigest} (${request.trigger})`.replace('  ', ' '));
  announceChange(access.workspace.id, { kind: 'deployment', id: row.id, project: access.project.name, environment: access.environment.name, status: 'queued' });
  return { release, deployment: toDeployment(access.environment.name, row) };
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
