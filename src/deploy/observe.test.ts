/**
 * The observer's sweep on both engines with the in-memory target: one list per target stores
 * every environment's running and ready replicas, restores routes when asked, and removes this
 * instance's workloads whose environment no longer exists — never another instance's.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvironmentAccess } from '../projects/projects.js';
import { engines } from '../../test/support/engines.js';
import { environment, project, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { requestDeploy } from './deployments.js';
import { sweep } from './observe.js';
import { engineHarness, type Harness } from './test-support/engine-harness.js';

describe.each(engines)('observer on %s', (engine) => {
  let ctx: TestContext;
  let dev: EnvironmentAccess;
  let h: Harness;
  const logger = pino({ level: 'silent' });

  beforeEach(async () => {
    ctx = await setupContext(engine);
    dev = await environment(ctx, await project(ctx, await workspace(ctx, 'acme', 'high'), 'serve'), 'dev');
    h = engineHarness(ctx.db);
    await requestDeploy(ctx.db, dev, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', trigger: 'deploy', actor: { userId: ctx.admin.userId, tokenId: ctx.admin.tokenId } });
    await h.settle(dev.environment.id);
  });
  afterEach(async () => {
    await h.close();
    await ctx.cleanup();
  });

  it('stores what runs and restores the route', async () => {
    await ctx.db.deleteFrom('environment_observed').execute();
    h.edge.routes.clear();
    expect(await sweep(ctx.db, h.placements, logger, { restoreRoutes: true, instance: 'itest' })).toBe(1);
    expect(await ctx.db.selectFrom('environment_observed').select(['release_number', 'desired', 'running', 'ready']).execute()).toEqual([{ release_number: 1, desired: 1, running: 1, ready: 1 }]);
    expect(h.edge.routes.get(`env-${dev.environment.id}`)?.upstreams).toHaveLength(1);
  });

  it("removes this instance's workloads whose environment is gone, and leaves another instance's", async () => {
    await sweep(ctx.db, h.placements, logger, { restoreRoutes: false, instance: 'another-instance' });
    expect(await h.target.list({})).toHaveLength(1);
    // A deletion cut off between its records and its teardown: the workload stays behind.
    for (const table of ['deploy_events', 'environment_observed', 'deployments', 'releases', 'environment_settings'] as const) {
      if (table === 'deploy_events') await ctx.db.deleteFrom(table).execute();
      else await ctx.db.deleteFrom(table).where('environment_id', '=', dev.environment.id).execute();
    }
    await ctx.db.deleteFrom('environments').where('id', '=', dev.environment.id).execute();
    await sweep(ctx.db, h.placements, logger, { restoreRoutes: false, instance: 'itest' });
    await new Promise((r) => setTimeout(r, 100));
    expect(await h.target.list({})).toEqual([]);
  });
});
