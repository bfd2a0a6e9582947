/**
 * The runner's waves on both store engines, with the sites' steps moved by hand between passes
 * (what each step does is the end-to-end test's, test/herds/herd-upgrade.test.ts): the canary
 * alone, then at most `parallel` at once within one wave, the next wave only when the last site
 * of the previous one ended, the budget halting it, and the end.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCron } from '../core/cron.js';
import { engines } from '../../test/support/engines.js';
import { project, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import type { ApplicationsTable } from '../store/schema.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { HerdRunner } from './runner.js';
import type { SiteContext } from './site-store.js';
import { seedApplication, seedSites } from './test-support/seed.js';
import { startHerdUpgrade } from './upgrades.js';

const checkWindow = (cron: string) => void parseCron(cron);

describe.each(engines)('the herd runner (%s)', (engine) => {
  let ctx: TestContext;
  let access: WorkspaceAccess;
  let app: ApplicationsTable;
  let runner: HerdRunner;
  const signal = new AbortController().signal;

  beforeAll(async () => {
    ctx = await setupContext(engine);
    access = await workspace(ctx, 'acme');
    const p = await project(ctx, access, 'shop');
    app = await seedApplication(ctx.db, access.workspace.id, p.project.id, 'shop', ['1.0.0', '2.0.0']);
    await seedSites(ctx.db, app, { count: 6, version: '1.0.0', digest: 'sha256:' + '0'.repeat(64), name: (i) => `s${i}` });
    // No step is advanced here (each test moves the started sites on by hand), so the context's parts are never reached.
    const unused = {} as never;
    const sites: SiteContext = { db: ctx.db, keyring: unused, backups: unused, placements: () => unused, enqueueDeploy: () => undefined };
    runner = new HerdRunner({ ...sites, logger: pino({ level: 'silent' }), owner: 'test', windowOpen: (cron, at) => parseCron(cron).matches(at) });
  });
  afterAll(() => ctx.cleanup());

  const steps = async (id: string) => Object.fromEntries((await ctx.db.selectFrom('herd_upgrade_sites').select(['site', 'step']).where('upgrade_id', '=', id).orderBy('site').execute()).map((s) => [s.site, s.step]));
  const finish = (id: string, names: string[], step = 'done') => ctx.db.updateTable('herd_upgrade_sites').set({ step }).where('upgrade_id', '=', id).where('site', 'in', names).execute();

  it('starts the canary alone, then at most `parallel` of a wave, and the next wave only once the previous one ended', async () => {
    // Waves: [s0], [s1 s2 s3], [s4 s5].
    const u = await startHerdUpgrade(ctx.db, access, app, { to: '2.0.0', canary: 1, batch: '50%', parallel: 2 }, 'manual', checkWindow);
    expect(await runner.reconcile(u.id, signal)).toEqual({ requeueAfterMs: 500 });
    expect(await steps(u.id)).toEqual({ s0: 'backup', s1: 'pending', s2: 'pending', s3: 'pending', s4: 'pending', s5: 'pending' });
    await finish(u.id, ['s0']);
    await runner.reconcile(u.id, signal);
    expect(await steps(u.id)).toMatchObject({ s1: 'backup', s2: 'backup', s3: 'pending', s4: 'pending' });
    await finish(u.id, ['s1', 's2']);
    await runner.reconcile(u.id, signal);
    // Room for two, but the second wave waits for the last site of the first.
    expect(await steps(u.id)).toMatchObject({ s3: 'backup', s4: 'pending', s5: 'pending' });
    await finish(u.id, ['s3']);
    await runner.reconcile(u.id, signal);
    expect(await steps(u.id)).toMatchObject({ s4: 'backup', s5: 'backup' });
    await finish(u.id, ['s4', 's5']);
    expect(await runner.reconcile(u.id, signal)).toBeUndefined();
    const done = await ctx.db.selectFrom('herd_upgrades').selectAll().where('id', '=', u.id).executeTakeFirstOrThrow();
    expect(done).toMatchObject({ state: 'succeeded', active_key: null, lease_owner: null });
    expect(done.finished_at).not.toBeNull();
  });

  it('halts when a failure goes over the budget, and starts nothing more', async () => {
    // The sites still run 1.0.0 (nothing was deployed above).
    const u = await startHerdUpgrade(ctx.db, access, app, { to: '2.0.0', canary: 1, batch: '5', parallel: 5 }, 'manual', checkWindow);
    await runner.reconcile(u.id, signal);
    await finish(u.id, ['s0'], 'reverted');
    await ctx.db.updateTable('herd_upgrades').set({ failures: 1 }).where('id', '=', u.id).execute();
    expect(await runner.reconcile(u.id, signal)).toBeUndefined();
    expect(await ctx.db.selectFrom('herd_upgrades').select(['state', 'reason']).where('id', '=', u.id).executeTakeFirstOrThrow()).toMatchObject({ state: 'halted', reason: expect.stringMatching(/over the failure budget of 0/) });
    expect(Object.values(await steps(u.id)).filter((s) => s === 'pending')).toHaveLength(5);
  });
});
