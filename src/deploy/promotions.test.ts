/**
 * Approvals and concurrent requests on both store engines: storms of approve/reject pairs and of
 * deploy pairs leave exactly one consistent outcome each (never two deployments for one
 * decision, never a deploy of a rejected request, never two active deployments of one
 * environment); direct deploys and rollbacks into a protected environment wait for approval;
 * only admins and owners skip it or change protection; require-promotion refuses digests that
 * never ran upstream.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvironmentAccess, ProjectAccess } from '../projects/projects.js';
import { resolveEnvironment } from '../projects/projects.js';
import { resolveWorkspace } from '../tenancy/workspaces.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { engines } from '../../test/support/engines.js';
import { environment, expectCode, project, projectAs, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { requestDeploy } from './deployments.js';
import { changeRunning, decide, promote } from './promotions.js';
import { changeSettings } from './settings.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe.each(engines)('approvals and concurrent requests on %s', (engine) => {
  let ctx: TestContext;
  let ws: WorkspaceAccess;
  let shop: ProjectAccess;
  let staging: EnvironmentAccess;
  const actor = () => ({ userId: ctx.admin.userId, tokenId: ctx.admin.tokenId });
  const keyring = testKeyring();

  /** Marks a release of `env` as having run (what the engine would do), so it can be promoted. */
  async function ran(env: EnvironmentAccess, d = digest('a')): Promise<void> {
    const { deployment } = await requestDeploy(ctx.db, env, { imageDigest: d, version: '1.0.0', trigger: 'deploy', actor: actor() });
    await ctx.db.updateTable('deployments').set({ status: 'succeeded', phase: 'succeeded' }).where('id', '=', deployment.id).execute();
    await ctx.db.updateTable('releases').set({ status: 'succeeded' }).where('environment_id', '=', env.environment.id).where('number', '=', deployment.releaseNumber).execute();
  }

  async function asMember(email: string, role: 'admin' | 'developer'): Promise<ProjectAccess> {
    return projectAs(ctx, ws, 'shop', email, role);
  }

  const active = async (env: EnvironmentAccess) => (await ctx.db.selectFrom('deployments').select('id').where('environment_id', '=', env.environment.id).where('status', 'in', ['queued', 'running']).execute()).length;

  beforeEach(async () => {
    ctx = await setupContext(engine);
    ws = await workspace(ctx, 'acme', 'high');
    shop = await project(ctx, ws, 'shop');
    staging = await environment(ctx, shop, 'staging');
    await ran(staging);
  });
  afterEach(() => ctx.cleanup());

  it('50 concurrent approve/reject pairs: each request is decided once; never two deployments for one decision, never a deploy of a rejected one', async () => {
    const dev = await asMember('dev@example.com', 'developer');
    const approvers = [await asMember('ada@example.com', 'admin'), await asMember('bob@example.com', 'admin')];
    const outcomes: Array<'approved' | 'rejected'> = [];
    for (let i = 0; i < 50; i += 1) {
      const { promotion } = await promote(ctx.db, dev, 'staging', 'prod');
      const [a, r] = await Promise.allSettled([decide(ctx.db, keyring, approvers[0]!, promotion!.id, 'approve'), decide(ctx.db, keyring, approvers[1]!, promotion!.id, 'reject', 'no')]);
      expect([a.status, r.status].filter((s) => s === 'fulfilled')).toHaveLength(1);
      const loser = a.status === 'rejected' ? a : r;
      expect(loser.status).toBe('rejected');
      expect(['SLW_PROMOTION_STATE', 'SLW_DEPLOY_IN_PROGRESS']).toContain((loser as PromiseRejectedResult).reason.code);
      const row = await ctx.db.selectFrom('promotions').selectAll().where('id', '=', promotion!.id).executeTakeFirstOrThrow();
      const deployments = await ctx.db.selectFrom('deployments').select('id').where('environment_id', '=', row.to_environment_id).where('created_at', '>=', row.created_at).execute();
      if (a.status === 'fulfilled') {
        outcomes.push('approved');
        expect(row.status).toBe('deploying');
        expect(deployments.map((d) => d.id)).toEqual([row.deployment_id]);
        // Let the next round deploy: this one ends (the engine is not running here).
        await ctx.db.updateTable('deployments').set({ status: 'failed', phase: 'failed' }).where('id', '=', row.deployment_id!).execute();
      } else {
        outcomes.push('rejected');
        expect(row.status).toBe('rejected');
        expect(row.deployment_id).toBeNull();
        expect(deployments).toEqual([]);
      }
      const audits = await ctx.db.selectFrom('audit_events').select('action').where('target', '=', promotion!.id).execute();
      expect(audits.map((x) => x.action)).toEqual([a.status === 'fulfilled' ? 'promotion.approve' : 'promotion.reject']);
    }
    expect(outcomes.length).toBe(50);
  });

  it('50 concurrent deploy pairs: exactly one of each pair is queued, the other is told it is busy', async () => {
    const dev = await environment(ctx, shop, 'dev');
    for (let i = 0; i < 50; i += 1) {
      const pair = await Promise.allSettled([0, 1].map(() => requestDeploy(ctx.db, dev, { imageDigest: digest('b'), version: null, trigger: 'deploy', actor: actor() })));
      const won = pair.filter((p) => p.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect((pair.find((p) => p.status === 'rejected') as PromiseRejectedResult).reason.code).toBe('SLW_DEPLOY_IN_PROGRESS');
      expect(await active(dev)).toBe(1);
      const id = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof requestDeploy>>>).value.deployment.id;
      await ctx.db.updateTable('deployments').set({ status: 'succeeded', phase: 'succeeded' }).where('id', '=', id).execute();
    }
    const numbers = (await ctx.db.selectFrom('releases').select('number').where('environment_id', '=', dev.environment.id).orderBy('number').execute()).map((r) => r.number);
    expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('concurrent superseding rollbacks and deploys: one active deployment at a time, every other one cancelled or told busy', async () => {
    const dev = await environment(ctx, shop, 'dev');
    await ran(dev, digest('c'));
    await ran(dev, digest('d'));
    const calls = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? changeRunning(ctx.db, { ...dev, principal: ctx.admin, role: 'owner' }, 'rollback', { digest: digest('c'), version: null, release: 1 }, { keyring }) : requestDeploy(ctx.db, dev, { imageDigest: digest('d'), version: null, trigger: 'deploy', actor: actor() }),
      ),
    );
    for (const c of calls) if (c.status === 'rejected') expect(c.reason.code).toBe('SLW_DEPLOY_IN_PROGRESS');
    expect(await active(dev)).toBe(1);
    const states = await ctx.db.selectFrom('deployments').select('status').where('environment_id', '=', dev.environment.id).where('status', 'not in', ['succeeded']).execute();
    expect(states.every((s) => ['queued', 'cancelled'].includes(s.status))).toBe(true);
  });

  it('a direct deploy or rollback into a protected environment waits for approval; only admins and owners skip it, and it is audited', async () => {
    const prodAsDev = await resolveEnvironment(ctx.db, await asMember('dev@example.com', 'developer'), 'prod');
    const asked = await changeRunning(ctx.db, prodAsDev, 'deploy', { digest: digest('a'), version: '1.0.0' }, { keyring });
    expect(asked.deployment).toBeNull();
    expect(asked.promotion).toMatchObject({ kind: 'deploy', status: 'pending-approval', from: 'prod', to: 'prod' });
    await expectCode(() => changeRunning(ctx.db, prodAsDev, 'deploy', { digest: digest('a'), version: '1.0.0' }, { skipApproval: true, keyring }), 'SLW_FORBIDDEN');
    const prodAsAdmin = await resolveEnvironment(ctx.db, await asMember('ada@example.com', 'admin'), 'prod');
    const skipped = await changeRunning(ctx.db, prodAsAdmin, 'deploy', { digest: digest('a'), version: '1.0.0' }, { skipApproval: true, keyring });
    expect(skipped.deployment?.status).toBe('queued');
    const audit = await ctx.db.selectFrom('audit_events').select('action').where('action', '=', 'deploy.skip-approval').execute();
    expect(audit).toHaveLength(1);
    const approved = await decide(ctx.db, keyring, await resolveWorkspace(ctx.db, prodAsAdmin.principal, 'acme'), asked.promotion!.id, 'approve').catch((e: { code: string }) => e.code);
    expect(approved).toBe('SLW_DEPLOY_IN_PROGRESS');
    expect((await ctx.db.selectFrom('promotions').select('status').where('id', '=', asked.promotion!.id).executeTakeFirstOrThrow()).status).toBe('pending-approval');
  });

  it('only admins and owners change protection settings', async () => {
    const prodAsDev = await resolveEnvironment(ctx.db, await asMember('dev@example.com', 'developer'), 'prod');
    await expectCode(() => changeSettings(ctx.db, prodAsDev, { requireApproval: false }), 'SLW_FORBIDDEN');
    await expectCode(() => changeSettings(ctx.db, prodAsDev, { requirePromotionFrom: null }), 'SLW_FORBIDDEN');
    expect((await changeSettings(ctx.db, prodAsDev, { port: 9000 })).requireApproval).toBe(true);
  });

  it('require-promotion accepts only digests that ran successfully upstream', async () => {
    const prodAsAdmin = await resolveEnvironment(ctx.db, await asMember('ada@example.com', 'admin'), 'prod');
    await changeSettings(ctx.db, prodAsAdmin, { requirePromotionFrom: 'staging', requireApproval: false });
    await expectCode(() => changeRunning(ctx.db, prodAsAdmin, 'deploy', { digest: digest('e'), version: null }, { keyring }), 'SLW_PROMOTION_REQUIRED');
    const ok = await changeRunning(ctx.db, prodAsAdmin, 'deploy', { digest: digest('a'), version: null }, { keyring });
    expect(ok.deployment?.status).toBe('queued');
    await expectCode(() => changeSettings(ctx.db, prodAsAdmin, { requirePromotionFrom: 'nowhere' }), 'SLW_NOT_FOUND');
  });
});
