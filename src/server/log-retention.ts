/**
 * Log retention (`slipway server --keep-logs DAYS`; 0, the default, keeps every log): the step
 * logs of deployments, the output of pipeline runs and the step logs of herd upgrades' sites go
 * once what they belong to ended more than DAYS ago. The records themselves stay (a deployment,
 * its release and rollback point, a run with its jobs' statuses and exit codes, an upgrade with
 * each site's outcome), and so does the audit log; each parent whose lines went says when in
 * `logs_pruned_at`, which the API answers as `logsPrunedAt`. Runs hourly, in batches of parents, so one
 * pass never holds the store for long.
 *
 * @module
 */
import type { Logger } from 'pino';
import type { Db } from '../store/schema.js';

export interface PrunedLogs {
  /** Parents whose log lines went: deployments, pipeline runs, herd upgrades. */
  deployments: number;
  runs: number;
  upgrades: number;
  /** Log lines removed in all. */
  lines: number;
}

/** Each kind of log: the table of what it belongs to, the log table, and the column naming the parent. */
const kinds = [
  { out: 'deployments', parents: 'deployments', logs: 'deploy_events', parent: 'deployment_id' },
  { out: 'runs', parents: 'pipeline_runs', logs: 'pipeline_run_logs', parent: 'run_id' },
  { out: 'upgrades', parents: 'herd_upgrades', logs: 'herd_site_events', parent: 'upgrade_id' },
] as const;

/**
 * Removes the logs of what ended before `before` (an ISO time), `batch` parents of a kind at a
 * time, and marks each of those parents with when (`logs_pruned_at`, in the same transaction).
 */
export async function pruneLogs(db: Db, before: string, batch = 200): Promise<PrunedLogs> {
  const now = new Date().toISOString();
  const out: PrunedLogs = { deployments: 0, runs: 0, upgrades: 0, lines: 0 };
  for (const k of kinds) {
    for (;;) {
      // The three kinds share the columns used here (id, finished_at; seq and the parent's id): typed as the first.
      const rows = await db
        .selectFrom(`${k.parents} as p` as 'deployments as p')
        .select('p.id')
        .where('p.finished_at', '<', before)
        .where((eb) => eb.exists(eb.selectFrom(`${k.logs} as l` as 'deploy_events as l').select('l.seq').whereRef(`l.${k.parent}` as 'l.deployment_id', '=', 'p.id')))
        .limit(batch)
        .execute();
      if (rows.length === 0) break;
      const ids = rows.map((row) => row.id);
      // The lines go and the parents say when, together: a log never reads as empty without the marker.
      const deleted = await db.transaction().execute(async (tx) => {
        await tx
          .updateTable(k.parents as 'deployments')
          .set({ logs_pruned_at: now })
          .where('id', 'in', ids)
          .execute();
        return tx.deleteFrom(k.logs as 'deploy_events').where(k.parent as 'deployment_id', 'in', ids).executeTakeFirst();
      });
      out[k.out] += rows.length;
      out.lines += Number(deleted.numDeletedRows);
    }
  }
  return out;
}

/** Prunes a minute after the start and then every hour; 0 days: never. Returns the stop. */
export function scheduleLogRetention(db: Db, days: number, logger: Logger): () => void {
  if (days === 0) return () => undefined;
  let running = false;
  const pass = () => {
    if (running) return;
    running = true;
    pruneLogs(db, new Date(Date.now() - days * 86_400_000).toISOString())
      .then((r) => {
        if (r.lines > 0) logger.info({ ...r, keepDays: days }, 'old logs removed (--keep-logs)');
      })
      .catch((error: unknown) => logger.error({ err: error }, 'removing old logs failed'))
      .finally(() => {
        running = false;
      });
  };
  const first = setTimeout(pass, 60_000);
  const timer = setInterval(pass, 3600_000);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
