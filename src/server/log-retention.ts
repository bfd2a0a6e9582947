/**
 * Log retention (`slipway server --keep-logs DAYS`; 0, the default, keeps every log): the step
 * logs of deployments, the output of pipeline runs and the step logs of herd upgrades' sites go
 * once what they belong to ended more than DAYS ago. The records themselves stay (a deployment,
 * its release and rollback point, a run with its jobs' statuses and exit codes, an upgrade with
 * each site's outcome), and so does the audit log. Runs hourly, in batches of parents, so one
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

/** Removes the logs of what ended before `before` (an ISO time), `batch` parents of a kind at a time. */
export async function pruneLogs(db: Db, before: string, batch = 200): Promise<PrunedLogs> {
  const out: PrunedLogs = { deployments: 0, runs: 0, upgrades: 0, lines: 0 };
  for (;;) {
    const ids = (await db.selectFrom('deployments as d').select('d.id').where('d.finished_at', '<', before).where((eb) => eb.exists(eb.selectFrom('deploy_events as e').select('e.seq').whereRef('e.deployment_id', '=', 'd.id'))).limit(batch).execute()).map((r) => r.id);
    if (ids.length === 0) break;
    const r = await db.deleteFrom('deploy_events').where('deployment_id', 'in', ids).executeTakeFirst();
    out.deployments += ids.length;
    out.lines += Number(r.numDeletedRows);
  }
  for (;;) {
    const ids = (await db.selectFrom('pipeline_runs as r').select('r.id').where('r.finished_at', '<', before).where((eb) => eb.exists(eb.selectFrom('pipeline_run_logs as l').select('l.seq').whereRef('l.run_id', '=', 'r.id'))).limit(batch).execute()).map((r) => r.id);
    if (ids.length === 0) break;
    const r = await db.deleteFrom('pipeline_run_logs').where('run_id', 'in', ids).executeTakeFirst();
    out.runs += ids.length;
    out.lines += Number(r.numDeletedRows);
  }
  for (;;) {
    const ids = (await db.selectFrom('herd_upgrades as u').select('u.id').where('u.finished_at', '<', before).where((eb) => eb.exists(eb.selectFrom('herd_site_events as e').select('e.seq').whereRef('e.upgrade_id', '=', 'u.id'))).limit(batch).execute()).map((r) => r.id);
    if (ids.length === 0) break;
    const r = await db.deleteFrom('herd_site_events').where('upgrade_id', 'in', ids).executeTakeFirst();
    out.upgrades += ids.length;
    out.lines += Number(r.numDeletedRows);
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
