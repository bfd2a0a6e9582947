/**
 * What runs, as the targets report it, kept in the store (`environment_observed`) so that status
 * pages read one query instead of asking every target, and the edge's routes restored from it at
 * start. One sweep lists every workload of a target in one call, whatever the number of
 * environments.
 *
 * @module
 */
import type { Logger } from 'pino';
import { effectiveSettings, workloadName, type StoredSettings } from '../core/deploy.js';
import { nowIso } from '../platform/time.js';
import type { Db } from '../store/schema.js';
import { INSTANCE_LABEL, routeId } from './spec.js';
import type { Placements, ReplicaStatus, Target, WorkloadStatus } from './target.js';

interface Running {
  environmentId: string;
  releaseNumber: number;
  domain: string;
  desired: number;
  target: string;
  workload: string;
}

/** Every environment whose current release should run, with no deployment under way. */
async function runningReleases(db: Db): Promise<Running[]> {
  const rows = await db
    .selectFrom('releases as r')
    .innerJoin('environments as e', 'e.id', 'r.environment_id')
    .innerJoin('projects as p', 'p.id', 'e.project_id')
    .innerJoin('workspaces as w', 'w.id', 'p.workspace_id')
    .leftJoin('environment_settings as s', 's.environment_id', 'e.id')
    .select(['r.environment_id', 'r.number', 'e.name as environment', 'p.name as project', 'w.name as workspace', 's.data'])
    .where('r.status', '=', 'succeeded')
    .where((eb) => eb.not(eb.exists(eb.selectFrom('deployments as d').select('d.id').whereRef('d.environment_id', '=', 'r.environment_id').where('d.status', 'in', ['queued', 'running', 'cancelling']))))
    .execute();
  return rows.map((r) => {
    const names = { workspace: r.workspace, project: r.project, environment: r.environment };
    const settings = effectiveSettings(names, r.data ? (JSON.parse(r.data) as StoredSettings) : {});
    return { environmentId: r.environment_id, releaseNumber: r.number, domain: settings.domain, desired: settings.replicas, target: settings.target, workload: workloadName({ ...names, release: r.number }) };
  });
}

async function removeOrphans(db: Db, target: Target, workloads: WorkloadStatus[], logger: Logger): Promise<void> {
  const ids = [...new Set(workloads.map((w) => w.labels['io.slipway.environment-id']).filter((x): x is string => !!x))];
  if (ids.length === 0) return;
  const known = new Set((await db.selectFrom('environments').select('id').where('id', 'in', ids).execute()).map((e) => e.id));
  for (const w of workloads) {
    const env = w.labels['io.slipway.environment-id'];
    if (!env || known.has(env) || w.replicas === 0) continue;
    logger.warn({ workload: w.name, environment: env }, 'removing a workload whose environment no longer exists');
    await target.remove(w.name, 10);
  }
}

/** Stores what runs of an environment's release; returns its running replicas. */
export async function recordObservation(db: Db, environmentId: string, releaseNumber: number, desired: number, w: WorkloadStatus | null): Promise<ReplicaStatus[]> {
  const running = w?.instances.filter((i) => i.state === 'running' && i.address) ?? [];
  const ready = running.filter((i) => i.ready).length;
  const message = running.length < desired ? (w?.instances.find((i) => i.state !== 'running')?.message ?? `${running.length} of ${desired} replica(s) run`) : ready < desired ? (running.find((i) => !i.ready)?.message ?? `${ready} of ${desired} replica(s) ready`) : null;
  const row = { release_number: releaseNumber, desired, running: running.length, ready, message, observed_at: nowIso() };
  await db
    .insertInto('environment_observed')
    .values({ environment_id: environmentId, ...row })
    .onConflict((oc) => oc.column('environment_id').doUpdateSet(row))
    .execute();
  return running;
}

/**
 * Looks at every target once and stores what each environment's current release runs;
 * optionally points the edge at it. Workloads of this instance whose environment no longer exists
 * (a deletion cut off by a crash) are removed.
 */
export async function sweep(db: Db, placements: Placements, logger: Logger, options: { restoreRoutes: boolean; instance: string }): Promise<number> {
  const envs = await runningReleases(db);
  const byTarget = new Map<string, Map<string, WorkloadStatus>>();
  for (const name of new Set([...envs.map((e) => e.target), ...placements.names()])) {
    try {
      const target = placements.resolve(name).target;
      const workloads = await target.list({ [INSTANCE_LABEL]: options.instance });
      byTarget.set(name, new Map(workloads.map((w) => [w.name, w])));
      await removeOrphans(db, target, workloads, logger);
    } catch (error) {
      logger.warn({ err: error, target: name }, 'cannot observe a target; its environments keep their last observation');
    }
  }
  let seen = 0;
  for (const env of envs) {
    const workloads = byTarget.get(env.target);
    if (!workloads) continue;
    const running = await recordObservation(db, env.environmentId, env.releaseNumber, env.desired, workloads.get(env.workload) ?? null);
    seen += 1;
    if (options.restoreRoutes && running.length > 0) {
      const placement = placements.resolve(env.target);
      await placement.edge.setRoute(routeId(env.environmentId), [env.domain], running.map((i) => i.address!)).catch((error: unknown) => logger.warn({ err: error, environment: env.environmentId }, 'could not restore a route'));
    }
  }
  return seen;
}
