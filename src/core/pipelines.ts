/**
 * Pipeline runs as rules: their statuses, the deterministic name of a job on its target, and
 * what a job's end means for its run. Pure; the runner (pipelines/runner.ts) applies them.
 *
 * @module
 */

export const runStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed-out'] as const;
export type RunStatus = (typeof runStatuses)[number];

export const jobStatuses = ['pending', 'running', 'succeeded', 'failed', 'timed-out', 'cancelled', 'skipped'] as const;
export type JobRunStatus = (typeof jobStatuses)[number];

export const triggerKinds = ['manual', 'webhook', 'gate', 'release', 'schedule'] as const;
export type TriggerKind = (typeof triggerKinds)[number];

/** The pipeline name a deployment's release step runs under (a manifest pipeline name never holds ':'). */
export const releasePipeline = ':release';

/** A run in one of these has ended for good. */
export const endedRunStatuses: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled', 'timed-out'];

export function runEnded(status: string): boolean {
  return (endedRunStatuses as readonly string[]).includes(status);
}

/** The job's container on the target: unique per run and position, the same after a restart. */
export function jobWorkloadName(runId: string, index: number): string {
  return `slw-${runId.replace(/_/g, '-')}-${index}`;
}

/** How a job ended, as the target reports it. */
export interface JobEnd {
  state: 'succeeded' | 'failed';
  exitCode: number | null;
  message: string | null;
}

/** A finished job's status and, when it failed, the run's status and its one-line error naming the job. */
export function judgeJob(name: string, timeoutSeconds: number, end: JobEnd): { job: JobRunStatus; run: RunStatus | null; error: string | null } {
  if (end.state === 'succeeded') return { job: 'succeeded', run: null, error: null };
  if (end.message !== null && /^timed out/.test(end.message)) {
    return { job: 'timed-out', run: 'timed-out', error: `job '${name}' exceeded its timeout of ${timeoutSeconds}s and was stopped${end.exitCode === null ? '' : ` (exit code ${end.exitCode})`}` };
  }
  if (end.exitCode !== null) return { job: 'failed', run: 'failed', error: `job '${name}' exited with code ${end.exitCode}` };
  return { job: 'failed', run: 'failed', error: `job '${name}' could not run: ${end.message ?? 'the target gave no reason'}` };
}

/**
 * How long past its timeout a job may still be reported running before the runner stops it
 * itself (a target that enforces timeouts only when asked, or one that lost the job).
 */
export const timeoutGraceSeconds = 30;

/** Milliseconds since `iso`, or null for no time or an unset one (Docker reports `0001-01-01T00:00:00Z` for a container never started). */
function since(iso: string | null, nowMs: number): number | null {
  const t = iso === null ? NaN : Date.parse(iso);
  return Number.isFinite(t) && t > Date.UTC(2000, 0, 1) ? nowMs - t : null;
}

/**
 * Whether the runner must stop a job the target still reports pending or running: running for
 * longer than its timeout plus the grace (judged from the target's start time, else from when
 * the runner asked for it), or still not started that long after the runner asked for it.
 * Null: not overdue; else the message the job ends with.
 */
export function overdue(job: { state: 'pending' | 'running'; startedAt: string | null }, askedAt: string | null, timeoutSeconds: number, nowMs: number): string | null {
  const cap = (timeoutSeconds + timeoutGraceSeconds) * 1000;
  if (job.state === 'running') {
    const ran = since(job.startedAt, nowMs) ?? since(askedAt, nowMs);
    return ran !== null && ran > cap ? `timed out after ${timeoutSeconds}s` : null;
  }
  const waited = since(askedAt, nowMs);
  return waited !== null && waited > cap ? `did not start within ${timeoutSeconds + timeoutGraceSeconds}s` : null;
}
