import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCron } from '../core/cron.js';
import { engines } from '../../test/support/engines.js';
import { expectCode, project, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import type { ApplicationsTable } from '../store/schema.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { seedApplication, seedSites } from './test-support/seed.js';
import { abortUpgrade, decideStagedSite, pauseUpgrade, planHerdUpgrade, resumeUpgrade, startHerdUpgrade, upgradeSummaries, upgradeView } from './upgrades.js';

const checkWindow = (cron: string) => void parseCron(cron);

describe.each(engines)('herd upgrades in the store (%s)', (engine) => {
  let ctx: TestContext;
  let access: WorkspaceAccess;
  let app: ApplicationsTable;

  beforeAll(async () => {
    ctx = await setupContext(engine);
    access = await workspace(ctx, 'acme');
    const p = await project(ctx, access, 'shop');
    app = await seedApplication(ctx.db, access.workspace.id, p.project.id, 'shop', ['1.0.0', '1.1.0', '2.0.0']);
    await seedSites(ctx.db, app, { count: 40, version: '1.1.0', digest: 'sha256:' + '1'.padStart(64, '0'), labels: (i) => ({ region: i % 2 ? 'eu' : 'us', ...(i < 3 ? { broken: 'yes' } : {}) }) });
  });
  afterAll(() => ctx.cleanup());

  it('plans from the stored sites, with their running versions and labels', async () => {
    const { plan, options, digest } = await planHerdUpgrade(ctx.db, app, { to: '2.0.0', sites: 'region=eu', canary: 2, batch: '50%', failureBudget: '10%' }, checkWindow);
    expect(plan.waves.map((w) => w.sites.length)).toEqual([2, 9, 9]);
    expect(plan.failureBudget).toBe(2);
    expect(options).toMatchObject({ canary: 2, batch: '50%', parallel: 5, bakeSeconds: 30 });
    expect(digest).toMatch(/^sha256:/);
    await expectCode(() => planHerdUpgrade(ctx.db, app, { to: '1.0.0' }, checkWindow), 'SLW_DOWNGRADE');
    await expectCode(() => planHerdUpgrade(ctx.db, app, { to: '3.0.0' }, checkWindow), 'SLW_NOT_FOUND');
    await expectCode(() => planHerdUpgrade(ctx.db, app, { to: '2.0.0', window: 'every night' }, checkWindow), 'SLW_VALIDATION');
    await expectCode(() => planHerdUpgrade(ctx.db, app, { to: '2.0.0', bake: '2s' }, checkWindow), 'SLW_VALIDATION');
    await expectCode(() => planHerdUpgrade(ctx.db, app, { to: '2.0.0', parallel: 0 }, checkWindow), 'SLW_VALIDATION');
  });

  it('stores one upgrade per application at a time, with a row per site in its wave; pause, resume and abort move its state', async () => {
    const row = await startHerdUpgrade(ctx.db, access, app, { to: '2.0.0', sites: 'region=us', window: `${(new Date().getUTCMinutes() + 30) % 60} * * * *` }, 'manual', checkWindow);
    const view = await upgradeView(ctx.db, row);
    expect(view).toMatchObject({ state: 'running', to: '2.0.0', failures: 0, failureBudget: 0, wave: 0 });
    expect(view.sites).toHaveLength(20);
    expect(view.waves.map((w) => [w.kind, w.sites])).toEqual([
      ['canary', 1],
      ['batch', 5],
      ['batch', 5],
      ['batch', 5],
      ['batch', 4],
    ]);
    expect(view.sites.every((s) => s.step === 'pending' && s.fromVersion === '1.1.0')).toBe(true);
    const { sites: _sites, ...summary } = view;
    expect(await upgradeSummaries(ctx.db, [row])).toEqual([summary]);
    await expectCode(() => startHerdUpgrade(ctx.db, access, app, { to: '2.0.0', sites: 'region=eu' }, 'manual', checkWindow), 'SLW_HERD_BUSY');
    expect((await pauseUpgrade(ctx.db, access, row.id)).state).toBe('paused');
    await expectCode(() => pauseUpgrade(ctx.db, access, row.id), 'SLW_HERD_STATE');
    expect((await resumeUpgrade(ctx.db, access, row.id)).state).toBe('running');
    await expectCode(() => decideStagedSite(ctx.db, access, row.id, view.sites[0]!.site, 'approve'), 'SLW_HERD_STATE');
    const aborted = await abortUpgrade(ctx.db, access, row.id, false);
    expect(aborted.state).toBe('aborted');
    await expectCode(() => resumeUpgrade(ctx.db, access, row.id), 'SLW_HERD_STATE');
  });
});
