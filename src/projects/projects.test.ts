import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { auditCount, environment, expectCode, project, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { createEnvironment, createProject, describeProject, listEnvironments, listProjects, resolveEnvironment, resolveProject } from './projects.js';

async function count(ctx: TestContext, table: 'environments' | 'config_layers' | 'secrets' | 'projects', column: 'project_id' | 'environment_id' | 'id', value: string): Promise<number> {
  const rows = await ctx.db.selectFrom(table).select('id').where(column, '=', value).execute();
  return rows.length;
}

describe.each(engines)('projects on %s', (engine) => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await setupContext(engine);
  });
  afterEach(() => ctx.cleanup());

  it.each([
    ['low', ['prod']],
    ['mid', ['dev', 'prod']],
    ['high', ['dev', 'staging', 'prod']],
    ['business', ['dev', 'staging', 'prod']],
  ])('gives a %s-tier project exactly its default environments', async (tier, expected) => {
    const ws = await workspace(ctx, `ws-${tier}`, tier);
    const before = await auditCount(ctx.db, ws.workspace.id);
    const created = await createProject(ctx.db, ws, { name: 'shop' });
    expect(created).toMatchObject({ name: 'shop', workspace: `ws-${tier}`, configVersion: 0, environments: expected });
    expect(await auditCount(ctx.db, ws.workspace.id)).toBe(before + 1);
    const shop = await resolveProject(ctx.db, ws, 'shop');
    const envs = await listEnvironments(ctx.db, shop);
    expect(envs.map((e) => e.name)).toEqual(expected);
    expect(envs.every((e) => e.kind === 'standard' && e.project === 'shop')).toBe(true);
    expect(await count(ctx, 'environments', 'project_id', shop.project.id)).toBe(expected.length);
    expect(await describeProject(ctx.db, shop)).toEqual(created);
  });

  it.each(['high', 'business'])('allows custom environments on the %s tier', async (tier) => {
    const ws = await workspace(ctx, 'acme', tier);
    const shop = await project(ctx, ws, 'shop');
    const qa = await createEnvironment(ctx.db, shop, { name: 'qa' });
    expect(qa).toMatchObject({ name: 'qa', kind: 'custom', project: 'shop' });
    await createEnvironment(ctx.db, shop, { name: 'alpha' });
    expect((await listEnvironments(ctx.db, shop)).map((e) => `${e.name}:${e.kind}`)).toEqual(['dev:standard', 'staging:standard', 'prod:standard', 'alpha:custom', 'qa:custom']);
    // Only what is not a default of the tier may be deleted, and the list says which.
    expect((await listEnvironments(ctx.db, shop)).filter((e) => e.deletable).map((e) => e.name)).toEqual(['alpha', 'qa']);
    expect(qa.deletable).toBe(true);
  });

  it.each(['low', 'mid'])('refuses custom environments on the %s tier and stores nothing', async (tier) => {
    const ws = await workspace(ctx, 'acme', tier);
    const shop = await project(ctx, ws, 'shop');
    const audits = await auditCount(ctx.db, ws.workspace.id);
    const envs = await count(ctx, 'environments', 'project_id', shop.project.id);
    for (const name of ['qa', 'staging']) {
      const error = await expectCode(() => createEnvironment(ctx.db, shop, { name }), 'SLW_TIER_NO_CUSTOM_ENVIRONMENTS');
      expect(error.message).toContain('high or business');
    }
    expect(await count(ctx, 'environments', 'project_id', shop.project.id)).toBe(envs);
    expect(await auditCount(ctx.db, ws.workspace.id)).toBe(audits);
  });

  it('refuses duplicate and invalid names, and keeps projects per workspace', async () => {
    const ws = await workspace(ctx, 'acme', 'high');
    const other = await workspace(ctx, 'other', 'low');
    const shop = await project(ctx, ws, 'shop');
    const audits = await auditCount(ctx.db, ws.workspace.id);
    await expectCode(() => createProject(ctx.db, ws, { name: 'shop' }), 'SLW_ALREADY_EXISTS');
    await expectCode(() => createProject(ctx.db, ws, { name: 'Shop!' }), 'SLW_INVALID_NAME');
    await expectCode(() => createEnvironment(ctx.db, shop, { name: 'prod' }), 'SLW_ALREADY_EXISTS');
    await createEnvironment(ctx.db, shop, { name: 'qa' });
    await expectCode(() => createEnvironment(ctx.db, shop, { name: 'qa' }), 'SLW_ALREADY_EXISTS');
    await expectCode(() => createEnvironment(ctx.db, shop, { name: 'QA' }), 'SLW_INVALID_NAME');
    expect(await auditCount(ctx.db, ws.workspace.id)).toBe(audits + 1);
    expect(await count(ctx, 'environments', 'project_id', shop.project.id)).toBe(4);

    expect((await createProject(ctx.db, other, { name: 'shop' })).environments).toEqual(['prod']);
    expect((await listProjects(ctx.db, ws)).map((p) => p.name)).toEqual(['shop']);
    await expectCode(() => resolveProject(ctx.db, other, 'missing'), 'SLW_NOT_FOUND');
    await expectCode(() => resolveEnvironment(ctx.db, shop, 'qa2'), 'SLW_NOT_FOUND');
  });
});
