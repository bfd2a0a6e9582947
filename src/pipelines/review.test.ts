/**
 * Review of the manifest for protected environments, on both store engines: a developer's
 * manifest runs in unprotected environments at once but not in prod (a manual run, a schedule,
 * the release step) until an admin or owner reviews the very text they read; applying the same
 * jobs again keeps the review, changing one drops it; an admin's apply is reviewed at once; a
 * developer runs no other image than prod's own there. A manifest whose jobs name no volume keeps
 * the digest it had before jobs could name volumes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvironmentAccess, ProjectAccess } from '../projects/projects.js';
import { resolveEnvironment } from '../projects/projects.js';
import { engines } from '../../test/support/engines.js';
import { auditCount, environment, expectCode, project, projectAs, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { applyManifest, showManifest } from './manifests.js';
import { assertMayRunImage, assertReleaseStepMayRun, reviewManifest, runsDigest, yamlDigest } from './review.js';
import { startReleaseRun, triggerRun } from './runs.js';
import { listSchedules, runDueSchedules } from './schedules.js';
import { parseManifest } from '../manifest/parse.js';

const built = `sha256:${'b'.repeat(64)}`;
const manifest = (command: string) => `pipelines:
  report:
    jobs:
      - name: dump
        image: $build
        command: ${command}
    schedules:
      - cron: "*/5 * * * *"
        environment: prod
release:
  jobs:
    - name: migrate
      image: $build
      command: ./migrate
