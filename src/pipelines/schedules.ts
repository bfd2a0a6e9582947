/**
 * Pipeline schedules: the slots that are due run as pipeline runs (trigger `schedule`); the rows
 * themselves follow the manifest (schedule-rows.ts). A due slot is taken with a conditional
 * update that moves `next_at` on (only the caller that saw the old value wins), then run: so a slot runs at most once, whatever number of
 * control planes or restarts — a crash between the two loses that slot's run. Slots missed while
 * no server ran get one catch-up run, for the latest one within the hour ({@link decideSlot}, as
 * scheduled backups); when every missed slot is older, none runs and the schedule records
 * `missed`. A due run meets the pipeline's one-run-in-flight rule like any trigger:
 * it starts, queues behind the run in flight, or coalesces into the one waiting. A paused schedule
 * runs no slot; resumed, it starts from its next slot after then (none missed meanwhile runs).
 *
 * @module
 */
import type { PipelineScheduleInfo } from '../api/pipelines.js';
import { recordAudit } from '../audit/audit.js';
import { SlipwayError, isSlipwayError } from '../core/errors.js';
import { catchUpMs, decideSlot, parseCron } from '../core/cron.js';
import { environmentAccess } from '../deploy/engine.js';
import { environmentsRequiringApproval } from '../deploy/gates.js';
import { mayChangeProtected } from '../deploy/protected-config.js';
import type { ProjectAccess } from '../projects/projects.js';
import type { Db, Executor, PipelineSchedulesTable } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { triggerRun } from './runs.js';
import { nextSlot, storedSlot } from './schedule-rows.js';

/** The project's schedules, by pipeline, environment and cron. */
export async function listSchedules(db: Executor, access: ProjectAccess): Promise<PipelineScheduleInfo[]> {
  const rows = await db.selectFrom('pipeline_schedules').selectAll().where('project_id', '=', access.project.id).orderBy('pipeline').orderBy('environment').orderBy('cron').execute();
  return rows.map(toScheduleInfo);
}

function toScheduleInfo(r: PipelineSchedulesTable): PipelineScheduleInfo {
  return {
    pipeline: r.pipeline,
    environment: r.environment,
    cron: r.cron,
    nextAt: r.next_at,
    paused: r.paused_at === null ? null : { at: r.paused_at, by: r.paused_by },
    last: r.last_slot_at === null ? null : { slotAt: r.last_slot_at, outcome: r.last_outcome as NonNullable<PipelineScheduleInfo['last']>['outcome'], runId: r.last_run_id, error: r.last_error },
  };
}

/** What one due slot did. */
export interface SlotResult {
  schedule: string;
  outcome: 'started' | 'queued' | 'coalesced' | 'missed' | 'failed';
  runId: string | null;
}

/**
 * Runs the slots due at `now` (at most `limit` schedules): each taken with a conditional update,
 * then triggered (or skipped as missed). Returns what each slot this caller took did.
 */
export async function runDueSchedules(db: Db, now: Date = new Date(), limit = 50): Promise<SlotResult[]> {
  const due = await db.selectFrom('pipeline_schedules').selectAll().where('next_at', '<=', now.toISOString()).where('paused_at', 'is', null).orderBy('next_at').limit(limit).execute();
  const results: SlotResult[] = [];
  for (const row of due) {
    const decision = decideSlot(parseCron(row.cron), new Date(row.next_at), now);
    if (decision.kind === 'wait') continue;
    const slot = decision.kind === 'run' ? decision.slot.toISOString() : row.next_at;
    const taken = await db
      .updateTable('pipeline_schedules')
      .set({ next_at: storedSlot(decision.next, now), last_slot_at: slot, last_run_id: null, last_outcome: null, last_error: null })
      .where('id', '=', row.id)
      .where('next_at', '=', row.next_at)
      .where('paused_at', 'is', null)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) === 0) continue;
    const result =
      decision.kind === 'skip'
        ? { outcome: 'missed' as const, runId: null, error: `no slot since ${row.next_at} came less than ${catchUpMs / 60_000} minutes ago (the server was not running): none ran; the next one runs as usual` }
        : await runSlot(db, row, slot, decision.missed);
    await db.updateTable('pipeline_schedules').set({ last_outcome: result.outcome, last_run_id: result.runId, last_error: result.error }).where('id', '=', row.id).where('last_slot_at', '=', slot).execute();
    results.push({ schedule: row.id, outcome: result.outcome, runId: result.runId });
  }
  return results;
}

