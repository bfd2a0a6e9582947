import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeConfig } from '../config/config.js';
import { createRelease } from '../releases/releases.js';
import { setSecret } from '../secrets/secrets.js';
import type { EnvironmentAccess } from './projects.js';
import { engines } from '../../test/support/engines.js';
import { auditCount, environment, expectCode, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { createEnvironment, createProject, deleteEnvironment, deleteProject, describeProject, listEnvironments, listProjects, resolveEnvironment, resolveProject } from './projects.js';

const release = (ctx: TestContext, env: EnvironmentAccess) =>
  createRelease(ctx.db, env, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', configVersion: 0, secretVersions: {}, trigger: 'deploy', actor: { userId: ctx.admin.userId, tokenId: ctx.admin.tokenId } });

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

  it('protects tier-default environments from deletion', async () => {
    const ws = await workspace(ctx, 'acme', 'high');
    const shop = await project(ctx, ws, 'shop');
    for (const name of ['dev', 'staging', 'prod']) {
      await expectCode(async () => deleteEnvironment(ctx.db, await environment(ctx, shop, name)), 'SLW_ENVIRONMENT_PROTECTED');
    }
    expect((await listEnvironments(ctx.db, shop)).map((e) => e.name)).toEqual(['dev', 'staging', 'prod']);
  });

  it('refuses to delete an environment or a project that has a release', async () => {
    const ws = await workspace(ctx, 'acme', 'high');
    const shop = await project(ctx, ws, 'shop');
    await createEnvironment(ctx.db, shop, { name: 'qa' });
    const qa = await environment(ctx, shop, 'qa');
    await release(ctx, qa);
    const audits = await auditCount(ctx.db, ws.workspace.id);
    await expectCode(() => deleteEnvironment(ctx.db, qa), 'SLW_HAS_RELEASES');
    await expectCode(() => deleteProject(ctx.db, shop), 'SLW_HAS_RELEASES');
    expect(await count(ctx, 'environments', 'id', qa.environment.id)).toBe(1);
    expect(await count(ctx, 'projects', 'id', shop.project.id)).toBe(1);
    expect(await auditCount(ctx.db, ws.workspace.id)).toBe(audits);

    const other = await project(ctx, ws, 'other');
    await release(ctx, await environment(ctx, other, 'prod'));
    await expectCode(() => deleteProject(ctx.db, other), 'SLW_HAS_RELEASES');
    expect(await count(ctx, 'environments', 'project_id', other.project.id)).toBe(3);
  });

  it('deletes a custom environment with its config layers and secrets, and nothing else', async () => {
    const ws = await workspace(ctx, 'acme', 'business');
    const shop = await project(ctx, ws, 'shop');
    const keyring = testKeyring();
    await createEnvironment(ctx.db, shop, { name: 'qa' });
    const qa = await environment(ctx, shop, 'qa');
    const prod = await environment(ctx, shop, 'prod');
    for (const env of [qa, prod]) {
      await changeConfig(ctx.db, env, { set: { LOG_LEVEL: 'debug' }, unset: [] });
      await changeConfig(ctx.db, env, { set: { MODE: env.environment.name }, unset: [] });
      await setSecret(ctx.db, keyring, env, 'TOKEN', `secret-${env.environment.name}`);
    }
    await changeConfig(ctx.db, shop, { set: { BASE: '1' }, unset: [] });
    await setSecret(ctx.db, keyring, shop, 'BASE_TOKEN', 'b');
    expect(await count(ctx, 'config_layers', 'environment_id', qa.environment.id)).toBe(2);
    expect(await count(ctx, 'secrets', 'environment_id', qa.environment.id)).toBe(1);

    const audits = await auditCount(ctx.db, ws.workspace.id);
    await deleteEnvironment(ctx.db, qa);
    expect(await auditCount(ctx.db, ws.workspace.id)).toBe(audits + 1);
    expect(await count(ctx, 'config_layers', 'environment_id', qa.environment.id)).toBe(0);
    expect(await count(ctx, 'secrets', 'environment_id', qa.environment.id)).toBe(0);
    expect(await count(ctx, 'environments', 'id', qa.environment.id)).toBe(0);
    expect(await count(ctx, 'config_layers', 'environment_id', prod.environment.id)).toBe(2);
    expect(await count(ctx, 'secrets', 'environment_id', prod.environment.id)).toBe(1);
    expect(await count(ctx, 'config_layers', 'project_id', shop.project.id)).toBe(3);
    expect(await count(ctx, 'secrets', 'project_id', shop.project.id)).toBe(2);
    await expectCode(() => resolveEnvironment(ctx.db, shop, 'qa'), 'SLW_NOT_FOUND');
    expect((await createEnvironment(ctx.db, shop, { name: 'qa' })).kind).toBe('custom');
  });

  it('deletes a project without releases with its environments, config and secrets', async () => {
    const ws = await workspace(ctx, 'acme', 'mid');
    const shop = await project(ctx, ws, 'shop');
    const keep = await project(ctx, ws, 'keep');
    for (const p of [shop, keep]) {
      const dev = await environment(ctx, p, 'dev');
      await changeConfig(ctx.db, dev, { set: { A: '1' }, unset: [] });
      await changeConfig(ctx.db, p, { set: { B: '2' }, unset: [] });
      await setSecret(ctx.db, testKeyring(), dev, 'S', 'v');
    }
    await deleteProject(ctx.db, shop);
    for (const table of ['environments', 'config_layers', 'secrets'] as const) {
      expect(await count(ctx, table, 'project_id', shop.project.id)).toBe(0);
      expect(await count(ctx, table, 'project_id', keep.project.id)).toBeGreaterThan(0);
    }
    expect((await listProjects(ctx.db, ws)).map((p) => p.name)).toEqual(['keep']);
    expect((await createProject(ctx.db, ws, { name: 'shop' })).environments).toEqual(['dev', 'prod']);
  });
});
