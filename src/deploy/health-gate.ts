/**
 * The health gate's controller: watches each release that switched traffic in an environment with
 * a health gate for its bake time, and rolls it back when it fails.
 *
 * What it measures, for each baking gate:
 * - real traffic: the requests the edge served for the environment's domain, from its access log
 *   (switched on for that host during the bake only; edge/access-log.ts), a 5xx counting as failed;
 * - requests through the edge: a steady stream of probes (GET the gate's path on the
 *   environment's domain, sent to the edge's own listener, so they pass the same route, proxy and
 *   upstreams as a client's), five a second; a 5xx, a refused or reset connection and a timeout
 *   count as failed, any other answer as served;
 * - readiness: the release's replicas as its target observes them (the target's health check).
 *
 * `reconcile(gateId)` is short and never waits: it claims the gate (lease and fencing token, like
 * the deploy engine), makes sure a prober runs for it on this server, adds what the prober counted
 * since the last reconcile to the stored counts (a write that only succeeds while its fence
 * holds), observes the replicas, and asks the pure verdict (core/gates.ts) what to do. Passed: the
 * gate and its promotion end in one transaction. Failed: in one transaction the gate ends, the
 * release is marked failed with the reason, its promotion fails, and a rollback to the previous
 * release is requested (superseding anything queued; no approval: the gate acts for the system;
 * an audit record says so). A restart of the control plane loses at most the counts of one
 * interval: the bake's start and the counts so far are stored, the next process claims the gate
 * and starts probing again.
 *
 * @module
 */
import type { Logger } from 'pino';
import { parseStoredVolumes } from '../core/volumes.js';
import { systemActor, recordAudit } from '../audit/audit.js';
import { judgeHealth, type HealthGate } from '../core/gates.js';
import { workloadName } from '../core/deploy.js';
import { RowClaims } from '../controllers/index.js';
import { nowIso } from '../platform/time.js';
import type { Keyring } from '../secrets/secrets.js';
import type { Db, Executor, HealthGatesTable } from '../store/schema.js';
import type { SecretVersions } from '../secrets/secrets.js';
import { requestDeploy } from './deployments.js';
import { environmentAccess } from './engine.js';
import { announceChange, appendEvent } from './events.js';
import { restoreSnapshot } from './promotions.js';
import { rollbackTarget } from './queries.js';
import { getSettings } from './settings.js';
import { releaseIds } from './spec.js';
import type { Edge, Placements } from './target.js';

/**
 * Five probes a second: enough requests for a verdict within two seconds (MIN_SAMPLE), a
 * negligible load on any app (one request at a time, 5 rps), and steady, so the rate of failed
 * probes is the rate a client sees. No jitter: one stream per gate against its own app.
 */
export const PROBE_EVERY_MS = 200;
/** A probe that takes longer than this counts as failed (the app hangs, or the edge cannot reach it). */
export const PROBE_TIMEOUT_MS = 2_000;
/** Between reconciles of a baking gate: the verdict is at most this late. */
export const GATE_POLL_MS = 250;

export interface HealthGateOptions {
  db: Db;
  keyring: Keyring;
  logger: Logger;
  owner: string;
  placements: Placements;
  /** Starts the rollback deployment the gate requested. */
  enqueueDeploy(environmentId: string): void;
  /** @default 30_000 */
  leaseMs?: number;
  /** @default PROBE_EVERY_MS */
  probeEveryMs?: number;
}

interface Prober {
  /** Probes sent and failed since the last reconcile took them. */
  requests: number;
  errors: number;
  /** Real traffic served since the last reconcile (the edge's access log); absent when the edge cannot tell. */
  traffic?: () => { requests: number; errors: number };
  stop(): void;
}

export class HealthGates {
  readonly #probers = new Map<string, Prober>();
  readonly #claims: RowClaims;

  constructor(private readonly o: HealthGateOptions) {
    this.#claims = new RowClaims(o.owner);
  }

  get leaseMs(): number {
    return this.o.leaseMs ?? 30_000;
  }

