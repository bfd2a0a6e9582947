/**
 * Pipeline runs: triggering one (at most one runs and one waits per pipeline of a project;
 * further triggers coalesce into the waiting one), reading, listing and cancelling them, and the
 * release step of a deployment (a run of its own, never queued behind the project's pipelines).
 *
 * "One run in flight per pipeline" is per project, as the manifest is: a pipeline `test` runs once
 * at a time whatever environment it was triggered against. Two unique partial indexes hold it
 * (one `running`, one `queued` per project and pipeline), so two servers or two racing requests
 * can never start two: a trigger inserts its run as `running`; if one runs already, as `queued`;
 * if one waits already, it returns that one (`coalesced`).
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import type { PipelineRunInfo } from '../api/pipelines.js';
import { SlipwayError, notFound, withErrorSuffix } from '../core/errors.js';
import { buildImage, type ManifestJob } from '../core/manifest.js';
import { releasePipeline, runEnded, type RunStatus, type TriggerKind } from '../core/pipelines.js';
import { currentRelease } from '../deploy/deployments.js';
import { resolveImage } from '../deploy/queries.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess, ProjectAccess } from '../projects/projects.js';
import { isUniqueViolation } from '../store/errors.js';
import type { Db, Executor, PipelineRunJobsTable, PipelineRunsTable } from '../store/schema.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { jobMounts } from './job-spec.js';
import { pipelineJobs } from './manifests.js';
import { assertReviewedFor, unreviewedReason } from './review.js';

/** A run as the store has it. */
export type PipelineRun = PipelineRunsTable;

export interface TriggerInput {
  pipeline: string;
  /** The image `$build` jobs run; default: the environment's current release. */
  imageDigest?: string;
  reason: string;
  trigger: { kind: TriggerKind; by?: string | null };
  promotionId?: string | null;
  deploymentId?: string | null;
}

export type TriggerOutcome = 'started' | 'queued' | 'coalesced';

/**
 * Wakes the runner: `wake` with a run id when a run may need work (triggered, cancel asked,
 * one ended so the next may start); `<run id>` when a run's log or status changed (followers).
 */
export const runBus = new EventEmitter();
runBus.setMaxListeners(0);

/** Tells the runner and the run's followers that `runId` changed. */
export function wakeRun(runId: string): void {
  runBus.emit('wake', runId);
  runBus.emit(runId);
}

/**
 * Triggers a run of `pipeline` against the environment: `started` (it runs now), `queued` (it
 * waits for the run in flight), or `coalesced` (a run already waited: that one is returned).
 */
