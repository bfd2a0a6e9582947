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
import { routeId } from './spec.js';
import type { Placements, ReplicaStatus, WorkloadStatus } from './target.js';

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

/** Stores what runs of an environment's release; returns its running replicas. */
export async function recordObservation(db: Db, environmentId: string, releaseNumber: number, desired: number, w: WorkloadStatus | null): Promise<ReplicaStatus[]> {
  const running = w?.instances.filter((i) => i.state === 'running' && i.address) ?? [];
  const ready = running.filter((i) => i.ready).length;
  const message = running.length < desired ? (w?.instances.find((i) => i.state !== 'running')?.message ?? `${running.length} of ${desired} replica(s) run`) : null;
  const row = { release_number: releaseNumber, desired, running: running.length, ready, message, observed_at: nowIso() };
  await db
    .insertInto('environment_observed')
    .values({ environment_id: environmentId, ...row })
    .onConflict((oc) => oc.column('environment_id').doUpdateSet(row))
    .execute();
  return running;
}

/** Looks at every target once and stores what each environment's current release runs; optionally points the edge at it. */
export async function sweep(db: Db, placements: Placements, logger: Logger, options: { restoreRoutes: boolean }): Promise<number> {
  const envs = await runningReleases(db);
  const byTarget = new Map<string, Map<string, WorkloadStatus>>();
  for (const name of new Set(envs.map((e) => e.target))) {
    try {
      const workloads = await placements.resolve(name).target.list({ 'io.slipway.managed': 'true' });
      byTarget.set(name, new Map(workloads.map((w) => [w.name, w])));
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
