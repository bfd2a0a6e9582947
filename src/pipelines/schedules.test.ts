/**
 * Pipeline schedules on both store engines, with the clock given: applying a manifest stores its
 * schedules (kept with their next slot when the manifest is applied again, removed with it); a due
 * slot runs the pipeline once (trigger `schedule`), whatever number of callers race for it; a slot
 * missed by more than the catch-up time is skipped; a schedule against an environment the project
 * does not have records why it did not run; a paused schedule runs no slot until resumed, from its
 * next slot; a bad schedule is refused with its line and column.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catchUpMs } from '../core/cron.js';
import type { ProjectAccess } from '../projects/projects.js';
import { engines } from '../../test/support/engines.js';
import { environment, expectCode, project, projectAs, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { applyManifest, showManifest } from './manifests.js';
import { listSchedules, pauseSchedules, runDueSchedules } from './schedules.js';

const manifest = (schedules: string) => `pipelines:
  nightly:
    jobs:
      - name: report
        image: busybox
        command: echo report
    schedules:
${schedules}
`;
const every5 = manifest(`      - cron: "*/5 * * * *"
        environment: staging
      - cron: "0 3 * * *"
        environment: qa`);

describe.each(engines)('pipeline schedules on %s', (engine) => {
  let ctx: TestContext;
  let shop: ProjectAccess;
  const runs = async () => ctx.db.selectFrom('pipeline_runs').select(['id', 'status', 'trigger_kind', 'trigger_by', 'reason', 'environment_id']).orderBy('id').execute();
  const schedule = async (cron: string) => (await listSchedules(ctx.db, shop)).find((s) => s.cron === cron)!;

  beforeEach(async () => {
    ctx = await setupContext(engine);
    shop = await project(ctx, await workspace(ctx, 'acme', 'high'), 'shop');
    await environment(ctx, shop, 'staging');
  });
  afterEach(() => ctx.cleanup());

  it('stores the schedules with their next slot; a due slot runs once, for every caller racing for it', async () => {
    const before = Date.now();
    const applied = await applyManifest(ctx.db, shop, every5);
    expect(applied.pipelines).toEqual([expect.objectContaining({ name: 'nightly', schedules: [{ cron: '*/5 * * * *', environment: 'staging' }, { cron: '0 3 * * *', environment: 'qa' }] })]);
    const s = await schedule('*/5 * * * *');
    const slot = Date.parse(s.nextAt);
    expect(slot).toBeGreaterThan(before);
    expect(slot - before).toBeLessThanOrEqual(5 * 60_000);
    expect(new Date(slot).getUTCMinutes() % 5).toBe(0);
    expect(s.last).toBeNull();

    // Not due yet: nothing runs.
    expect(await runDueSchedules(ctx.db, new Date(slot - 1000))).toEqual([]);
    expect(await runs()).toEqual([]);

    // Due: five callers race; the slot is taken once and runs once.
    const at = new Date(slot + 10_000);
    const results = (await Promise.all(Array.from({ length: 5 }, () => runDueSchedules(ctx.db, at)))).flat();
    const id = (await ctx.db.selectFrom('pipeline_schedules').select('id').where('environment', '=', 'staging').executeTakeFirstOrThrow()).id;
    const staging = results.filter((r) => r.schedule === id);
    expect(staging).toHaveLength(1);
    expect(staging[0]!.outcome).toBe('started');
    const [run] = await runs();
    expect(run).toMatchObject({ id: staging[0]!.runId, status: 'running', trigger_kind: 'schedule', trigger_by: null, reason: `schedule '*/5 * * * *' (slot ${new Date(slot).toISOString()})` });
    const after = await schedule('*/5 * * * *');
    expect(after.last).toEqual({ slotAt: new Date(slot).toISOString(), outcome: 'started', runId: run!.id, error: null });
    expect(Date.parse(after.nextAt)).toBe(slot + 5 * 60_000);
    expect(await runDueSchedules(ctx.db, at)).toEqual([]);

    // The next slot meets the run still in flight: it queues behind it, like any trigger.
    const next = await runDueSchedules(ctx.db, new Date(slot + 5 * 60_000 + 1000));
    expect(next.filter((r) => r.schedule === id).map((r) => r.outcome)).toEqual(['queued']);
    expect((await runs()).map((r) => r.status)).toEqual(['running', 'queued']);
  });

  it('missed slots: one catch-up run for the latest within the hour, none when all are older; an unknown environment is said', async () => {
    await applyManifest(ctx.db, shop, every5);
    const s = await schedule('*/5 * * * *');
    // Found 61 minutes late: the slots of the last hour are due; the latest runs once, for all of them.
    const late = new Date(Date.parse(s.nextAt) + catchUpMs + 60_000);
    await runDueSchedules(ctx.db, late);
    const latest = new Date(Date.parse(s.nextAt) + 60 * 60_000).toISOString();
    const caught = await schedule('*/5 * * * *');
    expect(caught.last).toMatchObject({ slotAt: latest, outcome: 'started', error: null });
    const all = await runs();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ id: caught.last!.runId, trigger_kind: 'schedule', reason: `schedule '*/5 * * * *' (slot ${latest}; stands in for 11 earlier missed slot(s))` });
    expect(Date.parse(caught.nextAt)).toBeGreaterThan(late.getTime());

    // The 03:00 slot against qa found two hours late: no slot of the last hour, nothing runs.
    const qa = await schedule('0 3 * * *');
    await runDueSchedules(ctx.db, new Date(Date.parse(qa.nextAt) + 2 * 3600_000));
    const missed = await schedule('0 3 * * *');
    expect(missed.last).toMatchObject({ slotAt: qa.nextAt, outcome: 'missed', runId: null });
    expect(missed.last!.error).toMatch(/came less than 60 minutes ago \(the server was not running\): none ran/);
    expect(Date.parse(missed.nextAt)).toBe(Date.parse(qa.nextAt) + 86400_000);

    // In time, against qa, an environment the project does not have: said, nothing runs.
    await runDueSchedules(ctx.db, new Date(Date.parse(missed.nextAt) + 5000));
    expect((await schedule('0 3 * * *')).last).toMatchObject({ slotAt: missed.nextAt, outcome: 'failed', runId: null, error: "the project has no environment 'qa'; create it or change the manifest's schedule" });
    expect((await runs()).filter((r) => r.reason.includes('0 3 * * *'))).toEqual([]);
  });

  it('applying again keeps a schedule and its next slot; a changed or removed schedule goes', async () => {
    await applyManifest(ctx.db, shop, every5);
    const first = await ctx.db.selectFrom('pipeline_schedules').select(['id', 'cron', 'next_at']).orderBy('cron').execute();
    await applyManifest(ctx.db, shop, every5);
    expect(await ctx.db.selectFrom('pipeline_schedules').select(['id', 'cron', 'next_at']).orderBy('cron').execute()).toEqual(first);
    await applyManifest(ctx.db, shop, manifest(`      - cron: "*/10  * * * *"
        environment: staging`));
    const now = await listSchedules(ctx.db, shop);
    expect(now.map((s) => `${s.environment} ${s.cron}`)).toEqual(['staging */10 * * * *']);
    await applyManifest(ctx.db, shop, manifest('      []').replace('    schedules:\n      []\n', ''));
    expect(await listSchedules(ctx.db, shop)).toEqual([]);
    expect((await showManifest(ctx.db, shop)).pipelines[0]!.schedules).toEqual([]);
  });

  it('a paused schedule runs no slot and stays paused when the manifest is applied again; resumed, it starts from its next slot; prod is for admins', async () => {
    await applyManifest(ctx.db, shop, every5);
    const s = await schedule('*/5 * * * *');
    const pausedAt = new Date(Date.parse(s.nextAt) - 60_000);
    const listed = await pauseSchedules(ctx.db, shop, 'nightly', { paused: true, environment: 'staging' }, pausedAt);
    expect(listed.find((x) => x.cron === '*/5 * * * *')!.paused).toEqual({ at: pausedAt.toISOString(), by: shop.principal.email });
    expect(listed.find((x) => x.cron === '0 3 * * *')!.paused).toBeNull();

    // Its slot comes and goes: nothing runs, nothing is recorded; an apply keeps the pause.
    expect(await runDueSchedules(ctx.db, new Date(Date.parse(s.nextAt) + 5_000))).toEqual([]);
    await applyManifest(ctx.db, shop, every5);
    expect((await schedule('*/5 * * * *')).paused).not.toBeNull();
    const later = new Date(Date.parse(s.nextAt) + 30 * 60_000 + 5_000);
    expect((await runDueSchedules(ctx.db, later)).length).toBe(0);
    expect(await runs()).toEqual([]);
    expect((await schedule('*/5 * * * *')).last).toBeNull();

    // Resumed: from the next slot after then, none of those missed while paused.
    await pauseSchedules(ctx.db, shop, 'nightly', { paused: false }, later);
    const resumed = await schedule('*/5 * * * *');
    expect(resumed.paused).toBeNull();
    expect(Date.parse(resumed.nextAt)).toBe(Date.parse(s.nextAt) + 35 * 60_000);
    expect(await runDueSchedules(ctx.db, later)).toEqual([]);
    expect((await runDueSchedules(ctx.db, new Date(Date.parse(resumed.nextAt) + 1000))).map((r) => r.outcome)).toContain('started');

    await expectCode(() => pauseSchedules(ctx.db, shop, 'nope', { paused: true }), 'SLW_NOT_FOUND');
    const none = await expectCode(() => pauseSchedules(ctx.db, shop, 'nightly', { paused: true, environment: 'dev' }), 'SLW_NOT_FOUND');
    expect(none.message).toBe("pipeline 'nightly' of shop has no schedule against 'dev'; its schedules come from the manifest (slipway pipeline schedules lists them)");

    // Against prod (approval required) a developer may not pause or resume; nothing changes.
    await applyManifest(ctx.db, shop, manifest(`      - cron: "0 4 * * *"
        environment: prod`));
    const asDeveloper = await projectAs(ctx, shop, 'shop', 'dev@example.com', 'developer');
    const refused = await expectCode(() => pauseSchedules(ctx.db, asDeveloper, 'nightly', { paused: true }), 'SLW_FORBIDDEN');
    expect(refused.message).toBe('prod requires approval, so only an admin or owner may pause a schedule against it (your role: developer); name another environment with -e, or ask an admin or owner');
    expect((await schedule('0 4 * * *')).paused).toBeNull();
  });

  it('refuses a bad cron, a schedule given twice and more than five, with line and column, storing nothing', async () => {
    const bad = await expectCode(() => applyManifest(ctx.db, shop, manifest(`      - cron: "61 * * * *"
        environment: staging`)), 'SLW_MANIFEST_INVALID');
    expect(bad.message).toMatch(/^slipway\.yaml:8:\d+: pipelines\.nightly\.schedules\[0\]\.cron: cron expression '61 \* \* \* \*': 61 is out of the minute range/);
    const twice = await expectCode(() => applyManifest(ctx.db, shop, manifest(`      - cron: "0 3 * * *"
        environment: staging
      - cron: "0  3 * * *"
        environment: staging`)), 'SLW_MANIFEST_INVALID');
    expect(twice.message).toMatch(/is given twice/);
    const many = Array.from({ length: 6 }, (_, i) => `      - cron: "${i} 3 * * *"\n        environment: staging`).join('\n');
    await expectCode(() => applyManifest(ctx.db, shop, manifest(many)), 'SLW_MANIFEST_INVALID');
    expect(await ctx.db.selectFrom('pipeline_schedules').selectAll().execute()).toEqual([]);
    expect((await showManifest(ctx.db, shop)).applied).toBe(false);
  });
});
