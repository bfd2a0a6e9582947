/**
 * A job's volumes against the store (SQLite) and the in-memory target: the names it lists are
 * resolved against the environment's settings when it starts, to the Docker volumes its replicas
 * mount; a name the environment does not declare refuses the trigger (or a deploy whose release
 * step names it), and one removed after the trigger fails the job before it starts, with the
 * environment's volumes and how to add one, as the job's message and in the run's log.
 * (test/deploy/volumes.test.ts runs a release step against a volume on the real Docker engine.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { expectCode, setupContext, type TestContext } from '../../test/support/service-fixtures.js';
import { dockerVolumeName } from '../core/volumes.js';
import { requestDeploy } from '../deploy/deployments.js';
import { changeSettings } from '../deploy/settings.js';
import { MemoryTarget } from '../targets/memory/memory-target.js';
import { jobMounts } from './job-spec.js';
import { linesAfter } from './logs.js';
import { applyManifest } from './manifests.js';
import type { PipelineRunner } from './runner.js';
import { getRun, triggerRun } from './runs.js';
import { shopQa, testRunner } from './test-support/runner.js';

const manifest = `pipelines:
  report:
    jobs:
      - name: count
        image: $build
        volumes: [data, uploads]
        env:
          MEMORY_KIND: idle
`;

describe("a job's volumes", () => {
  let ctx: TestContext | undefined;
  let runner: PipelineRunner | undefined;
  let target: MemoryTarget | undefined;
  afterEach(async () => {
    runner?.stop();
    await target?.close();
    await ctx?.cleanup();
  });

  async function qaWith(volumes: Record<string, string>) {
    ctx = await setupContext('sqlite');
    const { shop, qa } = await shopQa(ctx);
    if (Object.keys(volumes).length > 0) await changeSettings(ctx.db, qa, { volumes });
    await applyManifest(ctx.db, shop, manifest);
    return { db: ctx.db, qa };
  }

  it("mounts the environment's volumes by name, as its replicas do; a name it does not declare is refused naming those it has", async () => {
    const { db, qa } = await qaWith({ data: '/var/lib/app', uploads: '/srv/uploads' });
    const mounts = await jobMounts(db, qa, { deployment_id: null }, { name: 'count', volumes: ['uploads', 'data'] }, 'itest');
    expect(mounts.map((m) => [m.volume, m.path])).toEqual([
      [dockerVolumeName(qa.environment.id, 'uploads'), '/srv/uploads'],
      [dockerVolumeName(qa.environment.id, 'data'), '/var/lib/app'],
    ]);
    expect(mounts[0]!.labels).toMatchObject({ 'io.slipway.environment-id': qa.environment.id, 'io.slipway.volume': 'uploads', 'io.slipway.instance': 'itest' });
    expect(await jobMounts(db, qa, { deployment_id: null }, { name: 'count' }, 'itest')).toEqual([]);
    // NAME:ro: the same Docker volume, mounted read-only; a plain name is not marked.
    const readOnly = await jobMounts(db, qa, { deployment_id: null }, { name: 'count', volumes: ['data:ro'] }, 'itest');
    expect(readOnly.map((m) => [m.volume, m.path, m.readOnly])).toEqual([[dockerVolumeName(qa.environment.id, 'data'), '/var/lib/app', true]]);
    expect('readOnly' in mounts[0]!).toBe(false);
    const refused = await expectCode(() => jobMounts(db, qa, { deployment_id: null }, { name: 'count', volumes: ['data', 'cache'] }, 'itest'), 'SLW_INVALID_VOLUME');
    expect(refused.message).toBe("volume 'cache' is not declared by shop/qa (its volumes: data at /var/lib/app, uploads at /srv/uploads); declare it with 'slipway env set --volume cache:/PATH -w acme -p shop -e qa', or remove it from the volumes of job 'count' in slipway.yaml");
  });

  it('a run whose job names a volume the environment does not declare is refused; one removed after the trigger fails the job before it starts, saying so in the job and the log', async () => {
    const { db, qa } = await qaWith({ data: '/var/lib/app' });
    target = new MemoryTarget({ name: 'local' });
    runner = testRunner(db, target).runner;
    const trigger = () => triggerRun(db, qa, { pipeline: 'report', imageDigest: `sha256:${'a'.repeat(64)}`, reason: 'test', trigger: { kind: 'manual', by: null } });
    const refused = await expectCode(trigger, 'SLW_INVALID_VOLUME');
    expect(refused.message).toBe("volume 'uploads' is not declared by shop/qa (its volumes: data at /var/lib/app); declare it with 'slipway env set --volume uploads:/PATH -w acme -p shop -e qa', or remove it from the volumes of job 'count' in slipway.yaml; pipeline 'report' was not run");
    expect(await db.selectFrom('pipeline_runs').select('id').execute()).toEqual([]);

    // Declared when triggered, removed before the job starts.
    await changeSettings(db, qa, { volumes: { uploads: '/srv/uploads' } });
    const { run } = await trigger();
    await changeSettings(db, qa, { volumes: { uploads: null } });
    await runner.reconcile(run.id, new AbortController().signal);

    const expected = "job 'count' could not start: volume 'uploads' is not declared by shop/qa (its volumes: data at /var/lib/app); declare it with 'slipway env set --volume uploads:/PATH -w acme -p shop -e qa', or remove it from the volumes of job 'count' in slipway.yaml";
    expect(await getRun(db, run.id)).toMatchObject({ status: 'failed', error: expected });
    const job = await db.selectFrom('pipeline_run_jobs').select(['status', 'message', 'started_at']).where('run_id', '=', run.id).executeTakeFirstOrThrow();
    expect(job).toEqual({ status: 'failed', message: expected, started_at: null });
    expect((await linesAfter(db, run.id, 0)).map((l) => [l.job, l.stream, l.line])).toEqual([['count', 'system', expected]]);
    // Nothing ran and no volume was made.
    expect(target.volumes()).toEqual([]);
  });

  it('a deploy whose release step names a volume the new release does not mount is refused before anything is recorded', async () => {
    const { db, qa } = await qaWith({ data: '/var/lib/app' });
    await applyManifest(db, qa, `release:
  jobs:
    - name: migrate
      image: $build
      command: ./migrate
      volumes: [data, uploads]
`);
    const deploy = () => requestDeploy(db, qa, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', trigger: 'deploy', actor: { userId: null, tokenId: null } });
    const refused = await expectCode(deploy, 'SLW_INVALID_VOLUME');
    expect(refused.message).toBe("volume 'uploads' is not declared by shop/qa (its volumes: data at /var/lib/app); declare it with 'slipway env set --volume uploads:/PATH -w acme -p shop -e qa', or remove it from the volumes of job 'migrate' in slipway.yaml; a deploy there runs the release step, so nothing was deployed");
    expect(await db.selectFrom('releases').select('id').where('environment_id', '=', qa.environment.id).execute()).toEqual([]);
    expect(await db.selectFrom('deployments').select('id').where('environment_id', '=', qa.environment.id).execute()).toEqual([]);
    // A rollback-like request names the volumes of its release: checked against those.
    await expectCode(() => requestDeploy(db, qa, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', trigger: 'deploy', actor: { userId: null, tokenId: null }, volumes: [] }), 'SLW_INVALID_VOLUME');
    // Declared, it is accepted.
    await changeSettings(db, qa, { volumes: { data: '/var/lib/app', uploads: '/srv/uploads' } });
    expect((await deploy()).release.number).toBe(1);
  });
});
