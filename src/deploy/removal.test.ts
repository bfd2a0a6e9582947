/**
 * Deleting environments and projects that have run: their workloads and routes go, every record
 * of them goes in one transaction (also a project's registry rows), the audit log keeps the
 * trail, other environments and projects are untouched; refused while a deploy runs and for a
 * tier's default environments.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeConfig } from '../config/config.js';
import { createEnvironment, createProject, listProjects, resolveEnvironment, type EnvironmentAccess, type ProjectAccess } from '../projects/projects.js';
import { repositoryOfProject } from '../registry/repositories.js';
import { setSecret } from '../secrets/secrets.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { engines } from '../../test/support/engines.js';
import { auditCount, environment, expectCode, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { requestDeploy } from './deployments.js';
import { promote } from './promotions.js';
import { deleteEnvironment, deleteProject } from './removal.js';
import { engineHarness, type Harness } from './test-support/engine-harness.js';

describe.each(engines)('deleting what ran, on %s', (engine) => {
  let ctx: TestContext;
  let ws: WorkspaceAccess;
  let serve: ProjectAccess;
  let h: Harness;
  const keyring = testKeyring();
  const deployed = async (env: EnvironmentAccess) => {
    await requestDeploy(ctx.db, env, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', trigger: 'deploy', actor: { userId: ctx.admin.userId, tokenId: ctx.admin.tokenId } });
    await h.settle(env.environment.id);
  };
  const rows = async (table: 'releases' | 'deployments' | 'environment_settings' | 'environment_observed' | 'config_layers' | 'secrets', envId: string) =>
    (await ctx.db.selectFrom(table).select('environment_id').where('environment_id', '=', envId).execute()).length;

  beforeEach(async () => {
    ctx = await setupContext(engine);
    ws = await workspace(ctx, 'acme', 'high');
    serve = await project(ctx, ws, 'serve');
    h = engineHarness(ctx.db, { keyring });
  });
  afterEach(async () => {
    await h.close();
    await ctx.cleanup();
  });

  it('deletes a custom environment that ran: workloads and route gone, its records gone, the rest untouched, audited', async () => {
    await createEnvironment(ctx.db, serve, { name: 'qa' });
    const qa = await environment(ctx, serve, 'qa');
    const dev = await environment(ctx, serve, 'dev');
    for (const env of [qa, dev]) {
      await changeConfig(ctx.db, env, { set: { MODE: env.environment.name }, unset: [] });
      await setSecret(ctx.db, keyring, env, 'TOKEN', 't');
      await deployed(env);
    }
    await promote(ctx.db, serve, 'qa', 'staging');
    expect(h.edge.routes.has(`env-${qa.environment.id}`)).toBe(true);
    const audits = await auditCount(ctx.db, ws.workspace.id);
    await deleteEnvironment(ctx.db, h.placements, qa);
    expect(h.edge.routes.has(`env-${qa.environment.id}`)).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    expect(await h.target.list({ 'io.slipway.environment-id': qa.environment.id })).toEqual([]);
    for (const table of ['releases', 'deployments', 'environment_settings', 'environment_observed', 'config_layers', 'secrets'] as const) expect(await rows(table, qa.environment.id)).toBe(0);
    expect(await rows('releases', dev.environment.id)).toBe(1);
    expect(h.edge.routes.has(`env-${dev.environment.id}`)).toBe(true);
    expect(await ctx.db.selectFrom('promotions').select('id').execute()).toEqual([]);
    expect(await auditCount(ctx.db, ws.workspace.id)).toBe(audits + 1);
    await expectCode(() => resolveEnvironment(ctx.db, serve, 'qa'), 'SLW_NOT_FOUND');
    expect((await createEnvironment(ctx.db, serve, { name: 'qa' })).kind).toBe('custom');
  });

  it('deletes a project that ran, with its registry repository rows; another project is untouched', async () => {
    const keep = await project(ctx, ws, 'keep');
    await repositoryOfProject(ctx.db, ws.workspace, serve.project);
    await deployed(await environment(ctx, serve, 'dev'));
    const keepDev = await environment(ctx, keep, 'dev');
    await changeConfig(ctx.db, keepDev, { set: { MEMORY_KIND: 'serve' }, unset: [] });
    await deployed(keepDev);
    await deleteProject(ctx.db, h.placements, serve);
    expect((await listProjects(ctx.db, ws)).map((p) => p.name)).toEqual(['keep']);
    expect(await ctx.db.selectFrom('registry_repositories').select('name').execute()).toEqual([]);
    expect((await ctx.db.selectFrom('releases').select('project_id').execute()).map((r) => r.project_id)).toEqual([keep.project.id]);
    expect(h.edge.routes.size).toBe(1);
    expect((await createProject(ctx.db, ws, { name: 'serve' })).environments).toEqual(['dev', 'staging', 'prod']);
  });

  it('refuses while a deploy runs, and for a default environment of the tier', async () => {
    await createEnvironment(ctx.db, serve, { name: 'qa' });
    const qa = await environment(ctx, serve, 'qa');
    await requestDeploy(ctx.db, qa, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', trigger: 'deploy', actor: { userId: ctx.admin.userId, tokenId: ctx.admin.tokenId } });
    await expectCode(() => deleteEnvironment(ctx.db, h.placements, qa), 'SLW_DEPLOY_IN_PROGRESS');
    await expectCode(() => deleteProject(ctx.db, h.placements, serve), 'SLW_DEPLOY_IN_PROGRESS');
    for (const name of ['dev', 'staging', 'prod']) await expectCode(async () => deleteEnvironment(ctx.db, h.placements, await environment(ctx, serve, name)), 'SLW_ENVIRONMENT_PROTECTED');
  });
});
