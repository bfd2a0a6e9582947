/**
 * The deploy engine: runs deployments on a target behind the edge proxy, one per environment at
 * a time, and makes every interrupted one end after a restart.
 *
 * `reconcile(environmentId)` is the controller's unit of work: it re-reads the store, takes the
 * environment's oldest unfinished deployment, claims it with a lease (renewed at every phase),
 * and runs it to an end. A deployment found `running` under an expired lease was cut off by a
 * crash: if traffic had already switched to the new release it is completed, otherwise the new
 * replicas are removed, traffic stays on (or goes back to) the old release, and it fails.
 *
 * @module
 */
import type { Logger } from 'pino';
import { containerName, releaseLabels } from '../core/deploy.js';
import type { ReleaseStatus } from '../core/releases.js';
import { resolveEnvironmentConfig } from '../config/config.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { setReleaseStatus } from '../releases/releases.js';
import { revealSecrets, type Keyring, type SecretVersions } from '../secrets/secrets.js';
import type { Db, DeploymentsTable } from '../store/schema.js';
import type { Principal } from '../tenancy/principal.js';
import { announceChange, appendEvent, deployBus } from './events.js';
import { activeDeployment, currentRelease } from './deployments.js';
import { rollout } from './rollout.js';
import { getSettings } from './settings.js';
import type { Edge, PullAuth, Replica, Target } from './target.js';

export interface EngineOptions {
  db: Db;
  keyring: Keyring;
  target: Target;
  edge: Edge;
  logger: Logger;
  /** This server's identity as a lease owner. */
  owner: string;
  /** `host:port` of Slipway's registry as the target reaches it. */
  registryHost: string;
  /** Credentials the target pulls with (a short-lived registry token for one repository). */
  pullAuth(repository: string): PullAuth;
  /** How long old replicas keep serving after the switch (default 2 s). */
  drainMs?: number;
  leaseMs?: number;
}

const system: Principal = { userId: 'system', tokenId: 'system', email: 'system', instanceAdmin: false, scope: null };

export const routeId = (environmentId: string) => `env-${environmentId}`;

/** The environment with its project and workspace, as the system sees it. */
export async function environmentAccess(db: Db, environmentId: string): Promise<EnvironmentAccess> {
  const environment = await db.selectFrom('environments').selectAll().where('id', '=', environmentId).executeTakeFirstOrThrow();
  const project = await db.selectFrom('projects').selectAll().where('id', '=', environment.project_id).executeTakeFirstOrThrow();
  const w = await db.selectFrom('workspaces').selectAll().where('id', '=', project.workspace_id).executeTakeFirstOrThrow();
  return { principal: system, role: 'owner', workspace: { id: w.id, name: w.name, tier: w.tier, createdAt: w.created_at, updatedAt: w.updated_at }, project, environment };
}

export class DeployEngine {
  constructor(private readonly o: EngineOptions) {}

  /** Environments with unfinished deployments (the controller's resync list). */
  async pending(): Promise<string[]> {
    const rows = await this.o.db.selectFrom('deployments').select('environment_id').distinct().where('status', 'in', ['queued', 'running']).execute();
    return rows.map((r) => r.environment_id);
  }

  /** Runs the environment's oldest unfinished deployment; asks to be called again if more wait. */
  async reconcile(environmentId: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number } | void> {
    const { db } = this.o;
    const next = await db.selectFrom('deployments').selectAll().where('environment_id', '=', environmentId).where('status', 'in', ['queued', 'running']).orderBy('created_at').executeTakeFirst();
    if (!next) return;
    const now = nowIso();
    if (next.status === 'running' && next.owner === this.o.owner) return; // ours, in progress
    if (next.status === 'running' && next.lease_until !== null && next.lease_until > now) return { requeueAfterMs: Date.parse(next.lease_until) - Date.parse(now) + 100 };
    const claimed = await db
      .updateTable('deployments')
      .set({ status: 'running', owner: this.o.owner, lease_until: this.leaseUntil(), heartbeat_at: now, started_at: next.started_at ?? now })
      .where('id', '=', next.id)
      .where('status', '=', next.status)
      .where((eb) => (next.owner === null ? eb('owner', 'is', null) : eb('owner', '=', next.owner)))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return { requeueAfterMs: 200 };
    if (next.status === 'queued') await this.announce(next, 'running');
    try {
      if (next.status === 'running') await this.recover(next);
      else await this.run(next, signal);
    } catch (error) {
      this.o.logger.error({ err: error, deployment: next.id }, 'deployment failed unexpectedly');
      await this.finish(next, 'failed', `internal error: ${(error as Error).message}`).catch(() => undefined);
    }
    return { requeueAfterMs: 0 };
  }