async function runSlot(db: Db, row: PipelineSchedulesTable, slot: string, missed: number): Promise<{ outcome: SlotResult['outcome']; runId: string | null; error: string | null }> {
  const env = await db.selectFrom('environments').select('id').where('project_id', '=', row.project_id).where('name', '=', row.environment).executeTakeFirst();
  if (!env) return { outcome: 'failed', runId: null, error: `the project has no environment '${row.environment}'; create it or change the manifest's schedule` };
  try {
    const access = await environmentAccess(db, env.id);
    const late = missed > 0 ? `; stands in for ${missed} earlier missed slot(s)` : '';
    const r = await triggerRun(db, access, { pipeline: row.pipeline, reason: `schedule '${row.cron}' (slot ${slot}${late})`, trigger: { kind: 'schedule', by: null } });
    return { outcome: r.outcome, runId: r.run.id, error: null };
  } catch (error) {
    if (!isSlipwayError(error)) throw error;
    return { outcome: 'failed', runId: null, error: `${error.code}: ${error.message}` };
  }
}

/**
 * Pauses (or resumes) the schedules of `pipeline`, against `environment` only when given; a
 * resumed one starts from its next slot after `now`. SLW_NOT_FOUND when none matches; in an
 * environment that requires approval only an admin or owner may do it (SLW_FORBIDDEN, nothing
 * changed). Returns the project's schedules as they are then.
 */
export async function pauseSchedules(db: Db, access: ProjectAccess, pipeline: string, change: { paused: boolean; environment?: string | undefined }, now: Date = new Date()): Promise<PipelineScheduleInfo[]> {
  let q = db.selectFrom('pipeline_schedules').selectAll().where('project_id', '=', access.project.id).where('pipeline', '=', pipeline);
  if (change.environment !== undefined) q = q.where('environment', '=', change.environment);
  const rows = await q.execute();
  if (rows.length === 0) {
    throw new SlipwayError('SLW_NOT_FOUND', `pipeline '${pipeline}' of ${access.project.name} has no schedule${change.environment === undefined ? '' : ` against '${change.environment}'`}; its schedules come from the manifest (slipway pipeline schedules lists them)`);
  }
  if (!mayChangeProtected(access.role)) {
    const guarded = new Set(await environmentsRequiringApproval(db, access.project.id));
    const hit = [...new Set(rows.map((r) => r.environment))].filter((e) => guarded.has(e));
    if (hit.length > 0) {
      throw new SlipwayError('SLW_FORBIDDEN', `${hit.join(', ')} require${hit.length === 1 ? 's' : ''} approval, so only an admin or owner may ${change.paused ? 'pause' : 'resume'} a schedule against ${hit.length === 1 ? 'it' : 'them'} (your role: ${access.role}); name another environment with -e, or ask an admin or owner`);
    }
  }
  await db.transaction().execute(async (tx) => {
    for (const r of rows) {
      if (change.paused && r.paused_at === null) {
        await tx.updateTable('pipeline_schedules').set({ paused_at: now.toISOString(), paused_by: access.principal.email }).where('id', '=', r.id).where('paused_at', 'is', null).execute();
      } else if (!change.paused && r.paused_at !== null) {
        await tx.updateTable('pipeline_schedules').set({ paused_at: null, paused_by: null, next_at: nextSlot(r.cron, now) }).where('id', '=', r.id).execute();
      }
    }
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: change.paused ? 'pipeline.schedule.pause' : 'pipeline.schedule.resume', targetType: 'project', target: access.project.name, details: { pipeline, environments: rows.map((r) => r.environment), crons: rows.map((r) => r.cron) } });
  });
  return listSchedules(db, access);
}
