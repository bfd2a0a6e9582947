/**
 * Health gates in the store: opened in the transaction that ends a deployment (deploy/finish.ts),
 * read by the API (the gate of a deployment, of a promotion) and moved by the controller
 * (deploy/health-gate.ts) with writes that only succeed while its fence holds.
 *
 * @module
 */
import { DEFAULT_GATE_PATH, DEFAULT_MAX_ERROR_RATE, percent, type HealthGate, type HealthGateStatus } from '../core/gates.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { DeploymentsTable, Executor, HealthGatesTable } from '../store/schema.js';
import { appendEvent } from './events.js';
import { gatesOf } from './gates.js';
import { storedSettings } from './settings.js';

/** A health gate as the API shows it. */
export interface HealthGateView {
  id: string;
  deploymentId: string;
  releaseNumber: number;
  status: HealthGateStatus;
  bakeSeconds: number;
  maxErrorRate: number;
  path: string;
  /** Requests measured: real traffic through the edge and the gate's probes. */
  requests: number;
  errors: number;
  /** Of the requests: the gate's own probes. */
  probes: number;
  /** errors / requests, 0 without requests. */
  errorRate: number;
  replicas: number;
  ready: number | null;
  startedAt: string;
  finishedAt: string | null;
  /** Why it failed or was cancelled, or what it measured when it passed. */
  reason: string | null;
  rollbackDeploymentId: string | null;
}

export function toHealthGateView(g: HealthGatesTable): HealthGateView {
  const config = JSON.parse(g.config) as HealthGate;
  return {
    id: g.id,
    deploymentId: g.deployment_id,
    releaseNumber: g.release_number,
    status: g.status as HealthGateStatus,
    bakeSeconds: config.bakeSeconds,
    maxErrorRate: config.maxErrorRate,
    path: config.path,
    requests: g.requests,
    errors: g.errors,
    probes: g.probes,
    errorRate: g.requests === 0 ? 0 : g.errors / g.requests,
    replicas: g.replicas,
    ready: g.ready,
    startedAt: g.started_at,
    finishedAt: g.finished_at,
    reason: g.reason,
    rollbackDeploymentId: g.rollback_deployment_id,
  };
}

/** One line: `baking 12/30 s: 0% errors (0 of 60)`, `failed: …`. */
export function healthGateLine(g: HealthGateView): string {
  const measured = `${percent(g.errorRate)} errors (${g.errors} of ${g.requests} requests), ${g.ready ?? '?'}/${g.replicas} ready`;
  if (g.status === 'baking') return `baking (${g.bakeSeconds} s, at most ${percent(g.maxErrorRate)}): ${measured}`;
  if (g.status === 'passed') return `passed: ${g.reason ?? measured}`;
  if (g.status === 'failed') return `failed: rolled back by health gate: ${g.reason ?? measured}${g.rollbackDeploymentId ? ` (rollback deployment ${g.rollbackDeploymentId})` : ''}`;
  return `cancelled: ${g.reason ?? ''}`;
}

/**
 * Within the transaction that ends deployment `d` successfully: starts the bake of its release
 * when its environment has a health gate. A rollback is not gated (it returns to a release that
 * ran; the gate's own rollback must not be judged again). A bake still running for an earlier
 * release of the environment ends as cancelled. The new gate's id when a bake started.
 */
export async function openHealthGate(tx: Executor, d: DeploymentsTable): Promise<string | null> {
  const settings = await storedSettings(tx, d.environment_id);
  const names = await tx
    .selectFrom('environments as e')
    .innerJoin('projects as p', 'p.id', 'e.project_id')
    .innerJoin('workspaces as w', 'w.id', 'p.workspace_id')
    .select(['e.name as environment', 'p.name as project', 'w.name as workspace'])
    .where('e.id', '=', d.environment_id)
    .executeTakeFirstOrThrow();
  const own = (await gatesOf(tx, { ...names, projectId: d.project_id, environmentId: d.environment_id }, settings)).health;
  const gate = withHerdBake(own, await herdBakeOf(tx, d.id));
  const release = await tx.selectFrom('releases').select(['trigger']).where('id', '=', d.release_id).executeTakeFirst();
  const now = nowIso();
  await tx
    .updateTable('health_gates')
    .set({ status: 'cancelled', finished_at: now, reason: `release #${d.release_number} replaced it before its bake ended`, lease_until: null })
    .where('environment_id', '=', d.environment_id)
    .where('status', '=', 'baking')
    .execute();
  if (!gate || !release || release.trigger === 'rollback') return null;
  const id = newId('hg');
  await tx
    .insertInto('health_gates')
    .values({
      id,
      workspace_id: d.workspace_id,
      project_id: d.project_id,
      environment_id: d.environment_id,
      deployment_id: d.id,
      release_number: d.release_number,
      status: 'baking',
      config: JSON.stringify(gate),
      requests: 0,
      errors: 0,
      probes: 0,
      replicas: settings.replicas ?? 1,
      ready: null,
      not_ready_since: null,
      started_at: now,
      finished_at: null,
      reason: null,
      rollback_deployment_id: null,
      owner: null,
      lease_until: null,
      fence: 0,
    })
    .execute();
  await appendEvent(tx, d.id, 'health-gate', `health gate: watching release #${d.release_number} for ${gate.bakeSeconds} s (at most ${percent(gate.maxErrorRate)} failed requests on ${gate.path}, replicas ready); it is rolled back if it fails`, 'info', { wake: false });
  return id;
}

/** The bake a herd upgrade asked for the site this deployment upgrades (0: none, or not a herd's). */
async function herdBakeOf(tx: Executor, deploymentId: string): Promise<number> {
  const row = await tx.selectFrom('herd_upgrade_sites as s').innerJoin('herd_upgrades as u', 'u.id', 's.upgrade_id').select('u.options').where('s.deployment_id', '=', deploymentId).executeTakeFirst();
  return row ? ((JSON.parse(row.options) as { bakeSeconds?: number }).bakeSeconds ?? 0) : 0;
}

/** A herd's bake: the environment's own gate baked at least that long, else the default gate for that long. */
function withHerdBake(own: HealthGate | null, bakeSeconds: number): HealthGate | null {
  if (bakeSeconds <= 0) return own;
  if (own) return { ...own, bakeSeconds: Math.max(own.bakeSeconds, bakeSeconds) };
  return { bakeSeconds, maxErrorRate: DEFAULT_MAX_ERROR_RATE, path: DEFAULT_GATE_PATH };
}

/** The health gate of each of these deployments that has one. */
export async function healthGatesOf(db: Executor, deploymentIds: string[]): Promise<Map<string, HealthGateView>> {
  const ids = deploymentIds.filter((id) => id !== '');
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('health_gates').selectAll().where('deployment_id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.deployment_id, toHealthGateView(r)]));
}

/** The environment's latest health gate, if any. */
export async function latestHealthGate(db: Executor, environmentId: string): Promise<HealthGateView | null> {
  const row = await db.selectFrom('health_gates').selectAll().where('environment_id', '=', environmentId).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row ? toHealthGateView(row) : null;
}