  private leaseUntil(): string {
    return new Date(Date.now() + (this.o.leaseMs ?? 30_000)).toISOString();
  }

  private log(d: DeploymentsTable, step: string, message: string, level = 'info'): Promise<unknown> {
    return appendEvent(this.o.db, d.id, step, message, level);
  }

  private async phase(d: DeploymentsTable, name: string): Promise<void> {
    await this.o.db.updateTable('deployments').set({ phase: name, heartbeat_at: nowIso(), lease_until: this.leaseUntil() }).where('id', '=', d.id).execute();
  }

  private async run(d: DeploymentsTable, signal: AbortSignal): Promise<void> {
    const { db, target } = this.o;
    const access = await environmentAccess(db, d.environment_id);
    const release = await db.selectFrom('releases').selectAll().where('id', '=', d.release_id).executeTakeFirstOrThrow();
    const settings = await getSettings(db, access);
    await setReleaseStatus(db, access, release.number, 'running');
    const repository = `${access.workspace.name}/${access.project.name}`;
    const image = `${this.o.registryHost}/${repository}@${release.image_digest}`;

    await this.phase(d, 'pull');
    await this.log(d, 'pull', `pulling ${image}`);
    await target.pull(image, this.o.pullAuth(repository));

    const config = await resolveEnvironmentConfig(db, access, release.config_version);
    const secrets = await revealSecrets(db, this.o.keyring, access.workspace.id, access.project.id, JSON.parse(release.secret_versions) as SecretVersions);
    const env: Record<string, string> = { PORT: String(settings.port) };
    for (const entry of config.entries) env[entry.key] = entry.value;
    Object.assign(env, secrets);
    await this.log(d, 'config', `config version ${release.config_version}: ${config.entries.length} key(s); ${Object.keys(secrets).length} secret(s) (values not shown)`);

    const ids = { workspace: access.workspace.name, project: access.project.name, environment: access.environment.name, environmentId: access.environment.id, release: release.number };
    const labels = releaseLabels(ids);
    const all = await target.list({ 'io.slipway.environment-id': access.environment.id });
    // Leftovers of this very release (an earlier attempt) go first; they are not serving.
    for (const stale of all.filter((r) => r.labels['io.slipway.release'] === String(release.number))) await target.remove(stale.name);
    const old = all.filter((r) => r.labels['io.slipway.release'] !== String(release.number));
    const replicas = Array.from({ length: settings.replicas }, (_, i) => ({
      name: containerName(ids, i + 1),
      image,
      env,
      labels,
      port: settings.port,
      memoryBytes: settings.memoryBytes,
      nanoCpus: settings.nanoCpus,
    }));
    if (settings.healthType === 'image' && !(await target.hasHealthcheck(image))) {
      await this.finish(d, 'failed', 'the environment checks readiness with the image HEALTHCHECK, but the image has none; use --health http or tcp');
      return;
    }
    const result = await rollout({
      target,
      edge: this.o.edge,
      routeId: routeId(access.environment.id),
      hosts: [settings.domain],
      replicas,
      old: old.filter((r) => r.running),
      strategy: settings.strategy,
      maxSurge: settings.maxSurge,
      readiness: { type: settings.healthType, path: settings.healthPath, timeoutSeconds: settings.healthTimeout },
      drainMs: this.o.drainMs ?? 2000,
      stopGraceSeconds: 10,
      log: async (step, message, level) => {
        await this.log(d, step, message, level);
      },
      phase: (name) => this.phase(d, name),
      signal,
    });
    // Stopped replicas of older releases are removed too: nothing is left orphaned.
    for (const r of old.filter((x) => !x.running)) await target.remove(r.name).catch(() => undefined);
    if (result.ok) await this.finish(d, 'succeeded', null);
    else await this.finish(d, 'failed', result.reason);
  }

