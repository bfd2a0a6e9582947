/**
 * The deploy engine's rollouts on a real store (both engines) with the in-memory target: short
 * reconciles until each deployment ends, what the route holds at each point, supersede before
 * and after the switch, scaling, failures, and a second server taking over a dead one's
 * deployment from its stored phase under fencing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeConfig, resolveEnvironmentConfig } from '../config/config.js';
import { currentSecretVersions, revealSecrets, setSecret } from '../secrets/secrets.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { engines } from '../../test/support/engines.js';
import { environment, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { changeRunning } from './promotions.js';
import { requestDeploy } from './deployments.js';
import { changeSettings } from './settings.js';
import { scale } from './scale.js';
import { engineHarness, type Harness } from './test-support/engine-harness.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

async function body(address: string): Promise<string> {
  return (await fetch(`http://${address}/`)).text();
}

describe.each(engines)('deploy engine on %s', (engine) => {
  let ctx: TestContext;
  let env: EnvironmentAccess;
  let h: Harness;
  const actor = () => ({ userId: ctx.admin.userId, tokenId: ctx.admin.tokenId });
  const deploy = (over: { supersede?: boolean } = {}) => requestDeploy(ctx.db, env, { imageDigest: digest('a'), version: '1.0.0', trigger: 'deploy', actor: actor(), ...over });
  const route = () => h.edge.routes.get(`env-${env.environment.id}`)?.upstreams ?? [];
  const status = async (id: string) => (await ctx.db.selectFrom('deployments').select(['status', 'error', 'phase']).where('id', '=', id).executeTakeFirstOrThrow());
  const releases = async () => (await ctx.db.selectFrom('releases').select(['number', 'status']).where('environment_id', '=', env.environment.id).orderBy('number').execute()).map((r) => [r.number, r.status]);
  const workloads = async () => (await h.target.list({ 'io.slipway.environment-id': env.environment.id })).map((w) => w.name).sort();

  beforeEach(async () => {
    ctx = await setupContext(engine);
    const ws = await workspace(ctx, 'acme', 'high');
    env = await environment(ctx, await project(ctx, ws, 'serve'), 'dev');
    h = engineHarness(ctx.db);
  });
  afterEach(async () => {
    await h.close();
    await ctx.cleanup();
  });

  it('rolls out a first release and then a second one: the route moves to the new replicas, the old ones go', async () => {
    await changeConfig(ctx.db, env, { set: { GREETING: 'one' }, unset: [] });
    const first = await deploy();
    await h.settle(env.environment.id);
    expect(await status(first.deployment.id)).toMatchObject({ status: 'succeeded' });
    expect(route()).toHaveLength(1);
    expect(await body(route()[0]!)).toBe('one\n');

    await changeConfig(ctx.db, env, { set: { GREETING: 'two' }, unset: [] });
    const second = await deploy();
    await h.settle(env.environment.id);
    expect(await status(second.deployment.id)).toMatchObject({ status: 'succeeded' });
    expect(await body(route()[0]!)).toBe('two\n');
    expect(await workloads()).toEqual(['slw-acme-serve-dev-r2']);
    expect(await releases()).toEqual([[1, 'superseded'], [2, 'succeeded']]);
    // During the rollout the route held old and new together before it switched.
    const upstreamSets = h.edge.history.map((x) => x.upstreams.length);
    expect(upstreamSets).toContain(2);
  });

  it('a release that never gets ready fails after the health timeout; the old one keeps the route and the new replicas are gone', async () => {
    await deploy();
    await h.settle(env.environment.id);
    const serving = route();
    await changeSettings(ctx.db, env, { healthTimeout: 1 });
    await changeConfig(ctx.db, env, { set: { MEMORY_KIND: 'idle' }, unset: [] });
    const bad = await deploy();
    await h.settle(env.environment.id);
    const s = await status(bad.deployment.id);
    expect(s.status).toBe('failed');
    expect(s.error).toMatch(/did not become ready: not ready within 1s/);
    expect(route()).toEqual(serving);
    expect(await workloads()).toEqual(['slw-acme-serve-dev-r1']);
    expect(await releases()).toEqual([[1, 'succeeded'], [2, 'failed']]);
  });

  it('a release whose replica exits fails at once, without waiting for the timeout', async () => {
    await deploy();
    await h.settle(env.environment.id);
    await changeConfig(ctx.db, env, { set: { MEMORY_KIND: 'exit', EXIT_CODE: '3' }, unset: [] });
    const bad = await deploy();
    const started = Date.now();
    await h.settle(env.environment.id);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await status(bad.deployment.id)).error).toMatch(/exited with code 3/);
  });

  it('refuses a second deploy while one runs, unless it supersedes it: before the switch the first is undone', async () => {
    await deploy();
    await h.settle(env.environment.id);
    const serving = route();
    await changeSettings(ctx.db, env, { healthTimeout: 60 });
    await changeConfig(ctx.db, env, { set: { MEMORY_KIND: 'idle' }, unset: [] });
    const stuck = await deploy();
    for (let i = 0; i < 5; i += 1) await h.once(env.environment.id);
    expect((await status(stuck.deployment.id)).phase).toBe('wait-ready');
    await expect(deploy()).rejects.toMatchObject({ code: 'SLW_DEPLOY_IN_PROGRESS' });
    await changeConfig(ctx.db, env, { set: { MEMORY_KIND: 'serve', GREETING: 'fixed' }, unset: [] });
    const fix = await deploy({ supersede: true });
    expect(fix.superseded).toMatchObject({ id: stuck.deployment.id, status: 'cancelling' });
    await h.settle(env.environment.id);
    expect(await status(stuck.deployment.id)).toMatchObject({ status: 'cancelled' });
    expect(await status(fix.deployment.id)).toMatchObject({ status: 'succeeded' });
    expect(route()).not.toEqual(serving);
    expect(await body(route()[0]!)).toBe('fixed\n');
    expect(await releases()).toEqual([[1, 'superseded'], [2, 'cancelled'], [3, 'succeeded']]);
    expect(await workloads()).toEqual(['slw-acme-serve-dev-r3']);
  });

  it('a deployment superseded after its switch completes first, then the new one runs', async () => {
    await deploy();
    await h.settle(env.environment.id);
    h.edge.inFlightAnswer = 3; // requests keep the old replicas draining
    await changeConfig(ctx.db, env, { set: { GREETING: 'two' }, unset: [] });
    const second = await deploy();
    for (let i = 0; i < 40 && (await status(second.deployment.id)).phase !== 'drain'; i += 1) {
      await h.once(env.environment.id);
      await new Promise((r) => setTimeout(r, 30));
    }
    expect((await status(second.deployment.id)).phase).toBe('drain');
    await changeConfig(ctx.db, env, { set: { GREETING: 'three' }, unset: [] });
    const third = await deploy({ supersede: true });
    h.edge.inFlightAnswer = 0;
    await h.settle(env.environment.id);
    expect(await status(second.deployment.id)).toMatchObject({ status: 'succeeded' });
    expect(await status(third.deployment.id)).toMatchObject({ status: 'succeeded' });
    expect(await body(route()[0]!)).toBe('three\n');
    expect(await releases()).toEqual([[1, 'superseded'], [2, 'superseded'], [3, 'succeeded']]);
  });

  it('drains until the edge reports no request in flight, at most the cap', async () => {
    await deploy();
    await h.settle(env.environment.id);
    h.edge.inFlightAnswer = 1;
    const second = await deploy();
    const started = Date.now();
    await h.settle(env.environment.id);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000); // the harness's cap
    const events = await ctx.db.selectFrom('deploy_events').select('message').where('deployment_id', '=', second.deployment.id).execute();
    expect(events.map((e) => e.message).join('\n')).toMatch(/1 request\(s\) still in flight/);
  });

  it('scales the running release up and down without a new release, the route following', async () => {
    await deploy();
    await h.settle(env.environment.id);
    const up = await scale(ctx.db, env, 3);
    await h.settle(env.environment.id);
    expect(await status(up.id)).toMatchObject({ status: 'succeeded' });
    expect(route()).toHaveLength(3);
    const down = await scale(ctx.db, env, 1);
    await h.settle(env.environment.id);
    expect(await status(down.id)).toMatchObject({ status: 'succeeded' });
    expect(route()).toHaveLength(1);
    expect((await h.target.observe('slw-acme-serve-dev-r1'))!.instances).toHaveLength(1);
    expect(await releases()).toEqual([[1, 'succeeded']]);
  });

  it('recreate stops the old release before it starts the new one', async () => {
    await deploy();
    await h.settle(env.environment.id);
    await changeSettings(ctx.db, env, { strategy: 'recreate' });
    const second = await deploy();
    await h.settle(env.environment.id);
    expect(await status(second.deployment.id)).toMatchObject({ status: 'succeeded' });
    const routes = h.edge.history.slice(-2).map((x) => x.upstreams.length);
    expect(routes).toEqual([0, 1]);
  });

  it('a rollback makes the snapshot it restores the current config and secrets: the next deploy runs what is live', async () => {
    const keyring = testKeyring();
    h.engine.stop();
    h = engineHarness(ctx.db, { keyring });
    const base = { ...env, environment: undefined };
    await changeConfig(ctx.db, base, { set: { GREETING: 'base-one', LEVEL: 'info' }, unset: [] });
    await changeConfig(ctx.db, env, { set: { MODE: 'a' }, unset: [] });
    await setSecret(ctx.db, keyring, env, 'TOKEN', 'first');
    await deploy();
    await h.settle(env.environment.id);
    expect(await body(route()[0]!)).toBe('base-one\n');
    await changeConfig(ctx.db, base, { set: { GREETING: 'base-two' }, unset: [] });
    await changeConfig(ctx.db, env, { set: { MODE: 'b', EXTRA: '1' }, unset: [] });
    await setSecret(ctx.db, keyring, env, 'TOKEN', 'second');
    await setSecret(ctx.db, keyring, env, 'NEW_SECRET', 'x');
    await deploy();
    await h.settle(env.environment.id);
    expect(await body(route()[0]!)).toBe('base-two\n');
    const back = await changeRunning(ctx.db, { ...env, principal: ctx.admin, role: 'owner' }, 'rollback', { digest: digest('a'), version: '1.0.0', release: 1 }, { keyring });
    await h.settle(env.environment.id);
    expect(await status(back.deployment!.id)).toMatchObject({ status: 'succeeded' });
    expect(await body(route()[0]!)).toBe('base-one\n');
    const now = Object.fromEntries((await resolveEnvironmentConfig(ctx.db, env)).entries.map((e) => [e.key, e.value]));
    expect(now).toEqual({ GREETING: 'base-one', LEVEL: 'info', MODE: 'a' });
    const secrets = await revealSecrets(ctx.db, keyring, env.workspace.id, env.project.id, await currentSecretVersions(ctx.db, env));
    expect(secrets).toEqual({ TOKEN: 'first' });
    const audit = await ctx.db.selectFrom('audit_events').select(['action', 'details']).where('action', 'in', ['config.change', 'secret.set', 'secret.unset']).execute();
    expect(audit.filter((a) => (a.details ?? '').includes('"via":"rollback"')).map((a) => a.action).sort()).toEqual(['config.change', 'secret.set', 'secret.unset']);
    const next = await deploy();
    await h.settle(env.environment.id);
    expect(await status(next.deployment.id)).toMatchObject({ status: 'succeeded' });
    expect(await body(route()[0]!)).toBe('base-one\n');
  });

  it('a deployment whose server died is taken over from its stored phase; the stale owner can no longer write', async () => {
    await deploy();
    await h.settle(env.environment.id);
    await changeSettings(ctx.db, env, { healthTimeout: 60 });
    await changeConfig(ctx.db, env, { set: { GREETING: 'two' }, unset: [] });
    const second = await deploy();
    await h.once(env.environment.id);
    await h.once(env.environment.id);
    const before = await ctx.db.selectFrom('deployments').selectAll().where('id', '=', second.deployment.id).executeTakeFirstOrThrow();
    expect(before.owner).toBe('test-engine');
    // The first server dies; its lease lapses; another server with the same target takes over.
    await ctx.db.updateTable('deployments').set({ lease_until: new Date(0).toISOString() }).where('id', '=', second.deployment.id).execute();
    const other = engineHarness(ctx.db, { owner: 'other-engine', target: h.target, edge: h.edge });
    try {
      await other.settle(env.environment.id);
      const after = await ctx.db.selectFrom('deployments').selectAll().where('id', '=', second.deployment.id).executeTakeFirstOrThrow();
      expect(after).toMatchObject({ status: 'succeeded', owner: 'other-engine' });
      expect(after.fence).toBeGreaterThan(before.fence);
      const events = await ctx.db.selectFrom('deploy_events').select('step').where('deployment_id', '=', second.deployment.id).execute();
      expect(events.map((e) => e.step)).toContain('recover');
      // The old owner still thinks it holds it: its next reconcile writes nothing.
      expect(await h.once(env.environment.id)).toBeUndefined();
      expect(await status(second.deployment.id)).toMatchObject({ status: 'succeeded' });
    } finally {
      other.engine.stop();
    }
  });
});
