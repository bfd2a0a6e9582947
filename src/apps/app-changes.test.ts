import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { project, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { seedApplication } from '../herds/test-support/seed.js';
import type { ApplicationsTable } from '../store/schema.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { applyAppChanges } from './app-changes.js';
import { continuousChange } from './continuous-settings.js';

describe.each(engines)("an application's settings changes (%s)", (engine) => {
  let ctx: TestContext;
  let access: WorkspaceAccess;
  let app: ApplicationsTable;

  beforeAll(async () => {
    ctx = await setupContext(engine);
    access = await workspace(ctx, 'acme');
    const p = await project(ctx, access, 'shop');
    app = await seedApplication(ctx.db, access.workspace.id, p.project.id, 'shop', ['1.0.0']);
  });
  afterAll(() => ctx.cleanup());

  const audits = async () => (await ctx.db.selectFrom('audit_events').select('action').where('target_type', '=', 'application').where('target', '=', 'shop').execute()).map((a) => a.action).sort();

  it('stores every change of one request together, each with its audit entry', async () => {
    const options = { canary: 2, batch: '10%', parallel: 3, bakeSeconds: 0, failureBudget: '1' };
    const notify = { set: { notify_url: 'https://hooks.example.com/slipway' }, action: 'application.notify-url.set', details: { host: 'hooks.example.com' } };
    const next = await applyAppChanges(ctx.db, access, app, [notify, continuousChange(app, options)]);
    const stored = await ctx.db.selectFrom('applications').selectAll().where('id', '=', app.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ notify_url: 'https://hooks.example.com/slipway', continuous_options: JSON.stringify(options) });
    expect(next).toMatchObject({ notify_url: stored.notify_url, continuous_options: stored.continuous_options });
    expect(await audits()).toEqual(['application.continuous.set', 'application.notify-url.set']);
    // The same options again change nothing and record nothing.
    expect(continuousChange(next, options)).toBeNull();
    expect(await applyAppChanges(ctx.db, access, next, [null, continuousChange(next, options)])).toBe(next);
    expect(await audits()).toHaveLength(2);
  });
});