`;

describe.each(engines)('manifest review for protected environments, on %s', (engine) => {
  let ctx: TestContext;
  let owner: ProjectAccess;
  let asDeveloper: ProjectAccess;
  let asAdmin: ProjectAccess;
  let prod: EnvironmentAccess;
  let staging: EnvironmentAccess;
  const run = (env: EnvironmentAccess) => triggerRun(ctx.db, env, { pipeline: 'report', imageDigest: built, reason: 'by hand', trigger: { kind: 'manual', by: 'dev@example.com' } });
  const runs = async () => ctx.db.selectFrom('pipeline_runs').select(['environment_id', 'status', 'trigger_kind']).orderBy('created_at').execute();

  beforeEach(async () => {
    ctx = await setupContext(engine);
    const acme = await workspace(ctx, 'acme', 'high');
    owner = await project(ctx, acme, 'shop');
    const as = (email: string, role: 'developer' | 'admin') => projectAs(ctx, acme, 'shop', email, role);
    asDeveloper = await as('dev@example.com', 'developer');
    asAdmin = await as('ops@example.com', 'admin');
    prod = await resolveEnvironment(ctx.db, asDeveloper, 'prod');
    staging = await environment(ctx, asDeveloper, 'staging');
  });
  afterEach(() => ctx.cleanup());

  it("runs a developer's manifest in staging at once, and in prod (by hand, on schedule, as the release step) only once an admin reviewed what they read", async () => {
    const applied = await applyManifest(ctx.db, asDeveloper, manifest('env'));
    expect(applied.review).toEqual({ reviewed: false, reviewedAt: null, reviewedBy: null, protectedEnvironments: ['prod'], diff: null });

    expect((await run(staging)).outcome).toBe('started');
    const refused = await expectCode(() => run(prod), 'SLW_MANIFEST_UNREVIEWED');
    expect(refused.message).toMatch(/^shop\/prod requires approval, and the manifest of shop \(uploaded by dev@example\.com at .+\) is not reviewed, so its jobs do not run there; an admin or owner reads it \(slipway pipeline show -p shop\) and reviews it \(slipway pipeline review -p shop\), or applies it$/);
    expect((await runs()).map((r) => r.environment_id)).toEqual([staging.environment.id]);

    // A deploy into prod is refused before anything is recorded; into staging it may go.
    const refusedDeploy = await expectCode(() => assertReleaseStepMayRun(ctx.db, prod), 'SLW_MANIFEST_UNREVIEWED');
    expect(refusedDeploy.message).toMatch(/; a deploy there runs its release step, so nothing was deployed$/);
    await assertReleaseStepMayRun(ctx.db, staging);
    // Should the manifest change after that check, the engine's release step is recorded as failed without running a job.
    const jobs = parseManifest(manifest('env'), 'slipway.yaml').release!.jobs;
    const step = await startReleaseRun(ctx.db, prod, 'dep_prod', built, jobs, null);
    expect(step).toMatchObject({ status: 'failed', trigger_kind: 'release' });
    expect(step.error).toMatch(/^SLW_MANIFEST_UNREVIEWED: shop\/prod requires approval/);
    expect(await ctx.db.selectFrom('pipeline_run_jobs').select('status').where('run_id', '=', step.id).execute()).toEqual([{ status: 'skipped' }]);
    expect((await startReleaseRun(ctx.db, staging, 'dep_staging', built, jobs, null)).status).toBe('running');

    // A due slot of the schedule against prod records why nothing ran.
    const slot = Date.parse((await listSchedules(ctx.db, owner))[0]!.nextAt);
    expect(await runDueSchedules(ctx.db, new Date(slot + 5_000))).toEqual([expect.objectContaining({ outcome: 'failed', runId: null })]);
    expect((await listSchedules(ctx.db, owner))[0]!.last).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/^SLW_MANIFEST_UNREVIEWED: /) });

    // Reviewing another text than the one in force is refused and changes nothing.
    const audits = await auditCount(ctx.db, owner.workspace.id);
    const stale = await expectCode(() => reviewManifest(ctx.db, asAdmin, yamlDigest(manifest('echo something else'))), 'SLW_MANIFEST_CHANGED');
    expect(stale.message).toMatch(/^the manifest of shop was replaced \(by dev@example\.com at .+\) after the one you reviewed/);
    expect((await showManifest(ctx.db, owner)).review.reviewed).toBe(false);
    expect(await auditCount(ctx.db, owner.workspace.id)).toBe(audits);

    await reviewManifest(ctx.db, asAdmin, applied.digest!);
    expect((await showManifest(ctx.db, owner)).review).toMatchObject({ reviewed: true, reviewedBy: 'ops@example.com', protectedEnvironments: ['prod'], diff: null });
    expect(await auditCount(ctx.db, owner.workspace.id)).toBe(audits + 1);
    await reviewManifest(ctx.db, asAdmin, applied.digest!);
    expect(await auditCount(ctx.db, owner.workspace.id)).toBe(audits + 1);
    expect((await startReleaseRun(ctx.db, prod, 'dep_prod_2', built, jobs, null)).status).toBe('running');
    await assertReleaseStepMayRun(ctx.db, prod);
    expect((await showManifest(ctx.db, owner)).review.diff).toBeNull();

    // The next change by a developer shows against the text reviewed.
    const next = await applyManifest(ctx.db, asDeveloper, manifest('printenv'));
    expect(next.review.diff).toBe(['…', '      jobs:', '        - name: dump', '          image: $build', '-         command: env', '+         command: printenv', '      schedules:', '        - cron: "*/5 * * * *"', '          environment: prod', '…'].join('\n'));
    await reviewManifest(ctx.db, asAdmin, next.digest!);
    expect((await showManifest(ctx.db, owner)).review).toMatchObject({ reviewed: true, diff: null });
  });

  it('keeps the review when the same jobs are applied again, drops it when one changes; an admin or owner applies reviewed', async () => {
    const first = await applyManifest(ctx.db, asAdmin, manifest('env'));
    expect(first.review).toMatchObject({ reviewed: true, reviewedBy: 'ops@example.com' });

    // Same jobs, other spelling (key order, comments) and another gate: still reviewed.
    const respelled = `# the same jobs
release:
  jobs:
    - command: ./migrate
      image: $build
      name: migrate
