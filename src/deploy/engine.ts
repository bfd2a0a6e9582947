/**
 * The deploy engine: moves every environment with an unfinished deployment one step further per
 * reconcile, on the target and edge of the environment's placement, without ever waiting inside
 * a reconcile.
 *
 * `reconcile(environmentId)` is the controller's unit of work, level-based: it re-reads the
 * environment's unfinished deployments (a `cancelling` one first, then the queued or running
 * one), claims it (a lease stamped with a fencing token), observes the target (the new workload
 * and the environment's other workloads) and the edge (requests in flight while draining), asks
 * the pure rollout machine (core/rollout.ts) what to do, does it, stores the next phase with a
 * write that only succeeds while the fence still holds, and asks to be called again when there
 * is something to wait for. The lease is renewed by a heartbeat of its own, independent of
 * phases. A deployment whose owner died is claimed by the next server (its lease lapses) and
 * continues from its stored phase: every action is idempotent and every name deterministic.
 *
 * @module
 */
import type { Logger } from 'pino';
import { effectiveSettings, workloadName, type EnvironmentSettings, type StoredSettings } from '../core/deploy.js';
import { step, type DeploymentKind, type ObservedWorkload, type Phase, type RolloutState, type StepOutcome } from '../core/rollout.js';
import { RowClaims, renewLeasesEvery } from '../controllers/index.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { Keyring } from '../secrets/secrets.js';
import type { Db, DeploymentsTable, ReleasesTable } from '../store/schema.js';
import type { Principal } from '../tenancy/principal.js';
import { unfinished } from './deployments.js';
import { announceChange, appendEvent, deployBus } from './events.js';
import { finishDeployment } from './finish.js';
import { recordObservation } from './observe.js';
import { storedSettings } from './settings.js';
import { releaseIds, routeId, workloadSpec, type RegistryAccess } from './spec.js';
import type { Placement, Placements, WorkloadStatus } from './target.js';
import { projectManifest } from '../pipelines/manifest-read.js';
import { cancelRun, releaseRunOf, startReleaseRun } from '../pipelines/runs.js';

export interface EngineOptions {
  db: Db;
  keyring: Keyring;
  logger: Logger;
  /** This server's identity as a lease owner. */
  owner: string;
  placements: Placements;
  registry: RegistryAccess;
  /** This instance's id, on every workload it makes. */
  instance: string;
  /** Shortest drain after a switch. @default 500 */
  drainMinMs?: number;
  /** Longest drain. @default 30_000 */
  drainCapMs?: number;
  /** @default 30_000 */
  leaseMs?: number;
  /** Called when a deployment's end opened a health gate (deploy/health-gate.ts), so its bake is watched at once. */
  onHealthGate?: (gateId: string) => void;
}

const system: Principal = { userId: 'system', tokenId: 'system', email: 'system', instanceAdmin: false, scope: null };

/** The environment with its project and workspace, as the system sees it. */
export async function environmentAccess(db: Db, environmentId: string): Promise<EnvironmentAccess> {
  const row = await db
    .selectFrom('environments as e')
    .innerJoin('projects as p', 'p.id', 'e.project_id')
    .innerJoin('workspaces as w', 'w.id', 'p.workspace_id')
    .selectAll('e')
    .select(['w.id as w_id', 'w.name as w_name', 'w.tier as w_tier', 'w.created_at as w_created', 'w.updated_at as w_updated'])
    .where('e.id', '=', environmentId)
    .executeTakeFirstOrThrow();
  const project = await db.selectFrom('projects').selectAll().where('id', '=', row.project_id).executeTakeFirstOrThrow();
  const { w_id, w_name, w_tier, w_created, w_updated, ...environment } = row;
  return { principal: system, role: 'owner', workspace: { id: w_id, name: w_name, tier: w_tier, createdAt: w_created, updatedAt: w_updated }, project, environment };
}

/** Everything one step needs, read fresh at every reconcile. */
interface Context {
  d: DeploymentsTable;
  fence: number;
  access: EnvironmentAccess;
  settings: EnvironmentSettings;
  release: ReleasesTable;
  placement: Placement;
}

export class DeployEngine {
  /** Deployments this server holds, with the fence of its claim. */
  readonly #claims: RowClaims;
  readonly #stopRenewing: () => void;

