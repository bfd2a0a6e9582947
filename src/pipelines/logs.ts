/**
 * A run's log: numbered lines in the store (the SSE stream's ids, so a client that reconnects
 * with Last-Event-ID gets exactly what it missed), appended by the runner only. A release step's
 * lines also go into its deployment's log, so `slipway deploy` shows them in order, before the
 * new replicas start.
 *
 * @module
 */
import type { RunEnd, RunLog } from '../api/pipelines.js';
import { runEnded } from '../core/pipelines.js';
import { appendEvent, deployBus } from '../deploy/events.js';
import type { SseMessage } from '../platform/sse.js';
import { nowIso } from '../platform/time.js';
import { lockRun } from '../store/locks.js';
import type { Executor } from '../store/schema.js';
import { runBus } from './runs.js';

/** A stored line is cut here: a job printing megabytes on one line does not fill the store. */
const maxLine = 4000;

/** How a follower waits for a wake-up before it looks at the store again (the bus only wakes followers in this process). */
const recheckMs = 15_000;

export interface RunLine {
  job: string;
  stream: 'stdout' | 'stderr' | 'system';
  line: string;
}

/**
 * Appends lines to a run's log (and to its deployment's, for a release step); wakes its followers.
 * A run that is gone (its environment or project deleted, maybe while the lines were on their
 * way) takes nothing: the lines are dropped, no error. Locked with the run, so a deletion under
 * way either waits for them (and deletes them too) or they wait for it.
 */
export async function appendRunLines(db: Executor, run: { id: string; deployment_id: string | null; trigger_kind: string }, lines: RunLine[]): Promise<void> {
  if (lines.length === 0) return;
  const release = run.trigger_kind === 'release' ? run.deployment_id : null;
  const append = async (tx: Executor): Promise<boolean> => {
    if (!(await lockRun(tx, run.id))) return false;
    const last = await tx.selectFrom('pipeline_run_logs').select((eb) => eb.fn.max('seq').as('seq')).where('run_id', '=', run.id).executeTakeFirst();
    let seq = Number(last?.seq ?? 0);
    const at = nowIso();
    const rows = lines.map((l) => ({ run_id: run.id, seq: (seq += 1), job: l.job, stream: l.stream, line: l.line.slice(0, maxLine), at }));
    await tx.insertInto('pipeline_run_logs').values(rows).execute();
    if (release) {
      for (const l of lines) await appendEvent(tx, release, 'release', `[${l.job}] ${l.line}`, l.stream === 'stderr' ? 'warn' : 'info', { wake: false });
    }
    return true;
  };
  const stored = db.isTransaction ? await append(db) : await db.transaction().execute(append);
  if (!stored) return;
  // Followers are woken once the lines are committed (before, they would not see them).
  runBus.emit(run.id);
  if (release) deployBus.emit(release);
}

/** How many output lines (stdout and stderr) of `job` are stored: where a follow resumes after a restart. */
export async function storedOutputLines(db: Executor, runId: string, job: string): Promise<number> {
  const row = await db.selectFrom('pipeline_run_logs').select((eb) => eb.fn.countAll<number>().as('n')).where('run_id', '=', runId).where('job', '=', job).where('stream', '<>', 'system').executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function linesAfter(db: Executor, runId: string, after: number) {
  return db.selectFrom('pipeline_run_logs').select(['seq', 'job', 'stream', 'line', 'at']).where('run_id', '=', runId).where('seq', '>', after).orderBy('seq').limit(1000).execute();
}

/**
 * A run's log from after line `after`: `log` events whose id is the line's sequence number, then
 * `end` once the run has ended — or at once without `follow`.
 */
export async function* runLog(db: Executor, runId: string, after: number, follow: boolean, signal: AbortSignal): AsyncGenerator<SseMessage> {
  let last = after;
  let pending = false;
  let wake: (() => void) | undefined;
  const onWake = () => {
    pending = true;
    wake?.();
  };
  runBus.on(runId, onWake);
  try {
    while (!signal.aborted) {
      for (const l of await linesAfter(db, runId, last)) {
        yield { id: l.seq, event: 'log', data: { job: l.job, stream: l.stream as RunLog['stream'], line: l.line, at: l.at } satisfies RunLog };
        last = l.seq;
      }
      const run = await db.selectFrom('pipeline_runs').select(['status', 'error', 'logs_pruned_at']).where('id', '=', runId).executeTakeFirst();
      const end = { event: 'end', data: { status: run?.status ?? 'unknown', error: run?.error ?? null, logsPrunedAt: run?.logs_pruned_at ?? null } satisfies RunEnd };
      if (!follow) {
        yield end;
        return;
      }
      if (!run || runEnded(run.status)) {
        // Lines written just before the status changed are already out: the end is the end.
        if ((await linesAfter(db, runId, last)).length === 0) {
          yield end;
          return;
        }
        continue;
      }
      if (!pending) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            wake = undefined;
            resolve();
          };
          const timer = setTimeout(done, recheckMs);
          signal.addEventListener('abort', done, { once: true });
          wake = done;
        });
      }
      pending = false;
    }
  } finally {
    runBus.off(runId, onWake);
  }
}
