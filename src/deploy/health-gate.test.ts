/**
 * The health gate on both store engines, with the deploy engine's harness (in-memory target whose
 * replicas are real HTTP servers; an edge whose probe answer the test sets): a gated release bakes
 * and passes; a failing one is rolled back in one transaction (gate, release, audit, rollback
 * deployment to the previous release, which is not gated again); a second server cannot take a
 * gate while the first one's lease holds; a newer release cancels a bake.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvironmentAccess } from '../projects/projects.js';
import { engines } from '../../test/support/engines.js';
import { environment, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { requestDeploy } from './deployments.js';
import { HealthGates } from './health-gate.js';
import { changeSettings } from './settings.js';
import { engineHarness, MapEdge, type Harness } from './test-support/engine-harness.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

class ProbedEdge extends MapEdge {
  answer = 200;
  probes = 0;
  async probe(): Promise<number> {
    this.probes += 1;
    return this.answer;
  }
}

describe.each(engines)('health gate on %s', (engine) => {
  let ctx: TestContext;
  let env: EnvironmentAccess;
  let h: Harness;
  let edge: ProbedEdge;
  const enqueued: string[] = [];
  const signal = new AbortController().signal;
  const actor = () => ({ userId: ctx.admin.userId, tokenId: ctx.admin.tokenId });
  const deploy = (c: string) => requestDeploy(ctx.db, env, { imageDigest: digest(c), version: `1.0.${c.charCodeAt(0)}`, trigger: 'deploy', actor: actor() });
  const gates = (owner = 'gate-a') => new HealthGates({ db: ctx.db, keyring: testKeyring(), logger: pino({ level: 'silent' }), owner, placements: h.placements, enqueueDeploy: (id) => enqueued.push(id), probeEveryMs: 5 });
  const gateRows = () => ctx.db.selectFrom('health_gates').selectAll().where('environment_id', '=', env.environment.id).orderBy('id').execute();
  /** Reconciles `id` until it no longer asks to be called again. */
  async function judge(g: HealthGates, id: string): Promise<void> {
    for (let i = 0; i < 400; i += 1) {
      const r = await g.reconcile(id, signal);
      if (!r?.requeueAfterMs) return;
      await new Promise((res) => setTimeout(res, 10));
    }
    throw new Error('the gate never decided');
  }
  /** As if the bake began long enough ago. */
  const age = (id: string) => ctx.db.updateTable('health_gates').set({ started_at: new Date(Date.now() - 60_000).toISOString() }).where('id', '=', id).execute();

  beforeEach(async () => {
    ctx = await setupContext(engine);
    const ws = await workspace(ctx, 'acme', 'high');
    env = await environment(ctx, await project(ctx, ws, 'serve'), 'dev');
    edge = new ProbedEdge();
    h = engineHarness(ctx.db, { edge });
    enqueued.length = 0;
    await changeSettings(ctx.db, env, { gateHealth: { bakeSeconds: 5, maxErrorRate: 0.05, path: '/' } });
  });
  afterEach(async () => {
    await h.close();
    await ctx.cleanup();
  });

  it('bakes a gated release and passes it; a failing one is rolled back to the previous release in one transaction', async () => {
    const first = await deploy('a');
    await h.settle(env.environment.id);
    const [g1] = await gateRows();
    expect(g1).toMatchObject({ deployment_id: first.deployment.id, status: 'baking', release_number: 1 });
    const g = gates();
    // Still inside its bake: measured, not judged.
    expect((await g.reconcile(g1!.id, signal))?.requeueAfterMs).toBeGreaterThan(0);
    await age(g1!.id);
    await judge(g, g1!.id);
    const passed = (await gateRows())[0]!;
    expect(passed.status).toBe('passed');
    expect(passed.requests).toBeGreaterThanOrEqual(10);
    expect(passed.errors).toBe(0);
    expect(passed.reason).toMatch(/^0% errors over \d+ s \(0 of \d+ requests\), replicas ready$/);

    edge.answer = 503;
    await deploy('b');
    await h.settle(env.environment.id);
    const g2 = (await gateRows())[1]!;
    expect(g2).toMatchObject({ status: 'baking', release_number: 2 });
    await judge(g, g2.id);
    const failed = (await gateRows())[1]!;
    expect(failed.status).toBe('failed');
    expect(failed.reason).toMatch(/^100% 5xx over \d+ s \(\d+ of \d+ requests failed; at most 5% allowed\)$/);
    const releases = await ctx.db.selectFrom('releases').select(['number', 'status', 'trigger', 'image_digest', 'message']).where('environment_id', '=', env.environment.id).orderBy('number').execute();
    expect(releases.map((r) => [r.number, r.status, r.trigger])).toEqual([[1, 'superseded'], [2, 'failed'], [3, 'pending']].map(([n, s], i) => [n, s, i === 2 ? 'rollback' : 'deploy']));
    expect(releases[1]!.message).toBe(`rolled back by health gate: ${failed.reason}`);
    expect(releases[2]!.image_digest).toBe(digest('a'));
    const rollback = await ctx.db.selectFrom('deployments').selectAll().where('id', '=', failed.rollback_deployment_id!).executeTakeFirstOrThrow();
    expect(rollback.release_number).toBe(3);
    expect(enqueued).toEqual([env.environment.id]);
    const audit = await ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'health-gate.rollback').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor_user_id).toBeNull();

    // The rollback runs and is not gated again (it returns to a release that ran).
    edge.answer = 200;
    await h.settle(env.environment.id);
    expect((await gateRows()).map((r) => r.status)).toEqual(['passed', 'failed']);
    expect(h.edge.routes.get(`env-${env.environment.id}`)?.upstreams).toHaveLength(1);
    g.stop();
  });

  it("a second server does not take a gate while the first one's lease holds; a newer release cancels the bake", async () => {
    await deploy('a');
    await h.settle(env.environment.id);
    const [row] = await gateRows();
    const a = gates('gate-a');
    const b = gates('gate-b');
    await a.reconcile(row!.id, signal);
    const held = await b.reconcile(row!.id, signal);
    expect(held?.requeueAfterMs).toBeGreaterThan(1000);
    expect((await gateRows())[0]).toMatchObject({ owner: 'gate-a', status: 'baking' });

    await deploy('b');
    await h.settle(env.environment.id);
    const [old, fresh] = await gateRows();
    expect(old).toMatchObject({ status: 'cancelled' });
    expect(old!.reason).toMatch(/release #2 replaced it/);
    expect(fresh).toMatchObject({ status: 'baking', release_number: 2 });
    a.stop();
    b.stop();
  });
});