  /** Gates still baking (the controller's resync list). */
  async pending(): Promise<string[]> {
    const rows = await this.o.db.selectFrom('health_gates').select('id').where('status', '=', 'baking').execute();
    return rows.map((r) => r.id);
  }

  stop(): void {
    for (const p of this.#probers.values()) p.stop();
    this.#probers.clear();
  }

  async reconcile(id: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number } | void> {
    const row = await this.o.db.selectFrom('health_gates').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.status !== 'baking' || signal.aborted) return this.#forget(id);
    const fence = await this.#claim(row);
    if (fence === null) {
      const left = row.lease_until ? Date.parse(row.lease_until) - Date.now() : 0;
      return { requeueAfterMs: Math.max(GATE_POLL_MS, left + 100) };
    }
    const access = await environmentAccess(this.o.db, row.environment_id);
    const settings = await getSettings(this.o.db, access);
    const config = JSON.parse(row.config) as HealthGate;
    const placement = this.o.placements.resolve(settings.target);

    // A newer release of the environment (a deploy, a rollback) ends the bake: there is nothing left to judge.
    const newer = await this.o.db.selectFrom('deployments').select(['id', 'release_number']).where('environment_id', '=', row.environment_id).where('kind', '=', 'release').where('release_number', '>', row.release_number).where('status', '!=', 'cancelled').orderBy('release_number', 'desc').executeTakeFirst();
    if (newer) return this.#cancel(row, fence, `release #${newer.release_number} (deployment ${newer.id}) replaced it before its bake ended`);

    const prober = this.#prober(row, config, settings.domain, placement.edge);
    const workload = await placement.target.observe(workloadName(releaseIds(access, row.release_number))).catch(() => undefined);
    const ready = workload === undefined ? null : (workload?.instances.filter((i) => i.ready).length ?? 0);
    const now = Date.now();
    const short = ready !== null && ready < row.replicas;
    const notReadySince = short ? (row.not_ready_since ?? new Date(now).toISOString()) : null;
    const probes = { requests: prober.requests, errors: prober.errors };
    const traffic = prober.traffic?.() ?? { requests: 0, errors: 0 };
    const delta = { requests: probes.requests + traffic.requests, errors: probes.errors + traffic.errors };
    const stored = await this.o.db
      .updateTable('health_gates')
      .set((eb) => ({
        requests: eb('requests', '+', delta.requests),
        errors: eb('errors', '+', delta.errors),
        probes: eb('probes', '+', probes.requests),
        ready,
        not_ready_since: notReadySince,
        lease_until: new Date(now + this.leaseMs).toISOString(),
      }))
      .where('id', '=', id)
      .where('fence', '=', fence)
      .where('status', '=', 'baking')
      .executeTakeFirst();
    if (Number(stored.numUpdatedRows) === 0) return this.#forget(id);
    prober.requests -= probes.requests;
    prober.errors -= probes.errors;
    const verdict = judgeHealth({
      elapsedMs: now - Date.parse(row.started_at),
      bakeMs: config.bakeSeconds * 1000,
      maxErrorRate: config.maxErrorRate,
      requests: row.requests + delta.requests,
      errors: row.errors + delta.errors,
      replicas: row.replicas,
      ready,
      notReadyMs: notReadySince ? now - Date.parse(notReadySince) : 0,
      measured: placement.edge.probe !== undefined || placement.edge.traffic !== undefined,
    });
    if (verdict.verdict === 'baking') return { requeueAfterMs: GATE_POLL_MS };
    if (verdict.verdict === 'passed') await this.#pass(row, fence, verdict.summary);
    else await this.#fail(row, fence, verdict.reason);
    return this.#forget(id);
  }