  /** Ends a deployment cut off by a crash: completes it if traffic had switched, else undoes it. */
  private async recover(d: DeploymentsTable): Promise<void> {
    const { db, target, edge } = this.o;
    const access = await environmentAccess(db, d.environment_id);
    const settings = await getSettings(db, access);
    await this.log(d, 'recover', `this deployment was interrupted in phase '${d.phase}' (server restart); ending it`, 'warn');
    const all = await target.list({ 'io.slipway.environment-id': access.environment.id });
    const mine = (r: Replica) => r.labels['io.slipway.release'] === String(d.release_number);
    const fresh = all.filter(mine);
    const old = all.filter((r) => !mine(r));
    const switched = d.phase === 'drain' || d.phase === 'stop-old';
    const freshServing = fresh.filter((r) => r.running && r.address);
    if (switched && freshServing.length > 0) {
      await edge.setRoute(routeId(access.environment.id), [settings.domain], freshServing.map((r) => r.address!));
      for (const r of old) {
        await target.stop(r.name, 10).catch(() => undefined);
        await target.remove(r.name).catch(() => undefined);
      }
      await this.log(d, 'recover', 'traffic had switched to the new release: old replicas stopped, release completed');
      await this.finish(d, 'succeeded', null);
      return;
    }
    for (const r of fresh) await target.remove(r.name).catch(() => undefined);
    const serving = old.filter((r) => r.running && r.address);
    await edge.setRoute(routeId(access.environment.id), [settings.domain], serving.map((r) => r.address!));
    await this.log(d, 'recover', `new replicas removed; traffic stays on the previous release (${serving.length} replica(s))`);
    await this.finish(d, 'failed', 'interrupted by a server restart before traffic switched; the previous release keeps serving');
  }

  private async finish(d: DeploymentsTable, status: 'succeeded' | 'failed', error: string | null): Promise<void> {
    const { db } = this.o;
    const access = await environmentAccess(db, d.environment_id);
    const release = await db.selectFrom('releases').selectAll().where('id', '=', d.release_id).executeTakeFirstOrThrow();
    if (status === 'succeeded') {
      const previous = await currentRelease(db, d.environment_id);
      if (release.status === 'pending') await setReleaseStatus(db, access, release.number, 'running');
      if (release.status !== 'succeeded') await setReleaseStatus(db, access, release.number, 'succeeded');
      if (previous && previous.number !== release.number) await setReleaseStatus(db, access, previous.number, 'superseded');
    } else if (release.status === 'pending' || release.status === 'running') {
      await setReleaseStatus(db, access, release.number, 'failed' as ReleaseStatus, error ?? undefined);
    }
    await db.updateTable('deployments').set({ status, phase: status, error, finished_at: nowIso(), lease_until: null }).where('id', '=', d.id).execute();
    await this.log(d, 'done', status === 'succeeded' ? `release #${d.release_number} is live` : `release #${d.release_number} failed: ${error ?? ''}`, status === 'succeeded' ? 'info' : 'error');
    deployBus.emit(`env:${d.environment_id}`);
    await this.announce(d, status, access);
  }

  /**
   * Tells the workspace's change stream about the deployment's new status (and, when it ends,
   * about the promotion it runs, if any). Never throws: a lost announcement costs a refetch, a
   * throw here would leave a claimed deployment unfinished.
   */
  private async announce(d: DeploymentsTable, status: 'running' | 'succeeded' | 'failed', known?: EnvironmentAccess): Promise<void> {
    try {
      const access = known ?? (await environmentAccess(this.o.db, d.environment_id));
      const where = { project: access.project.name, environment: access.environment.name };
      announceChange(access.workspace.id, { kind: 'deployment', id: d.id, ...where, status });
      if (status === 'running') return;
      const promotions = await this.o.db.selectFrom('promotions').select('id').where('deployment_id', '=', d.id).execute();
      for (const p of promotions) announceChange(access.workspace.id, { kind: 'promotion', id: p.id, ...where, status });
    } catch (error) {
      this.o.logger.warn({ err: error, deployment: d.id }, 'could not announce a deployment change');
    }
  }

  /** Points every environment's route at the running replicas of its current release. */
  async reconcileRoutes(): Promise<void> {
    const { db, target, edge } = this.o;
    const environments = await db.selectFrom('releases').select('environment_id').distinct().where('status', '=', 'succeeded').execute();
    for (const { environment_id } of environments) {
      // An environment in the middle of a deploy is left to that deploy's recovery.
      if (await activeDeployment(db, environment_id)) continue;
      const access = await environmentAccess(db, environment_id);
      const release = await currentRelease(db, environment_id);
      if (!release) continue;
      const settings = await getSettings(db, access);
      const running = await target.list({ 'io.slipway.environment-id': environment_id, 'io.slipway.release': String(release.number) });
      await edge.setRoute(routeId(environment_id), [settings.domain], running.flatMap((r) => (r.running && r.address ? [r.address] : [])));
    }
  }
}