  constructor(private readonly o: EngineOptions) {
    this.#claims = new RowClaims(o.owner);
    // Renews the lease of every deployment this server holds, whatever phase it is in.
    this.#stopRenewing = renewLeasesEvery(this.leaseMs, () => this.#renew(), (error) => o.logger.warn({ err: error }, 'renewing deployment leases failed'));
  }

  get leaseMs(): number {
    return this.o.leaseMs ?? 30_000;
  }

  stop(): void {
    this.#stopRenewing();
  }

  /** Environments with unfinished deployments (the controller's resync list). */
  async pending(): Promise<string[]> {
    const rows = await this.o.db.selectFrom('deployments').select('environment_id').distinct().where('status', 'in', [...unfinished]).execute();
    return rows.map((r) => r.environment_id);
  }

  /** One step of the environment's unfinished deployment; asks to be called again while it waits. */
  async reconcile(environmentId: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number } | void> {
    const rows = await this.o.db.selectFrom('deployments').selectAll().where('environment_id', '=', environmentId).where('status', 'in', [...unfinished]).orderBy('created_at').execute();
    // A superseded deployment ends before the one that superseded it starts.
    const d = rows.find((r) => r.status === 'cancelling') ?? rows.find((r) => r.status === 'running') ?? rows[0];
    if (!d || signal.aborted) return;
    const fence = await this.#claim(d);
    if (fence === null) {
      const left = d.lease_until ? Date.parse(d.lease_until) - Date.now() : 0;
      return { requeueAfterMs: Math.max(200, left + 100) };
    }
    let ctx: Context;
    try {
      ctx = await this.#context({ ...d, fence, status: d.status === 'queued' ? 'running' : d.status });
    } catch (error) {
      await this.#end(d, fence, 'failed', `cannot start: ${(error as Error).message}`);
      return { requeueAfterMs: 0 };
    }
    // Several instant steps in a row, then a wait: a step that needs nothing to happen first goes on at once.
    for (let i = 0; i < 8 && !signal.aborted; i += 1) {
      const outcome = await this.#step(ctx);
      if (outcome === 'lost') return;
      if (outcome.end) return { requeueAfterMs: 0 };
      if (outcome.requeueAfterMs > 0) return { requeueAfterMs: outcome.requeueAfterMs };
      const row = await this.o.db.selectFrom('deployments').selectAll().where('id', '=', d.id).executeTakeFirst();
      if (!row || row.fence !== fence) return;
      ctx = { ...ctx, d: row };
    }
    return { requeueAfterMs: 0 };
  }