  /** The prober of a gate on this server (and the edge's count of its real traffic), started when there is none yet. */
  #prober(row: HealthGatesTable, config: HealthGate, domain: string, edge: Edge): Prober {
    const existing = this.#probers.get(row.id);
    if (existing) return existing;
    const prober: Prober = { requests: 0, errors: 0, stop: () => undefined };
    this.#probers.set(row.id, prober);
    const traffic = edge.traffic;
    if (traffic) {
      prober.traffic = () => traffic.take(domain);
      void traffic.watch(domain).catch((error: unknown) => this.o.logger.warn({ err: error, gate: row.id }, 'could not switch on the edge access log for the health gate; it counts its probes only'));
    }
    const probe = edge.probe?.bind(edge);
    let timer: NodeJS.Timeout | undefined;
    if (probe) {
      let inFlight = 0;
      timer = setInterval(() => {
        // At most a few probes at once: an app that hangs gets no pile-up of requests from its gate.
        if (inFlight >= 4) {
          prober.requests += 1;
          prober.errors += 1;
          return;
        }
        inFlight += 1;
        void probe(domain, config.path, PROBE_TIMEOUT_MS)
          .then((status) => {
            prober.requests += 1;
            if (status === 0 || status >= 500) prober.errors += 1;
          })
          .finally(() => {
            inFlight -= 1;
          });
      }, this.o.probeEveryMs ?? PROBE_EVERY_MS);
      timer.unref();
    } else {
      this.o.logger.warn({ gate: row.id }, 'this edge cannot be probed from the control plane; the health gate judges its traffic and readiness only');
    }
    prober.stop = () => {
      clearInterval(timer);
      if (traffic) void traffic.unwatch(domain).catch((error: unknown) => this.o.logger.warn({ err: error, gate: row.id }, 'could not switch the edge access log off after the health gate'));
    };
    return prober;
  }

  #forget(id: string): void {
    this.#probers.get(id)?.stop();
    this.#probers.delete(id);
    this.#claims.release(id);
  }

  async #claim(row: HealthGatesTable): Promise<number | null> {
    const claim = await this.#claims.claim(row, nowIso(), async (fence) => {
      const claimed = await this.o.db
        .updateTable('health_gates')
        .set({ owner: this.o.owner, fence, lease_until: new Date(Date.now() + this.leaseMs).toISOString() })
        .where('id', '=', row.id)
        .where('fence', '=', row.fence)
        .executeTakeFirst();
      return Number(claimed.numUpdatedRows) > 0;
    });
    return claim?.fence ?? null;
  }

  async #cancel(row: HealthGatesTable, fence: number, reason: string): Promise<void> {
    await this.o.db.transaction().execute(async (tx) => {
      const done = await tx.updateTable('health_gates').set({ status: 'cancelled', finished_at: nowIso(), reason, lease_until: null }).where('id', '=', row.id).where('fence', '=', fence).where('status', '=', 'baking').executeTakeFirst();
      if (Number(done.numUpdatedRows) === 0) return;
      await tx.updateTable('promotions').set({ status: 'succeeded' }).where('deployment_id', '=', row.deployment_id).where('status', '=', 'baking').execute();
      await appendEvent(tx, row.deployment_id, 'health-gate', `health gate cancelled: ${reason}`, 'warn', { wake: false });
    });
    this.#forget(row.id);
  }

  async #pass(row: HealthGatesTable, fence: number, summary: string): Promise<void> {
    const promotions = await this.o.db.transaction().execute(async (tx) => {
      const done = await tx.updateTable('health_gates').set({ status: 'passed', finished_at: nowIso(), reason: summary, lease_until: null }).where('id', '=', row.id).where('fence', '=', fence).where('status', '=', 'baking').executeTakeFirst();
      if (Number(done.numUpdatedRows) === 0) return [];
      const ids = await tx.selectFrom('promotions').select('id').where('deployment_id', '=', row.deployment_id).where('status', '=', 'baking').execute();
      await tx.updateTable('promotions').set({ status: 'succeeded' }).where('deployment_id', '=', row.deployment_id).where('status', '=', 'baking').execute();
      await appendEvent(tx, row.deployment_id, 'health-gate', `health gate passed: ${summary}`, 'info', { wake: false });
      return ids.map((p) => p.id);
    });
    await this.#announce(row, promotions, 'succeeded');
  }

  /** Fails the gate and, in the same transaction, requests the rollback to the release before it. */
  async #fail(row: HealthGatesTable, fence: number, reason: string): Promise<void> {
    const access = await environmentAccess(this.o.db, row.environment_id);
    const where = `${access.project.name}/${access.environment.name}`;
    const message = `rolled back by health gate: ${reason}`;
    const target = await rollbackTarget(this.o.db, access, undefined).catch(() => null);
    let promotions: string[] = [];
    const mark = async (tx: Executor, rollbackId: string | null): Promise<boolean> => {
      const done = await tx.updateTable('health_gates').set({ status: 'failed', finished_at: nowIso(), reason, rollback_deployment_id: rollbackId, lease_until: null }).where('id', '=', row.id).where('fence', '=', fence).where('status', '=', 'baking').executeTakeFirst();
      if (Number(done.numUpdatedRows) === 0) return false;
      const release = await tx.selectFrom('releases').select('id').where('environment_id', '=', row.environment_id).where('number', '=', row.release_number).executeTakeFirstOrThrow();
      await tx.updateTable('releases').set({ status: 'failed', message: rollbackId ? message : `health gate failed: ${reason}; no earlier release to roll back to, it keeps serving` }).where('id', '=', release.id).execute();
      promotions = (await tx.selectFrom('promotions').select('id').where('deployment_id', '=', row.deployment_id).execute()).map((p) => p.id);
      await tx.updateTable('promotions').set({ status: 'failed', reason: message }).where('deployment_id', '=', row.deployment_id).where('status', 'in', ['baking', 'succeeded']).execute();
      await appendEvent(tx, row.deployment_id, 'health-gate', rollbackId ? `health gate failed: ${reason}; rolling back to release #${target?.number ?? '?'} (deployment ${rollbackId})` : `health gate failed: ${reason}; no earlier release to roll back to`, 'error', { wake: false });
      await recordAudit(tx, systemActor, { workspaceId: access.workspace.id, action: 'health-gate.rollback', targetType: 'environment', target: where, details: { gate: row.id, release: row.release_number, reason, rollbackTo: target?.number ?? null, rollbackDeployment: rollbackId } });
      return true;
    };
    if (!target) {
      await this.o.db.transaction().execute((tx) => mark(tx, null));
    } else {
      const request = {
        imageDigest: target.image_digest,
        version: target.version_tag,
        trigger: 'rollback' as const,
        actor: systemActor,
        configVersion: target.config_version,
        secretVersions: JSON.parse(target.secret_versions) as SecretVersions,
        volumes: parseStoredVolumes(target.volumes),
        supersede: true,
      };
      let stale = false;
      await requestDeploy(this.o.db, access, request, async (tx, requested) => {
        if (!(await mark(tx, requested.deployment.id))) {
          stale = true;
          throw new Error('the health gate was taken over meanwhile');
        }
        await restoreSnapshot(tx, this.o.keyring, access, request, requested.release.number);
      }).catch((error: unknown) => {
        if (!stale) throw error;
      });
      if (!stale) this.o.enqueueDeploy(row.environment_id);
    }
    this.o.logger.warn({ gate: row.id, environment: where, release: row.release_number }, message);
    await this.#announce(row, promotions, 'failed');
  }

  async #announce(row: HealthGatesTable, promotions: string[], status: string): Promise<void> {
    try {
      const access = await environmentAccess(this.o.db, row.environment_id);
      for (const id of promotions) announceChange(access.workspace.id, { kind: 'promotion', id, project: access.project.name, environment: access.environment.name, status });
      announceChange(access.workspace.id, { kind: 'deployment', id: row.deployment_id, project: access.project.name, environment: access.environment.name, status: 'succeeded' });
    } catch (error) {
      this.o.logger.warn({ err: error, gate: row.id }, 'could not announce a health gate change');
    }
  }
}
