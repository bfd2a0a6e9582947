/**
 * The pipeline runner on a test's store, its jobs placed on a target the test holds (the
 * in-memory one, or one that wraps it) behind an edge that keeps its routes in a map; and the
 * project and environment the pipeline tests run in. Reconciles are driven by the test.
 *
 * @module
 */
import pino from 'pino';
import { environment, project, testKeyring, workspace, type TestContext } from '../../../test/support/service-fixtures.js';
import { staticPlacements } from '../../deploy/placements.js';
import type { Placements, Target } from '../../deploy/target.js';
import { MapEdge } from '../../deploy/test-support/engine-harness.js';
import { createEnvironment, type EnvironmentAccess, type ProjectAccess } from '../../projects/projects.js';
import type { Db } from '../../store/schema.js';
import { PipelineRunner } from '../runner.js';

/** Workspace `acme`, its project `shop` and a custom environment `qa` of it (deletable, unlike the tier's). */
export async function shopQa(ctx: TestContext): Promise<{ shop: ProjectAccess; qa: EnvironmentAccess }> {
  const shop = await project(ctx, await workspace(ctx, 'acme', 'high'), 'shop');
  await createEnvironment(ctx.db, shop, { name: 'qa' });
  return { shop, qa: await environment(ctx, shop, 'qa') };
}

/** Placements whose only one, `local`, is `target` with an edge that keeps its routes in a map. */
export function testPlacements(target: Target): Placements {
  return staticPlacements({ local: { target, edge: new MapEdge() } });
}

/** A runner (owner `test-runner`, instance `itest`) whose only placement, `local`, is `target`; the test stops it. */
export function testRunner(db: Db, target: Target): { runner: PipelineRunner; placements: Placements } {
  const placements = testPlacements(target);
  const runner = new PipelineRunner({
    db,
    keyring: testKeyring(),
    logger: pino({ level: 'silent' }),
    owner: 'test-runner',
    placements,
    registry: { host: 'memory', auth: () => ({ registry: 'memory', username: 'u', password: 'p' }) },
    instance: 'itest',
  });
  return { runner, placements };
}
