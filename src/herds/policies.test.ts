import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCron } from '../core/cron.js';
import { engines } from '../../test/support/engines.js';
import { project, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import type { ApplicationsTable } from '../store/schema.js';
import { continuousUpgradeInput, startContinuousUpgrades } from './policies.js';
import { continuousDefaults } from '../core/continuous.js';
import { seedApplication, seedSites } from './test-support/seed.js';

describe.each(engines)('the continuous policy (%s)', (engine) => {
  let ctx: TestContext;
  let app: ApplicationsTable;
  const policy = () => ({ db: ctx.db, windowOpen: (cron: string, at: Date) => parseCron(cron).matches(at), checkWindow: (cron: string) => void parseCron(cron) });

  beforeAll(async () => {
    ctx = await setupContext(engine);
    const access = await workspace(ctx, 'acme');
    const p = await project(ctx, access, 'shop');
    app = await seedApplication(ctx.db, access.workspace.id, p.project.id, 'shop', ['1.0.0', '1.1.0', '1.2.0-beta.1']);
    await seedSites(ctx.db, app, { count: 5, version: '1.0.0', digest: 'sha256:' + '0'.repeat(64), name: (i) => `s${i}` });
    // s0, s1: continuous on stable; s2: continuous on beta; s3: continuous outside its window; s4: manual; s5: continuous, nothing deployed yet.
    await seedSites(ctx.db, app, { count: 1, version: '1.0.0', digest: 'sha256:' + '0'.repeat(64), name: () => 's5' });
    const s5 = await ctx.db.selectFrom('sites').select('environment_id').where('name', '=', 's5').executeTakeFirstOrThrow();
    await ctx.db.deleteFrom('releases').where('environment_id', '=', s5.environment_id).execute();
    await ctx.db.updateTable('sites').set({ policy: 'continuous' }).where('name', 'in', ['s0', 's1', 's2', 's3', 's5']).execute();
    await ctx.db.updateTable('sites').set({ channel: 'beta' }).where('name', '=', 's2').execute();
    await ctx.db.updateTable('sites').set({ maintenance_window: `${(new Date().getUTCMinutes() + 30) % 60} * * * *` }).where('name', '=', 's3').execute();
  });
  afterAll(() => ctx.cleanup());

  it('upgrades the continuous sites behind their channel’s latest, inside their windows, one upgrade at a time, and never retries a version whose upgrade halted', async () => {
    const [first, ...more] = await startContinuousUpgrades(policy());
    expect(more).toEqual([]);
    const up = await ctx.db.selectFrom('herd_upgrades').selectAll().where('id', '=', first!).executeTakeFirstOrThrow();
    // The highest target first: the beta site's 1.2.0-beta.1; the stable ones at a later check.
    expect(up).toMatchObject({ to_version: '1.2.0-beta.1', trigger: 'continuous', state: 'running', created_by: null });
    const sites = await ctx.db.selectFrom('herd_upgrade_sites').select('site').where('upgrade_id', '=', first!).execute();
    expect(sites.map((s) => s.site)).toEqual(['s2']);
    expect(await startContinuousUpgrades(policy())).toEqual([]);
    await ctx.db.updateTable('herd_upgrades').set({ state: 'halted', active_key: null, finished_at: new Date().toISOString() }).where('id', '=', first!).execute();
    const [second] = await startContinuousUpgrades(policy());
    const next = await ctx.db.selectFrom('herd_upgrades').selectAll().where('id', '=', second!).executeTakeFirstOrThrow();
    expect(next.to_version).toBe('1.1.0');
    expect((await ctx.db.selectFrom('herd_upgrade_sites').select('site').where('upgrade_id', '=', second!).orderBy('site').execute()).map((s) => s.site)).toEqual(['s0', 's1']);
    await ctx.db.updateTable('herd_upgrades').set({ state: 'halted', active_key: null, finished_at: new Date().toISOString() }).where('id', '=', second!).execute();
    expect(await startContinuousUpgrades(policy())).toEqual([]);
  });

  it("moves as the application's continuous options say", async () => {
    await ctx.db.updateTable('herd_upgrades').set({ state: 'halted', active_key: null, finished_at: new Date().toISOString() }).where('application_id', '=', app.id).where('finished_at', 'is', null).execute();
    await ctx.db.insertInto('application_versions').values({ application_id: app.id, tag: '1.3.0', digest: `sha256:${'3'.repeat(64)}`, discovered_at: new Date().toISOString() }).execute();
    await ctx.db.updateTable('applications').set({ continuous_options: JSON.stringify({ ...continuousDefaults, canary: 0, parallel: 7, bakeSeconds: 0, failureBudget: '5' }) }).where('id', '=', app.id).execute();
    const [id] = await startContinuousUpgrades(policy());
    const up = await ctx.db.selectFrom('herd_upgrades').selectAll().where('id', '=', id!).executeTakeFirstOrThrow();
    expect(up.to_version).toBe('1.3.0');
    // s0 and s1 (stable), and s2 (beta: a stable version above its pre-release is on its channel too).
    expect((await ctx.db.selectFrom('herd_upgrade_sites').select('site').where('upgrade_id', '=', id!).orderBy('site').execute()).map((s) => s.site)).toEqual(['s0', 's1', 's2']);
    // A budget above the sites behind tolerates all of them.
    expect(JSON.parse(up.options)).toMatchObject({ canary: 0, batch: '25%', parallel: 7, bakeSeconds: 0, failureBudget: '3' });
    expect(up.failure_budget).toBe(3);
  });
});

describe('an automatic upgrade’s options', () => {
  it('keep a share as given, and bring a number above the sites behind down to them', () => {
    expect(continuousUpgradeInput({ ...continuousDefaults, failureBudget: '5' }, 3).failureBudget).toBe('3');
    expect(continuousUpgradeInput({ ...continuousDefaults, failureBudget: '2' }, 3).failureBudget).toBe('2');
    expect(continuousUpgradeInput({ ...continuousDefaults, failureBudget: '50%' }, 3).failureBudget).toBe('50%');
  });
});
