/**
 * The delivery processor on a real store (SQLite and PostgreSQL) with the deploy engine's
 * in-memory target: what the tier allows, which branches are ignored, what happens without a git
 * source, the git port's build, the TTL sweep of previews, and deliveries a stopped server left
 * half done.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engines } from '../../test/support/engines.js';
import { project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { delivery, pullRequestPayload, pushPayload, zeroSha } from '../../test/support/webhook-sender.js';
import { commitImageTag } from '../core/webhooks.js';
import { engineHarness, type Harness } from '../deploy/test-support/engine-harness.js';
import type { ProjectAccess } from '../projects/projects.js';
import { repositoryOfProject } from '../registry/repositories.js';
import { receiveDelivery } from './deliveries.js';
import { ensureHook } from './hooks.js';
import { DeliveryProcessor, type WebhookGit } from './processor.js';

const keyring = testKeyring();
const logger = pino({ level: 'silent' });
const digest = `sha256:${'c'.repeat(64)}`;

describe.each(engines)('the delivery processor, on %s', (engine) => {
  let ctx: TestContext;
  let h: Harness;
  let processor: DeliveryProcessor | undefined;

  beforeEach(async () => {
    ctx = await setupContext(engine);
    h = engineHarness(ctx.db, { keyring });
  });
  afterEach(async () => {
    await processor?.stop();
    processor = undefined;
    await h.close();
    await ctx.cleanup();
  });

  const start = async (git?: WebhookGit) => {
    processor = new DeliveryProcessor({ db: ctx.db, keyring, logger, placements: () => h.placements, enqueue: () => undefined, git, imageWaitMs: 0 });
    await processor.start();
    return processor;
  };

  async function site(tier: string, settings: Parameters<typeof ensureHook>[3] extends infer T ? Partial<T> : never = {}): Promise<{ access: ProjectAccess; secret: string; hookId: string }> {
    const ws = await workspace(ctx, `w${tier}`, tier);
    // The in-memory target runs `memory/<ws>/serve@…` images as HTTP servers (its kind is the project's name).
    const access = await project(ctx, ws, 'serve');
    const r = await ensureHook(ctx.db, keyring, access, { provider: 'github', source: 'image', branchEnvs: ['feature/*'], ...settings });
    return { access, secret: r.secret!, hookId: r.hook.id };
  }

  async function tag(access: ProjectAccess, sha: string): Promise<void> {
    const repo = await repositoryOfProject(ctx.db, access.workspace, access.project);
    const now = new Date().toISOString();
    await ctx.db.insertInto('registry_tags').values({ repository_id: repo.id, tag: commitImageTag(sha), digest, created_at: now, updated_at: now }).execute();
  }

  async function deliver(s: { secret: string; hookId: string }, e: { event: string; payload: unknown }): Promise<string> {
    const d = delivery('github', e.event, e.payload, s.secret);
    const r = await receiveDelivery(ctx.db, keyring, logger, s.hookId, d.headers, 'application/json', Buffer.from(d.body));
    return r.body.delivery;
  }

  async function settled(id: string): Promise<{ status: string; message: string | null }> {
    const until = Date.now() + 20_000;
    for (;;) {
      processor?.poke();
      const d = await ctx.db.selectFrom('webhook_deliveries').select(['status', 'message']).where('id', '=', id).executeTakeFirstOrThrow();
      if (!['received', 'processing'].includes(d.status)) return d;
      if (Date.now() > until) throw new Error(`still ${d.status}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const envNames = async (access: ProjectAccess) => (await ctx.db.selectFrom('environments').select(['name', 'kind']).where('project_id', '=', access.project.id).orderBy('name').execute()).map((e) => `${e.name}:${e.kind}`);

  it('refuses a branch environment on a tier without custom environments, and makes nothing', async () => {
    const s = await site('mid');
    await tag(s.access, 'a'.repeat(40));
    await start();
    const d = await settled(await deliver(s, pushPayload('github', 'feature/x', zeroSha, 'a'.repeat(40))));
    expect(d.status).toBe('failed');
    expect(d.message).toContain('SLW_TIER_NO_CUSTOM_ENVIRONMENTS');
    expect(await envNames(s.access)).toEqual(['dev:standard', 'prod:standard']);
  });

  it('ignores a branch that is neither the default branch nor a pattern; fails clearly without a git source to build from', async () => {
    const s = await site('high', { source: 'build' });
    await start();
    const ignored = await settled(await deliver(s, pushPayload('github', 'chore/y', zeroSha, 'b'.repeat(40))));
    expect(ignored).toMatchObject({ status: 'ignored', message: expect.stringContaining("branch 'chore/y' is not the default branch (main)") });
    const failed = await settled(await deliver(s, pushPayload('github', 'main', zeroSha, 'b'.repeat(40))));
    expect(failed).toMatchObject({ status: 'failed', message: expect.stringContaining('SLW_WEBHOOK_NO_SOURCE') });
    expect(await ctx.db.selectFrom('releases').select('id').execute()).toEqual([]);
  });

  it("builds through the git port with the git source's rules", async () => {
    const s = await site('high', { source: 'build' });
    const built: Array<{ ref: string; sha: string }> = [];
    const git: WebhookGit = { rules: async () => ({ defaultBranch: 'trunk', branchEnvs: ['topic/*'] }), build: async (_a, c) => (built.push(c), { digest, version: `git-${c.sha.slice(0, 12)}` }) };
    await start(git);
    expect((await settled(await deliver(s, pushPayload('github', 'trunk', zeroSha, 'd'.repeat(40))))).status).toBe('processed');
    expect((await settled(await deliver(s, pushPayload('github', 'feature/x', zeroSha, 'd'.repeat(40))))).status).toBe('ignored');
    expect((await settled(await deliver(s, pushPayload('github', 'topic/z', zeroSha, 'e'.repeat(40))))).status).toBe('processed');
    expect(built).toEqual([{ ref: 'trunk', sha: 'd'.repeat(40) }, { ref: 'topic/z', sha: 'e'.repeat(40) }]);
    const releases = await ctx.db.selectFrom('releases as r').innerJoin('environments as e', 'e.id', 'r.environment_id').select(['e.name', 'r.trigger', 'r.version_tag']).orderBy('r.created_at').execute();
    expect(releases.map((r) => [r.name.replace(/-[0-9a-f]{8}$/, ''), r.version_tag])).toEqual([['dev', `git-${'d'.repeat(12)}`], ['topic-z', `git-${'e'.repeat(12)}`]]);
    expect(releases[1]!.trigger).toBe('webhook');
  });

  it('removes a preview whose TTL ran out, with its route', async () => {
    const s = await site('high');
    await tag(s.access, 'f'.repeat(40));
    const p = await start();
    expect((await settled(await deliver(s, pullRequestPayload('github', 'opened', 3, 'feature/q', 'f'.repeat(40))))).status).toBe('processed');
    const env = await ctx.db.selectFrom('environments').selectAll().where('name', '=', 'pr-3').executeTakeFirstOrThrow();
    await h.settle(env.id);
    const dep = await ctx.db.selectFrom('deployments').select(['status', 'error']).where('environment_id', '=', env.id).executeTakeFirstOrThrow();
    expect(dep).toEqual({ status: 'succeeded', error: null });
    expect(h.edge.routes.has(`env-${env.id}`)).toBe(true);
    expect(await p.sweep()).toBe(0);
    await ctx.db.updateTable('environment_sources').set({ expires_at: '2000-01-01T00:00:00.000Z' }).where('environment_id', '=', env.id).execute();
    expect(await p.sweep()).toBe(1);
    expect(await envNames(s.access)).toEqual(['dev:standard', 'prod:standard', 'staging:standard']);
    expect(h.edge.routes.has(`env-${env.id}`)).toBe(false);
  });

  it('takes again a delivery a stopped server left half done', async () => {
    const s = await site('high');
    await tag(s.access, '1'.repeat(40));
    const id = await deliver(s, pushPayload('github', 'main', zeroSha, '1'.repeat(40)));
    await ctx.db.updateTable('webhook_deliveries').set({ status: 'processing', attempts: 1 }).where('id', '=', id).execute();
    await start();
    expect(await settled(id)).toMatchObject({ status: 'processed', message: expect.stringContaining('to dev') });
    expect((await ctx.db.selectFrom('webhook_deliveries').select('attempts').where('id', '=', id).executeTakeFirstOrThrow()).attempts).toBe(2);
  });

  it('fails a delivery whose image CI never pushed, saying which tag it waited for', async () => {
    const s = await site('high');
    await start();
    const d = await settled(await deliver(s, pushPayload('github', 'main', zeroSha, '2'.repeat(40))));
    expect(d).toMatchObject({ status: 'failed', message: expect.stringContaining(`${s.access.workspace.name}/serve:${commitImageTag('2'.repeat(40))} did not appear`) });
  });
});
