import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendEvent } from '../deploy/events.js';
import { requestDeploy } from '../deploy/deployments.js';
import { engines } from '../../test/support/engines.js';
import { seedDeployRecordsIn } from '../../test/support/fixtures.js';
import { environment, project, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { pruneLogs } from './log-retention.js';

describe.each(engines)('log retention (%s)', (engine) => {
  let ctx: TestContext;
  let seeded: Awaited<ReturnType<typeof seedDeployRecordsIn>>;
  let running: string;

  beforeAll(async () => {
    ctx = await setupContext(engine);
    const ws = await workspace(ctx, 'acme');
    const p = await project(ctx, ws, 'web');
    // A finished deployment, pipeline run and herd upgrade, each with log lines …
    seeded = await seedDeployRecordsIn(ctx.db, ctx.adminToken, ctx.adminToken, 'acme', 'web');
    await appendEvent(ctx.db, seeded.deployment, 'prepare', 'a line of the finished deploy', 'info', { wake: false });
    const prod = await environment(ctx, p, 'prod');
    await ctx.db.insertInto('herd_site_events').values({ upgrade_id: seeded.upgrade, environment_id: prod.environment.id, seq: 1, at: new Date().toISOString(), step: 'done', message: 'a site line' }).execute();
    // … and a deployment still running, with its own.
    running = (await requestDeploy(ctx.db, prod, { imageDigest: `sha256:${'ab'.repeat(32)}`, version: '1.0.0', trigger: 'deploy', actor: { userId: null, tokenId: null } })).deployment.id;
    await appendEvent(ctx.db, running, 'prepare', 'a line of the running deploy', 'info', { wake: false });
  });
  afterAll(() => ctx.cleanup());

  const lines = async () => ({
    finished: (await ctx.db.selectFrom('deploy_events').select('seq').where('deployment_id', '=', seeded.deployment).execute()).length,
    running: (await ctx.db.selectFrom('deploy_events').select('seq').where('deployment_id', '=', running).execute()).length,
    run: (await ctx.db.selectFrom('pipeline_run_logs').select('seq').where('run_id', '=', seeded.run).execute()).length,
    upgrade: (await ctx.db.selectFrom('herd_site_events').select('seq').where('upgrade_id', '=', seeded.upgrade).execute()).length,
  });

  const marks = async () => ({
    finished: (await ctx.db.selectFrom('deployments').select('logs_pruned_at').where('id', '=', seeded.deployment).executeTakeFirstOrThrow()).logs_pruned_at,
    running: (await ctx.db.selectFrom('deployments').select('logs_pruned_at').where('id', '=', running).executeTakeFirstOrThrow()).logs_pruned_at,
    run: (await ctx.db.selectFrom('pipeline_runs').select('logs_pruned_at').where('id', '=', seeded.run).executeTakeFirstOrThrow()).logs_pruned_at,
    upgrade: (await ctx.db.selectFrom('herd_upgrades').select('logs_pruned_at').where('id', '=', seeded.upgrade).executeTakeFirstOrThrow()).logs_pruned_at,
  });

  it('keeps the logs of what ended after the cutoff, unmarked', async () => {
    const before = await lines();
    expect(before.finished).toBeGreaterThan(0);
    expect([before.running, before.run, before.upgrade].every((n) => n > 0)).toBe(true);
    expect(await pruneLogs(ctx.db, new Date(Date.now() - 86_400_000).toISOString())).toEqual({ deployments: 0, runs: 0, upgrades: 0, lines: 0 });
    expect(await lines()).toEqual(before);
    expect(await marks()).toEqual({ finished: null, running: null, run: null, upgrade: null });
  });

  it("removes the logs of what ended before it, in batches, never a running deployment's, and keeps the records", async () => {
    const before = await lines();
    const from = new Date().toISOString();
    const pruned = await pruneLogs(ctx.db, new Date(Date.now() + 60_000).toISOString(), 1);
    const to = new Date().toISOString();
    expect(pruned).toEqual({ deployments: 1, runs: 1, upgrades: 1, lines: before.finished + before.run + before.upgrade });
    expect(await lines()).toEqual({ finished: 0, running: before.running, run: 0, upgrade: 0 });
    expect(await ctx.db.selectFrom('deployments').select('status').where('id', '=', seeded.deployment).executeTakeFirst()).toEqual({ status: 'failed' });
    expect(await ctx.db.selectFrom('pipeline_run_jobs').select('status').where('run_id', '=', seeded.run).executeTakeFirst()).toEqual({ status: 'succeeded' });
    expect(await ctx.db.selectFrom('herd_upgrades').select('state').where('id', '=', seeded.upgrade).executeTakeFirst()).toEqual({ state: 'succeeded' });
    // Each parent whose lines went says when; the running deployment's are all there.
    const marked = await marks();
    expect(marked.running).toBeNull();
    for (const at of [marked.finished, marked.run, marked.upgrade]) {
      expect(at! >= from && at! <= to, `${at} between ${from} and ${to}`).toBe(true);
    }
    // Nothing left to remove: a second pass does nothing and keeps the first pass's time.
    expect((await pruneLogs(ctx.db, new Date(Date.now() + 60_000).toISOString())).lines).toBe(0);
    expect(await marks()).toEqual(marked);
  });
});