export async function triggerRun(db: Db, access: EnvironmentAccess, input: TriggerInput): Promise<{ run: PipelineRun; outcome: TriggerOutcome }> {
  const jobs = await pipelineJobs(db, access, input.pipeline);
  await assertReviewedFor(db, access);
  await assertJobVolumes(db, access, input, jobs);
  const digest = input.imageDigest ?? (await currentRelease(db, access.environment.id))?.image_digest ?? null;
  if (digest === null && jobs.some((j) => j.image === buildImage)) {
    throw new SlipwayError('SLW_NOTHING_DEPLOYED', `pipeline '${input.pipeline}' runs '${buildImage}', but ${access.project.name}/${access.environment.name} runs no release yet; deploy first, or name the image with --image VERSION|DIGEST`);
  }
  for (const status of ['running', 'queued'] as const) {
    try {
      const run = await insertRun(db, access, input, jobs, digest ?? '', status);
      wakeRun(run.id);
      return { run, outcome: status === 'running' ? 'started' : 'queued' };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }
  const waiting = await db.selectFrom('pipeline_runs').selectAll().where('project_id', '=', access.project.id).where('pipeline', '=', input.pipeline).where('status', '=', 'queued').where('trigger_kind', '<>', 'release').executeTakeFirst();
  if (waiting) return { run: waiting, outcome: 'coalesced' };
  // The waiting run started between the inserts and this read: queue behind it.
  const run = await insertRun(db, access, input, jobs, digest ?? '', 'queued');
  wakeRun(run.id);
  return { run, outcome: 'queued' };
}

/**
 * Refuses (SLW_INVALID_VOLUME, nothing recorded) a run whose jobs name a volume the environment
 * does not declare now; one removed after the trigger still fails its job before it starts.
 */
async function assertJobVolumes(db: Executor, access: EnvironmentAccess, input: TriggerInput, jobs: ManifestJob[]): Promise<void> {
  await withErrorSuffix(`; pipeline '${input.pipeline}' was not run`, async () => {
    for (const job of jobs) await jobMounts(db, access, { deployment_id: input.deploymentId ?? null }, job, '');
  });
}

/**
 * Starts the release step of `deploymentId` (idempotent: one run per deployment) with the jobs
 * given, against `imageDigest`. Not queued behind the project's pipelines. Into an environment
 * that requires approval, an unreviewed manifest's step is recorded as failed without running
 * (the deployment fails, traffic stays).
 */
export async function startReleaseRun(db: Db, access: EnvironmentAccess, deploymentId: string, imageDigest: string, jobs: ManifestJob[], by: string | null): Promise<PipelineRun> {
  const existing = await releaseRunOf(db, deploymentId);
  if (existing) return existing;
  const refused = await unreviewedReason(db, access);
  try {
    const input = { pipeline: releasePipeline, imageDigest, reason: `release step of deployment ${deploymentId}`, trigger: { kind: 'release' as const, by }, deploymentId };
    const run = await insertRun(db, access, input, jobs, imageDigest, refused === null ? 'running' : 'failed', refused === null ? null : `SLW_MANIFEST_UNREVIEWED: ${refused}`);
    wakeRun(run.id);
    return run;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const raced = await releaseRunOf(db, deploymentId);
    if (!raced) throw error;
    return raced;
  }
}

export async function releaseRunOf(db: Executor, deploymentId: string): Promise<PipelineRun | undefined> {
  return db.selectFrom('pipeline_runs').selectAll().where('deployment_id', '=', deploymentId).where('trigger_kind', '=', 'release').executeTakeFirst();
}

async function insertRun(db: Db, access: EnvironmentAccess, input: TriggerInput, jobs: ManifestJob[], digest: string, status: 'running' | 'queued' | 'failed', error: string | null = null): Promise<PipelineRun> {
  const now = nowIso();
  const ended = status === 'failed';
  const row: PipelineRun = {
    id: newId('run'),
    workspace_id: access.workspace.id,
    project_id: access.project.id,
    environment_id: access.environment.id,
    pipeline: input.pipeline,
    status,
    image_digest: digest,
    jobs: JSON.stringify(jobs),
    trigger_kind: input.trigger.kind,
    trigger_by: input.trigger.by ?? null,
    reason: input.reason.slice(0, 500),
    promotion_id: input.promotionId ?? null,
    deployment_id: input.deploymentId ?? null,
    cancel_requested: 0,
    owner: null,
    lease_until: null,
    fence: 0,
    created_at: now,
    started_at: null,
    finished_at: ended ? now : null,
    error,
    logs_pruned_at: null,
  };
  await db.transaction().execute(async (tx) => {
    await tx.insertInto('pipeline_runs').values(row).execute();
    if (jobs.length > 0) {
      await tx
        .insertInto('pipeline_run_jobs')
        .values(jobs.map((j, idx) => ({ run_id: row.id, idx, name: j.name, image: j.image, status: ended ? 'skipped' : 'pending', exit_code: null, message: null, started_at: null, finished_at: null })))
        .execute();
    }
  });
  return row;
}

/** The image a trigger names (a version tag or a digest of the project's repository). */
export async function imageOf(db: Executor, access: EnvironmentAccess, image: string): Promise<string> {
  const ref = image.startsWith('sha256:') ? { digest: image } : { version: image };
  return (await resolveImage(db, access, ref)).digest;
}

/** A run by id, or undefined. */
export async function getRun(db: Executor, runId: string): Promise<PipelineRun | undefined> {
  return db.selectFrom('pipeline_runs').selectAll().where('id', '=', runId).executeTakeFirst();
}

/** A run of the workspace by id; SLW_NOT_FOUND for a missing or foreign one. */
export async function findRun(db: Executor, access: WorkspaceAccess, runId: string): Promise<PipelineRun> {
  const run = await getRun(db, runId);
  if (!run || run.workspace_id !== access.workspace.id) throw notFound('pipeline run', runId);
  return run;
}

/** The run as the API shows it, with its jobs. */
export async function toRunInfo(db: Executor, run: PipelineRun): Promise<PipelineRunInfo> {
  const names = await db
    .selectFrom('environments as e')
    .innerJoin('projects as p', 'p.id', 'e.project_id')
    .select(['e.name as environment', 'p.name as project'])
    .where('e.id', '=', run.environment_id)
    .executeTakeFirst();
  const jobs = await db.selectFrom('pipeline_run_jobs').selectAll().where('run_id', '=', run.id).orderBy('idx').execute();
  return {
    id: run.id,
    project: names?.project ?? '?',
    environment: names?.environment ?? '?',
    pipeline: run.pipeline,
    status: run.status as RunStatus,
    imageDigest: run.image_digest,
    trigger: { kind: run.trigger_kind as TriggerKind, by: run.trigger_by },
    reason: run.reason,
    promotionId: run.promotion_id,
    deploymentId: run.deployment_id,
    cancelRequested: run.cancel_requested === 1,
    createdAt: run.created_at,
    startedAt: run.started_at,
    finishedAt: run.finished_at,
    error: run.error,
    logsPrunedAt: run.logs_pruned_at,
    jobs: jobs.map(toJobInfo),
  };
}

function toJobInfo(j: PipelineRunJobsTable): PipelineRunInfo['jobs'][number] {
  return { name: j.name, image: j.image, status: j.status as PipelineRunInfo['jobs'][number]['status'], exitCode: j.exit_code, message: j.message, startedAt: j.started_at, finishedAt: j.finished_at };
}

/** A project's runs, newest first, optionally of one environment or pipeline. */
export async function listRuns(db: Executor, access: ProjectAccess, filter: { environment?: string; pipeline?: string; limit: number }): Promise<PipelineRunInfo[]> {
  let q = db.selectFrom('pipeline_runs').selectAll().where('project_id', '=', access.project.id);
  if (filter.environment !== undefined) {
    const env = await db.selectFrom('environments').select('id').where('project_id', '=', access.project.id).where('name', '=', filter.environment).executeTakeFirst();
    if (!env) throw notFound('environment', filter.environment, `project '${access.project.name}'`);
    q = q.where('environment_id', '=', env.id);
  }
  if (filter.pipeline !== undefined) q = q.where('pipeline', '=', filter.pipeline);
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  return Promise.all(rows.map((r) => toRunInfo(db, r)));
}

/**
 * Cancels a run: a waiting one ends at once; a running one is marked and its runner stops the
 * job that runs (it ends `cancelled` shortly after). SLW_RUN_ENDED for one that has ended.
 */
export async function cancelRun(db: Db, run: PipelineRun, by: string): Promise<PipelineRun> {
  if (runEnded(run.status)) throw new SlipwayError('SLW_RUN_ENDED', `run ${run.id} has already ended (${run.status}); nothing to cancel`);
  const now = nowIso();
  const queued = await db
    .updateTable('pipeline_runs')
    .set({ status: 'cancelled', cancel_requested: 1, finished_at: now, error: `cancelled by ${by} before it started` })
    .where('id', '=', run.id)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  if (Number(queued.numUpdatedRows) > 0) {
    await db.updateTable('pipeline_run_jobs').set({ status: 'skipped' }).where('run_id', '=', run.id).where('status', '=', 'pending').execute();
  } else {
    await db.updateTable('pipeline_runs').set({ cancel_requested: 1, error: `cancelled by ${by}` }).where('id', '=', run.id).where('status', '=', 'running').execute();
  }
  wakeRun(run.id);
  return (await getRun(db, run.id))!;
}