  async #claim(d: DeploymentsTable): Promise<number | null> {
    const now = nowIso();
    const first = d.status === 'queued';
    const claim = await this.#claims.claim(d, now, async (fence) => {
      const result = await this.o.db
        .updateTable('deployments')
        .set({
          owner: this.o.owner,
          fence,
          lease_until: new Date(Date.now() + this.leaseMs).toISOString(),
          heartbeat_at: now,
          ...(first ? { status: 'running', phase: 'prepare', started_at: now, phase_started_at: now } : {}),
        })
        .where('id', '=', d.id)
        .where('fence', '=', d.fence)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
    if (!claim?.taken) return claim?.fence ?? null;
    if (first) {
      const access = await environmentAccess(this.o.db, d.environment_id);
      announceChange(access.workspace.id, { kind: 'deployment', id: d.id, project: access.project.name, environment: access.environment.name, status: 'running' });
    } else if (d.owner !== null) {
      await this.#log(d, 'recover', `continuing from phase '${d.phase}' after a restart of the control plane`, 'warn');
    }
    return claim.fence;
  }

  async #renew(): Promise<void> {
    if (this.#claims.size === 0) return;
    await this.o.db
      .updateTable('deployments')
      .set({ lease_until: new Date(Date.now() + this.leaseMs).toISOString(), heartbeat_at: nowIso() })
      .where('owner', '=', this.o.owner)
      .where('status', 'in', ['running', 'cancelling'])
      .execute();
  }

  async #context(d: DeploymentsTable & { fence: number }): Promise<Context> {
    const access = await environmentAccess(this.o.db, d.environment_id);
    const settings = effectiveSettings({ workspace: access.workspace.name, project: access.project.name, environment: access.environment.name }, (await storedSettings(this.o.db, d.environment_id)) as StoredSettings);
    const release = await this.o.db.selectFrom('releases').selectAll().where('id', '=', d.release_id).executeTakeFirstOrThrow();
    const placement = this.o.placements.resolve(d.target);
    return { d, fence: d.fence, access, settings, release, placement };
  }

  async #step(ctx: Context): Promise<StepOutcome | 'lost'> {
    const { d, settings, placement } = ctx;
    const kind: DeploymentKind = d.kind === 'scale' ? 'scale' : 'release';
    const state = JSON.parse(d.state) as RolloutState & { replicas?: number };
    const replicas = kind === 'scale' ? (state.replicas ?? settings.replicas) : settings.replicas;
    const workload = workloadName(releaseIds(ctx.access, ctx.release.number));
    const all = await placement.target.list({ 'io.slipway.environment-id': d.environment_id });
    const fresh = all.find((w) => w.name === workload) ?? null;
    const phase = (d.phase === 'queued' ? 'prepare' : d.phase) as Phase;
    const inFlight = phase === 'drain' && placement.edge.inFlight ? await placement.edge.inFlight(state.draining ?? []).catch(() => null) : null;
    // The release step (manifest `release:`): read when the rollout prepares, its run while it waits for it.
    const releaseJobs = kind === 'release' && phase === 'prepare' ? ((await projectManifest(this.o.db, ctx.access.project.id))?.release?.jobs ?? []) : [];
    const releaseRun = phase === 'release' ? ((await releaseRunOf(this.o.db, d.id)) ?? null) : null;
    const outcome = step({
      kind,
      strategy: settings.strategy,
      phase,
      state,
      phaseAgeMs: d.phase_started_at ? Date.now() - Date.parse(d.phase_started_at) : 0,
      cancelling: d.status === 'cancelling',
      supersededBy: d.superseded_by,
      replicas,
      maxSurge: settings.maxSurge,
      healthTimeoutMs: settings.healthTimeout * 1000,
      drainMinMs: this.o.drainMinMs ?? 500,
      drainCapMs: this.o.drainCapMs ?? 30_000,
      workload,
      fresh: fresh && observed(fresh),
      others: all.filter((w) => w.name !== workload).map(observed),
      inFlight,
      releaseJobs: releaseJobs.length,
      releaseRun: releaseRun && { id: releaseRun.id, status: releaseRun.status, error: releaseRun.error },
    });
    for (const action of outcome.actions) {
      if (action.type === 'log') await this.#log(d, action.step, action.message, action.level);
      else if (action.type === 'apply') await placement.target.apply(await workloadSpec(this.o.db, this.o.keyring, this.o.registry, this.o.instance, ctx.access, ctx.release, settings, action.replicas));
      else if (action.type === 'remove') await placement.target.remove(action.workload, 10);
      else if (action.type === 'start-release') await this.#startRelease(ctx);
      else if (action.type === 'cancel-release') {
        const run = await releaseRunOf(this.o.db, d.id);
        if (run) await cancelRun(this.o.db, run, `deployment ${d.id} (superseded)`).catch(() => undefined);
      }
      else if (action.upstreams.length > 0) await placement.edge.setRoute(routeId(d.environment_id), [settings.domain], action.upstreams);
      else await placement.edge.removeRoute(routeId(d.environment_id));
    }
    if (outcome.end) {
      // Observed before the end is announced: whoever refetches the status on that news sees it.
      if (outcome.end.status === 'succeeded') {
        await this.#leaveOtherTargets(d);
        const now = await placement.target.observe(workload).catch(() => null);
        await recordObservation(this.o.db, d.environment_id, ctx.release.number, replicas, now).catch((error: unknown) => this.o.logger.warn({ err: error }, 'could not store an observation'));
      }
      await this.#end(d, ctx.fence, outcome.end.status, outcome.end.error);
      return outcome;
    }
    const now = nowIso();
    const samePhase = outcome.phase === phase && !outcome.restartPhase;
    const stored = await this.o.db
      .updateTable('deployments')
      .set({ phase: outcome.phase, state: JSON.stringify({ ...outcome.state, ...(kind === 'scale' ? { replicas } : {}) }), heartbeat_at: now, ...(samePhase ? {} : { phase_started_at: now }) })
      .where('id', '=', d.id)
      .where('fence', '=', ctx.fence)
      .executeTakeFirst();
    if (Number(stored.numUpdatedRows) === 0) return this.#lost(d);
    if (!samePhase) deployBus.emit(`env:${d.environment_id}`);
    return outcome;
  }

  /** Starts the deployment's release-step run with the jobs the manifest has now (once per deployment). */
  async #startRelease(ctx: Context): Promise<void> {
    const jobs = (await projectManifest(this.o.db, ctx.access.project.id))?.release?.jobs ?? [];
    const run = await startReleaseRun(this.o.db, ctx.access, ctx.d.id, ctx.release.image_digest, jobs, null);
    await this.#log(ctx.d, 'release', `release step run ${run.id}: ${jobs.map((j) => j.name).join(', ') || 'no job'} (logs: slipway pipeline logs ${run.id})`);
  }

  /**
   * After an environment moved (its release is live on its new target), what it ran on the
   * targets of its earlier deployments goes: workloads stopped (gracefully) and the route removed.
   */
  async #leaveOtherTargets(d: DeploymentsTable): Promise<void> {
    const members = (name: string) => this.o.placements.members?.(name) ?? [name];
    const now = new Set(members(d.target));
    const earlier = await this.o.db.selectFrom('deployments').select('target').distinct().where('environment_id', '=', d.environment_id).where('target', '!=', d.target).execute();
    // Each single target the environment used before and does not use now (a server of a spread stays).
    const left = new Set(earlier.flatMap(({ target }) => members(target)).filter((t) => !now.has(t)));
    for (const target of left) {
      try {
        const placement = this.o.placements.resolve(target);
        const workloads = await placement.target.list({ 'io.slipway.environment-id': d.environment_id });
        for (const w of workloads) await placement.target.remove(w.name, 10);
        await placement.edge.removeRoute(routeId(d.environment_id));
        if (workloads.length > 0) await this.#log(d, 'move', `left '${target}': ${workloads.length} workload(s) stopped there, its route removed`, 'info');
      } catch (error) {
        this.o.logger.warn({ err: error, target, environment: d.environment_id }, 'could not clear an environment from its previous target');
      }
    }
  }

  #lost(d: DeploymentsTable): 'lost' {
    this.#claims.release(d.id);
    this.o.logger.warn({ deployment: d.id }, 'another server took this deployment over; leaving it');
    return 'lost';
  }

  async #end(d: DeploymentsTable, fence: number, status: 'succeeded' | 'failed' | 'cancelled', error: string | null): Promise<void> {
    this.#claims.release(d.id);
    const message = status === 'succeeded' ? (d.kind === 'scale' ? `release #${d.release_number} is live, scaled` : `release #${d.release_number} is live`) : `release #${d.release_number} ${status}: ${error ?? ''}`;
    const ended = await finishDeployment(this.o.db, d, fence, status, error, { step: 'done', message, level: status === 'succeeded' ? 'info' : status === 'cancelled' ? 'warn' : 'error' });
    if (!ended) return void this.#lost(d);
    deployBus.emit(d.id);
    deployBus.emit(`env:${d.environment_id}`);
    if (ended.gate) this.o.onHealthGate?.(ended.gate);
    try {
      const access = await environmentAccess(this.o.db, d.environment_id);
      const where = { project: access.project.name, environment: access.environment.name };
      announceChange(access.workspace.id, { kind: 'deployment', id: d.id, ...where, status });
      for (const p of ended.promotions) announceChange(access.workspace.id, { kind: 'promotion', id: p, ...where, status: ended.gate ? 'baking' : status });
    } catch (e) {
      this.o.logger.warn({ err: e, deployment: d.id }, 'could not announce a deployment change');
    }
  }

  #log(d: DeploymentsTable, step: string, message: string, level = 'info'): Promise<unknown> {
    return appendEvent(this.o.db, d.id, step, message, level);
  }
}

function observed(w: WorkloadStatus): ObservedWorkload {
  return { name: w.name, instances: w.instances };
}
