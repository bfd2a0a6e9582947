/**
 * The pipeline runner against the in-memory target on SQLite, driven reconcile by reconcile: a
 * deletion of the environment that lands in the middle of a step (after the step read its run,
 * while it asks the target about the job) does not make the runner start the job again.
 * (test/pipelines runs jobs on the real Docker engine.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { setupContext, type TestContext } from '../../test/support/service-fixtures.js';
import { jobWorkloadName } from '../core/pipelines.js';
import { deleteEnvironment } from '../deploy/removal.js';
import type { JobStatus } from '../deploy/target.js';
import { MemoryTarget } from '../targets/memory/memory-target.js';
import { applyManifest } from './manifests.js';
import type { PipelineRunner } from './runner.js';
import { getRun, triggerRun } from './runs.js';
import { shopQa, testRunner } from './test-support/runner.js';

const manifest = `pipelines:
  wait:
    jobs:
      - name: wait
        image: $build
        env:
          MEMORY_KIND: idle
`;

/** A memory target that runs `hook` once, the next time a job's status is asked for, before it answers. */
class HookedTarget extends MemoryTarget {
  hook: (() => Promise<void>) | null = null;
  override async job(name: string): Promise<JobStatus | null> {
    const hook = this.hook;
    this.hook = null;
    await hook?.();
    return super.job(name);
  }
}

describe('the pipeline runner', () => {
  let ctx: TestContext | undefined;
  let runner: PipelineRunner | undefined;
  let target: HookedTarget | undefined;
  afterEach(async () => {
    runner?.stop();
    await target?.close();
    await ctx?.cleanup();
  });

  it('does not start a job again that an environment deletion removed in the middle of its step', async () => {
    ctx = await setupContext('sqlite');
    const { shop, qa } = await shopQa(ctx);
    await applyManifest(ctx.db, shop, manifest);
    target = new HookedTarget({ name: 'local' });
    const { runner: started, placements } = testRunner(ctx.db, target);
    runner = started;
    const { run } = await triggerRun(ctx.db, qa, { pipeline: 'wait', imageDigest: `sha256:${'a'.repeat(64)}`, reason: 'test', trigger: { kind: 'manual', by: null } });
    const name = jobWorkloadName(run.id, 0);
    const signal = new AbortController().signal;
    for (let i = 0; i < 50 && (await target.job(name))?.state !== 'running'; i += 1) {
      await runner.reconcile(run.id, signal);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await target.job(name))?.state).toBe('running');

    // The next step reads the run, then asks about its job: the environment is deleted just then.
    const db = ctx.db;
    target.hook = async () => {
      await deleteEnvironment(db, placements, qa);
    };
    await runner.reconcile(run.id, signal);
    expect(target.hook).toBeNull();
    expect(await getRun(db, run.id)).toBeUndefined();
    expect(await target.job(name)).toBeNull();
  });
});
