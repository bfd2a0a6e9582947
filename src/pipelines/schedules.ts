/**
 * Pipeline schedules: the slots that are due run as pipeline runs (trigger `schedule`); the rows
 * themselves follow the manifest (schedule-rows.ts). A due slot is taken with a conditional
 * update that moves `next_at` on (only the caller that saw the old value wins), then run: so a slot runs at most once, whatever number of
 * control planes or restarts — a crash between the two loses that slot's run. Slots missed while
 * no server ran get one catch-up run, for the latest one within the hour ({@link decideSlot}, as
 * scheduled backups); when every missed slot is older, none runs and the schedule records
 * `missed`. A due run meets the pipeline's one-run-in-flight rule like any trigger:
 * it starts, queues behind the run in flight, or coalesces into the one waiting.
 *
 * @module
 */
import type { PipelineScheduleInfo } from '../api/pipelines.js';
import { isSlipwayError } from '../core/errors.js';
import { catchUpMs, decideSlot, parseCron } from '../core/cron.js';
import { environmentAccess } from '../deploy/engine.js';
import type { ProjectAccess } from '../projects/projects.js';
import type { Db, Executor, PipelineSchedulesTable } from '../store/schema.js';
import { triggerRun } from './runs.js';
import { storedSlot } from './schedule-rows.js';

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
  const due = await db.selectFrom('pipeline_schedules').selectAll().where('next_at', '<=', now.toISOString()).orderBy('next_at').limit(limit).execute();
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