pipelines:
  report:
    schedules:
      - environment: prod
        cron: "*/5 * * * *"
    jobs:
      - command: env
        name: dump
        image: $build
gates:
  staging:
    approval: true
`;
    expect(runsDigest(parseManifest(respelled, 'slipway.yaml'))).toBe(runsDigest(parseManifest(manifest('env'), 'slipway.yaml')));
    const again = await applyManifest(ctx.db, asDeveloper, respelled);
    expect(again.review).toMatchObject({ reviewed: true, reviewedBy: 'ops@example.com', protectedEnvironments: ['prod', 'staging'] });

    const changed = await applyManifest(ctx.db, asDeveloper, manifest('cat /proc/self/environ'));
    expect(changed.review.reviewed).toBe(false);
    // The reviewer reads what changed since the text last reviewed (the admin's, not the respelled one that kept its review).
    expect(changed.review.diff!.split('\n').filter((l) => /^[-+] /.test(l))).toEqual(['-         command: env', '+         command: cat /proc/self/environ']);
    await expectCode(() => run(prod), 'SLW_MANIFEST_UNREVIEWED');
    // Back to the reviewed jobs by a developer: the earlier review does not come back by itself.
    expect((await applyManifest(ctx.db, asDeveloper, manifest('env'))).review.reviewed).toBe(false);
    expect((await applyManifest(ctx.db, owner, manifest('cat /proc/self/environ'))).review).toMatchObject({ reviewed: true });
    expect((await run(prod)).outcome).toBe('started');
  });

  it('lets a developer run a pipeline in prod only with the image prod runs; an admin with any; an unprotected environment with any', async () => {
    await expectCode(() => assertMayRunImage(ctx.db, prod, built), 'SLW_FORBIDDEN');
    await ctx.db
      .insertInto('releases')
      .values({ id: 'rel_prod_1', workspace_id: owner.workspace.id, project_id: owner.project.id, environment_id: prod.environment.id, number: 1, image_digest: built, version_tag: '1.0.0', config_version: 0, secret_versions: '{}', service_credentials: '{}', volumes: '[]', status: 'succeeded', trigger: 'deploy', actor_user_id: null, actor_token_id: null, created_at: '2026-01-01T00:00:00Z', started_at: null, finished_at: null, message: null })
      .execute();
    await assertMayRunImage(ctx.db, prod, built);
    const other = await expectCode(() => assertMayRunImage(ctx.db, prod, `sha256:${'c'.repeat(64)}`), 'SLW_FORBIDDEN');
    expect(other.message).toBe('shop/prod requires approval, so only an admin or owner may run a pipeline there with another image than the one it runs (your role: developer); leave out --image to run its current release, or promote the image first');
    await assertMayRunImage(ctx.db, await resolveEnvironment(ctx.db, asAdmin, 'prod'), `sha256:${'c'.repeat(64)}`);
    await assertMayRunImage(ctx.db, staging, `sha256:${'c'.repeat(64)}`);
  });
});

describe("the review digest and a job's volumes", () => {
  const jobs = (volumes: string) => `pipelines:\n  report:\n    jobs:\n      - name: dump\n        image: $build\n        command: env\n${volumes}release:\n  jobs:\n    - name: migrate\n      image: $build\n      command: ./migrate\n`;
  it('stays what it was before jobs had volumes for a manifest without them (an empty list too); naming a volume changes it', () => {
    // The digest of this manifest as stored before the field existed: a developer re-applying it keeps its review.
    const before = 'sha256:9b3b8369d2d4f0fb43c887f6f3f7d115193788bd9bb243adfe0a7f0e71609b2e';
    expect(runsDigest(parseManifest(jobs('')))).toBe(before);
    expect(runsDigest(parseManifest(jobs('        volumes: []\n')))).toBe(before);
    expect(runsDigest(parseManifest(jobs('        volumes: [data]\n')))).not.toBe(before);
  });
});
