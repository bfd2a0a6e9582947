/**
 * Deleting an environment or a whole project: refused while a deployment runs; otherwise its
 * workloads are removed from their targets and its routes from the edge, then every record that
 * belongs to it (releases, deployments and their logs, promotions, settings, observations,
 * config, secrets, and for a project its registry repository's rows) is deleted in one
 * transaction. The audit log keeps the trail; the images' blobs are left to the registry's
 * garbage collection. Workloads a crash left behind are removed by the observer's sweep. The
 * environments' service attachments are marked detaching (the services sweep revokes their
 * credentials later), each announced on the workspace change stream once the deletion is stored.
 * The environment's volumes stay on their target (with their data) unless the deletion is asked
 * to drop them (`env delete --drop-volumes`); then they are deleted once its workloads are gone,
 * before any record is, so a refusal (a volume still in use) loses nothing.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { jobWorkloadName } from '../core/pipelines.js';
import { dockerVolumeName, parseStoredVolumes, type EnvironmentVolume } from '../core/volumes.js';
import { assertNoActiveUpgrade } from '../apps/herd-guard.js';
import { recordAudit } from '../audit/audit.js';
import { assertEnvironmentDeletable, deleteEnvironmentRows, deleteProjectRows, type DetachedByDeletion, type EnvironmentAccess, type ProjectAccess } from '../projects/projects.js';
import { deleteRepositoryOfProject } from '../registry/repositories.js';
import { announceService } from '../services/changes.js';
import { deleteHookRows } from '../webhooks/hooks.js';
import { lockRunsOf } from '../store/locks.js';
import type { Db, Executor } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { storedSettings } from './settings.js';
import { routeId } from './spec.js';
import type { Placements, Target } from './target.js';

async function assertIdle(db: Executor, environmentIds: string[], what: string): Promise<void> {
  if (environmentIds.length === 0) return;
  const busy = await db.selectFrom('deployments').select('id').where('environment_id', 'in', environmentIds).where('status', 'in', ['queued', 'running', 'cancelling']).executeTakeFirst();
  if (busy) throw new SlipwayError('SLW_DEPLOY_IN_PROGRESS', `${what} is being deployed (deployment ${busy.id}); wait for it to end, then delete`);
}

/** A job container a deletion removed, removed again once the deletion is stored. */
type RemovedJob = { target: Target; name: string };

/**
 * Asks the environments' unfinished pipeline runs to stop (stored before their containers are
 * removed, so a runner that then finds its job gone ends the run instead of starting the job again).
 */
async function cancelRuns(db: Executor, environmentIds: string[], what: string): Promise<void> {
  if (environmentIds.length === 0) return;
  await db.updateTable('pipeline_runs').set({ cancel_requested: 1, error: `cancelled: ${what} is being deleted` }).where('environment_id', 'in', environmentIds).where('status', 'in', ['queued', 'running']).execute();
}

/**
 * Removes the environments' workloads, the job containers of their unfinished pipeline runs
 * (stopped, not left to run to their end) and their routes; what a target cannot reach now its
 * sweep removes later. Returns the job containers it removed.
 */
async function tearDown(db: Executor, placements: Placements, environmentIds: string[]): Promise<RemovedJob[]> {
  const removed: RemovedJob[] = [];
  for (const id of environmentIds) {
    const target = (await storedSettings(db, id)).target ?? 'local';
    let placement;
    try {
      placement = placements.resolve(target);
    } catch {
      continue; // no such target here (no edge proxy): nothing of it runs on this server
    }
    for (const w of await placement.target.list({ 'io.slipway.environment-id': id })) await placement.target.remove(w.name, 10);
    const jobs = await db.selectFrom('pipeline_run_jobs as j').innerJoin('pipeline_runs as r', 'r.id', 'j.run_id').select(['j.run_id', 'j.idx']).where('r.environment_id', '=', id).where('r.status', 'in', ['queued', 'running']).execute();
    for (const j of jobs) {
      const name = jobWorkloadName(j.run_id, j.idx);
      await placement.target.removeJob(name);
      removed.push({ target: placement.target, name });
    }
    await placement.edge.removeRoute(routeId(id));
  }
  return removed;
}

/** Removes the job containers again once their runs' rows are gone: a runner step in flight during the deletion may have started one. */
async function removeJobsAgain(jobs: RemovedJob[]): Promise<void> {
  for (const j of jobs) await j.target.removeJob(j.name).catch(() => undefined);
}

/** The Docker volumes of an environment: those its settings declare and those any of its releases mounted. */
export async function environmentVolumes(db: Executor, environmentId: string): Promise<string[]> {
  const names = new Set(((await storedSettings(db, environmentId)).volumes ?? []).map((v: EnvironmentVolume) => dockerVolumeName(environmentId, v.name, v.generation)));
  const rows = await db.selectFrom('releases').select('volumes').distinct().where('environment_id', '=', environmentId).where('volumes', '!=', '[]').execute();
  for (const r of rows) for (const v of parseStoredVolumes(r.volumes)) names.add(dockerVolumeName(environmentId, v.name, v.generation));
  return [...names].sort();
}

/** How long a deletion waits for its workloads to be gone before it drops their volumes. */
const dropWaitMs = 60_000;

