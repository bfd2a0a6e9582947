/**
 * Triggers and manifests on both store engines: a storm of concurrent triggers starts one run,
 * queues one and coalesces the rest (the unique indexes hold it, also against a direct insert);
 * a cancelled waiting run frees its place; a release step is never queued behind the pipelines;
 * a malformed manifest stores nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { releasePipeline } from '../core/pipelines.js';
import type { EnvironmentAccess, ProjectAccess } from '../projects/projects.js';
import { engines } from '../../test/support/engines.js';
import { environment, expectCode, project, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { isUniqueViolation } from '../store/errors.js';
import { applyManifest, showManifest } from './manifests.js';
import { cancelRun, startReleaseRun, triggerRun } from './runs.js';

const digest = `sha256:${'a'.repeat(64)}`;
const yaml = `pipelines:
  test:
    jobs:
      - name: unit
        image: $build
        command: npm test
release:
  jobs:
    - name: migrate
      image: $build
      command: ./migrate
`;

describe.each(engines)('pipeline triggers on %s', (engine) => {
  let ctx: TestContext;
  let shop: ProjectAccess;
  let staging: EnvironmentAccess;
  const trigger = (n = 0) => triggerRun(ctx.db, staging, { pipeline: 'test', imageDigest: digest, reason: `trigger ${n}`, trigger: { kind: 'manual', by: 'test' } });
  const inFlight = async () => ctx.db.selectFrom('pipeline_runs').select(['id', 'status']).where('pipeline', '=', 'test').where('status', 'in', ['queued', 'running']).execute();

  beforeEach(async () => {
    ctx = await setupContext(engine);
    shop = await project(ctx, await workspace(ctx, 'acme', 'high'), 'shop');
    staging = await environment(ctx, shop, 'staging');
  });
  afterEach(() => ctx.cleanup());

  it('a malformed manifest is refused with line:column and stores nothing; a valid one is stored', async () => {
    const error = await expectCode(() => applyManifest(ctx.db, shop, 'pipelines:\n  test:\n    jobs: []\n'), 'SLW_MANIFEST_INVALID');
    expect(error.message).toMatch(/^slipway\.yaml:3:11: /);
    expect(await showManifest(ctx.db, shop)).toMatchObject({ applied: false, pipelines: [], release: null });
    expect(await ctx.db.selectFrom('project_manifests').selectAll().execute()).toEqual([]);
    const applied = await applyManifest(ctx.db, shop, yaml);
    expect(applied.pipelines.map((p) => p.name)).toEqual(['test']);
    expect(applied.release?.map((j) => j.command)).toEqual([['/bin/sh', '-c', './migrate']]);
  });

  it('20 concurrent triggers: one started, one queued, the rest coalesced into the queued one; never two in flight', async () => {
    await applyManifest(ctx.db, shop, yaml);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => trigger(i)));
    const outcomes = results.map((r) => r.outcome);
    expect(outcomes.filter((o) => o === 'started')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'queued')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'coalesced')).toHaveLength(18);
    const queued = results.find((r) => r.outcome === 'queued')!.run.id;
    expect(new Set(results.filter((r) => r.outcome === 'coalesced').map((r) => r.run.id))).toEqual(new Set([queued]));
    expect((await inFlight()).map((r) => r.status).sort()).toEqual(['queued', 'running']);
    // The store itself refuses a second running run of the pipeline, whoever writes it.
    const running = (await inFlight()).find((r) => r.status === 'running')!;
    const row = await ctx.db.selectFrom('pipeline_runs').selectAll().where('id', '=', running.id).executeTakeFirstOrThrow();
    const error = await ctx.db
      .insertInto('pipeline_runs')
      .values({ ...row, id: 'run_forged' })
      .execute()
      .then(() => null, (e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
  });

  it('a cancelled waiting run frees its place; the next trigger queues again', async () => {
    await applyManifest(ctx.db, shop, yaml);
    await trigger(1);
    const waiting = await trigger(2);
    expect(waiting.outcome).toBe('queued');
    const cancelled = await cancelRun(ctx.db, waiting.run, 'ada@example.com');
    expect(cancelled.status).toBe('cancelled');
    expect(await ctx.db.selectFrom('pipeline_run_jobs').select('status').where('run_id', '=', waiting.run.id).execute()).toEqual([{ status: 'skipped' }]);
    await expectCode(() => cancelRun(ctx.db, cancelled, 'ada@example.com'), 'SLW_RUN_ENDED');
    expect((await trigger(3)).outcome).toBe('queued');
  });

  it('a release step is never queued behind the pipelines, and is started once per deployment', async () => {
    await applyManifest(ctx.db, shop, yaml);
    await trigger(1);
    await trigger(2);
    const jobs = [{ name: 'migrate', image: '$build', command: ['./migrate'], env: {}, timeoutSeconds: 60, resources: { cpuMillis: null, memoryBytes: null } }];
    const a = await startReleaseRun(ctx.db, staging, 'dep_1', digest, jobs, null);
    const again = await startReleaseRun(ctx.db, staging, 'dep_1', digest, jobs, null);
    const other = await startReleaseRun(ctx.db, staging, 'dep_2', digest, jobs, null);
    expect(a).toMatchObject({ status: 'running', pipeline: releasePipeline, trigger_kind: 'release' });
    expect(again.id).toBe(a.id);
    expect(other.status).toBe('running');
    expect(other.id).not.toBe(a.id);
  });

  it('refuses a $build pipeline against an environment that runs nothing, and an unknown pipeline', async () => {
    await expectCode(() => triggerRun(ctx.db, staging, { pipeline: 'test', reason: 'x', trigger: { kind: 'manual' } }), 'SLW_NO_MANIFEST');
    await applyManifest(ctx.db, shop, yaml);
    await expectCode(() => triggerRun(ctx.db, staging, { pipeline: 'test', reason: 'x', trigger: { kind: 'manual' } }), 'SLW_NOTHING_DEPLOYED');
    const unknown = await expectCode(() => triggerRun(ctx.db, staging, { pipeline: 'nope', reason: 'x', trigger: { kind: 'manual' } }), 'SLW_NO_MANIFEST');
    expect(unknown.message).toMatch(/no pipeline 'nope' \(pipelines: test\)/);
    expect(await ctx.db.selectFrom('pipeline_runs').selectAll().execute()).toEqual([]);
  });
});