/** Deletes the volumes on the environment's target once nothing of it runs there; a volume still in use refuses the deletion. */
async function dropVolumes(db: Executor, placements: Placements, environmentId: string, volumes: string[], what: string): Promise<void> {
  if (volumes.length === 0) return;
  const placement = placements.resolve((await storedSettings(db, environmentId)).target ?? 'local');
  const until = Date.now() + dropWaitMs;
  // Removing a workload returns once the target took the request; its containers go in a moment.
  // Polled every 250 ms: short against a container's stop, bounded by dropWaitMs.
  while ((await placement.target.list({ 'io.slipway.environment-id': environmentId })).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
  for (const volume of volumes) {
    try {
      await placement.target.removeVolume(volume);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new SlipwayError('SLW_VOLUME_IN_USE', `could not delete volume ${volume} of ${what}: ${why}. Nothing was deleted; its workloads are stopped. Try again in a moment (or remove the container that still mounts it)`);
    }
  }
}

/** What a deletion did with the environment's volumes (Docker volume names). */
export interface VolumesAfterDeletion {
  kept: string[];
  dropped: string[];
}

/** Deletes the deploy engine's records of these environments (inside the caller's transaction). */
async function deleteDeployRecords(tx: Executor, environmentIds: string[]): Promise<void> {
  if (environmentIds.length === 0) return;
  // First their runs' rows: a runner writing a log line of one now is waited for (its lines are
  // then deleted below), and one that comes later waits, then finds the run gone (src/pipelines/logs.ts).
  await lockRunsOf(tx, environmentIds);
  const deployments = tx.selectFrom('deployments').select('id').where('environment_id', 'in', environmentIds);
  // Pipeline runs against these environments (and their release steps) go with them.
  const runs = tx.selectFrom('pipeline_runs').select('id').where('environment_id', 'in', environmentIds);
  await tx.deleteFrom('pipeline_run_logs').where('run_id', 'in', runs).execute();
  await tx.deleteFrom('pipeline_run_jobs').where('run_id', 'in', runs).execute();
  await tx.deleteFrom('pipeline_runs').where('environment_id', 'in', environmentIds).execute();
  await tx.deleteFrom('deploy_events').where('deployment_id', 'in', deployments).execute();
  await tx.deleteFrom('promotions').where((eb) => eb.or([eb('from_environment_id', 'in', environmentIds), eb('to_environment_id', 'in', environmentIds)])).execute();
  await tx.deleteFrom('deployments').where('environment_id', 'in', environmentIds).execute();
  await tx.deleteFrom('releases').where('environment_id', 'in', environmentIds).execute();
  await tx.deleteFrom('environment_observed').where('environment_id', 'in', environmentIds).execute();
  await tx.deleteFrom('environment_settings').where('environment_id', 'in', environmentIds).execute();
  // Their volume backups too (the files: src/volumes/backups.ts pruneOrphanVolumeBackups).
  await tx.deleteFrom('volume_backups').where('environment_id', 'in', environmentIds).execute();
  await tx.deleteFrom('volume_backup_schedules').where('environment_id', 'in', environmentIds).execute();
}

/** Announces the attachments a deletion marked detaching (after its commit). */
function announceDetaching(detached: DetachedByDeletion[]): void {
  for (const d of detached) announceService(d.workspaceId, d.service, 'detaching', { project: d.project, environment: d.environment });
}

/**
 * Deletes one environment; `within` runs in its transaction (a site's own audit record). A site
 * is not removed while its application's herd upgrade is running or paused.
 */
export async function deleteEnvironment(db: Db, placements: Placements, access: EnvironmentAccess, within?: (tx: Executor) => Promise<void>, options: { dropVolumes?: boolean } = {}): Promise<VolumesAfterDeletion> {
  assertEnvironmentDeletable(access);
  const ids = [access.environment.id];
  const site = access.environment.kind === 'site';
  const what = `${access.project.name}/${access.environment.name}`;
  await assertIdle(db, ids, what);
  if (site) await assertNoActiveUpgrade(db, access.environment.id);
  const volumes = await environmentVolumes(db, access.environment.id);
  await cancelRuns(db, ids, `environment ${what}`);
  const jobs = await tearDown(db, placements, ids);
  if (options.dropVolumes) await dropVolumes(db, placements, access.environment.id, volumes, what);
  const detached = await db.transaction().execute(async (tx) => {
    await assertIdle(tx, ids, `${access.project.name}/${access.environment.name}`);
    if (site) await assertNoActiveUpgrade(tx, access.environment.id);
    await deleteDeployRecords(tx, ids);
    const marked = await deleteEnvironmentRows(tx, ids);
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'environment.delete', targetType: 'environment', target: what, ...(volumes.length > 0 ? { details: { [options.dropVolumes ? 'volumesDropped' : 'volumesKept']: volumes } } : {}) });
    await within?.(tx);
    return marked;
  });
  await removeJobsAgain(jobs);
  announceDetaching(detached);
  return options.dropVolumes ? { kept: [], dropped: volumes } : { kept: volumes, dropped: [] };
}

export async function deleteProject(db: Db, placements: Placements, access: ProjectAccess): Promise<void> {
  const ids = (await db.selectFrom('environments').select('id').where('project_id', '=', access.project.id).execute()).map((e) => e.id);
  await assertIdle(db, ids, `project '${access.project.name}'`);
  await cancelRuns(db, ids, `project '${access.project.name}'`);
  const jobs = await tearDown(db, placements, ids);
  const detached = await db.transaction().execute(async (tx) => {
    await assertIdle(tx, ids, `project '${access.project.name}'`);
    await deleteDeployRecords(tx, ids);
    const marked = await deleteEnvironmentRows(tx, ids);
    await deleteRepositoryOfProject(tx, access.project.id);
    await deleteHookRows(tx, access.project.id);
    await tx.deleteFrom('project_manifests').where('project_id', '=', access.project.id).execute();
    await tx.deleteFrom('pipeline_schedules').where('project_id', '=', access.project.id).execute();
    await deleteProjectRows(tx, access.project.id);
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'project.delete', targetType: 'project', target: access.project.name, details: { environments: ids.length } });
    return marked;
  });
  await removeJobsAgain(jobs);
  announceDetaching(detached);
}
