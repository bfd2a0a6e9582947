import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeConfig } from '../config/config.js';
import { createProject, resolveEnvironment, resolveProject } from '../projects/projects.js';
import { addMember, setMemberRole } from '../tenancy/members.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { resolveWorkspace } from '../tenancy/workspaces.js';
import { engines } from '../../test/support/engines.js';
import { member, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { listAudit, type AuditEvent } from './audit.js';

describe.each(engines)('audit on %s', (engine) => {
  let ctx: TestContext;
  let acme: WorkspaceAccess;
  let other: WorkspaceAccess;
  /** Every action done in acme, in the order it was done. */
  let done: string[];
  beforeEach(async () => {
    ctx = await setupContext(engine);
    acme = await workspace(ctx, 'acme', 'mid');
    other = await workspace(ctx, 'other', 'high');
    const dev = await member(ctx, acme, 'dev@example.com', 'developer');
    const devAccess = await resolveWorkspace(ctx.db, dev.principal, 'acme');
    await createProject(ctx.db, acme, { name: 'shop' });
    await createProject(ctx.db, devAccess, { name: 'blog' });
    // dev's own layer: the base layer feeds prod, which requires approval, and only an admin changes that.
    await changeConfig(ctx.db, await resolveEnvironment(ctx.db, await resolveProject(ctx.db, devAccess, 'blog'), 'dev'), { set: { A: '1' }, unset: [] });
    await addMember(ctx.db, acme, { email: 'ops@example.com', role: 'viewer' });
    await setMemberRole(ctx.db, acme, 'ops@example.com', 'admin');
    await createProject(ctx.db, other, { name: 'shop' });
    await addMember(ctx.db, other, { email: 'x@example.com', role: 'viewer' });
    done = ['workspace.create', 'member.add', 'token.create', 'project.create', 'project.create', 'config.change', 'member.add', 'member.role'];
  });
  afterEach(() => ctx.cleanup());

  const all = (): Promise<AuditEvent[]> => listAudit(ctx.db, acme.workspace.id, { limit: 1000 });

  it("lists a workspace's events newest first, never another workspace's", async () => {
    const events = await all();
    expect(events.map((e) => e.action)).toEqual([...done].reverse());
    const ids = events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(new Set(ids).size).toBe(ids.length);
    const foreign = await ctx.db.selectFrom('audit_events').select('id').where('workspace_id', '=', other.workspace.id).execute();
    expect(foreign).toHaveLength(3);
    for (const { id } of foreign) expect(ids).not.toContain(id);
    expect(events.every((e) => e.target !== 'x@example.com')).toBe(true);
    expect((await listAudit(ctx.db, other.workspace.id, { limit: 1000 })).map((e) => e.action)).toEqual(['member.add', 'project.create', 'workspace.create']);
    expect(await listAudit(ctx.db, 'ws_missing', { limit: 10 })).toEqual([]);
  });

  it('names the actor, its token and the details', async () => {
    const events = await all();
    const blog = events.find((e) => e.action === 'project.create' && e.target === 'blog');
    expect(blog?.actor).toEqual({ userId: expect.any(String), email: 'dev@example.com', tokenId: expect.any(String), tokenName: 'dev@example.com token' });
    const shop = events.find((e) => e.action === 'project.create' && e.target === 'shop');
    expect(shop?.actor).toMatchObject({ userId: ctx.admin.userId, email: ctx.admin.email, tokenId: ctx.admin.tokenId, tokenName: 'first admin' });
    expect(shop).toMatchObject({ targetType: 'project', details: { environments: ['dev', 'prod'] } });
    expect(events.find((e) => e.action === 'member.role')?.details).toEqual({ from: 'viewer', to: 'admin' });
    expect(events.find((e) => e.action === 'config.change')?.details).toEqual({ version: 1, set: ['A'], unset: [] });
  });

  it('filters by exact action and by an action prefix', async () => {
    expect((await listAudit(ctx.db, acme.workspace.id, { action: 'member.add', limit: 100 })).map((e) => e.target)).toEqual(['ops@example.com', 'dev@example.com']);
    expect((await listAudit(ctx.db, acme.workspace.id, { action: 'member.*', limit: 100 })).map((e) => e.action)).toEqual(['member.role', 'member.add', 'member.add']);
    expect((await listAudit(ctx.db, acme.workspace.id, { action: 'project.*', limit: 100 })).map((e) => e.target)).toEqual(['blog', 'shop']);
    expect(await listAudit(ctx.db, acme.workspace.id, { action: 'member', limit: 100 })).toEqual([]);
    expect(await listAudit(ctx.db, acme.workspace.id, { action: 'secret.*', limit: 100 })).toEqual([]);
    expect((await listAudit(ctx.db, acme.workspace.id, { targetType: 'config', limit: 100 })).map((e) => e.action)).toEqual(['config.change']);
  });

  it("filters by the actor's e-mail", async () => {
    expect((await listAudit(ctx.db, acme.workspace.id, { actorEmail: 'dev@example.com', limit: 100 })).map((e) => e.action)).toEqual(['config.change', 'project.create']);
    const byAdmin = await listAudit(ctx.db, acme.workspace.id, { actorEmail: ctx.admin.email, limit: 100 });
    expect(byAdmin).toHaveLength(done.length - 2);
    expect(byAdmin.every((e) => e.actor.userId === ctx.admin.userId)).toBe(true);
    expect(await listAudit(ctx.db, acme.workspace.id, { actorEmail: 'x@example.com', limit: 100 })).toEqual([]);
  });

  it('filters by time with since', async () => {
    const events = await all();
    const pivot = events[3]?.at ?? '';
    const since = await listAudit(ctx.db, acme.workspace.id, { since: pivot, limit: 100 });
    expect(since.map((e) => e.id)).toEqual(events.filter((e) => e.at >= pivot).map((e) => e.id));
    expect(since.length).toBeGreaterThanOrEqual(4);
    expect(since.length).toBeLessThan(events.length + 1);
    expect(await listAudit(ctx.db, acme.workspace.id, { since: '2999-01-01T00:00:00.000Z', limit: 100 })).toEqual([]);
    expect(await listAudit(ctx.db, acme.workspace.id, { since: '2000-01-01T00:00:00.000Z', limit: 100 })).toEqual(events);
  });

  it('pages with limit and before, covering every event exactly once', async () => {
    const events = await all();
    expect(await listAudit(ctx.db, acme.workspace.id, { limit: 3 })).toEqual(events.slice(0, 3));
    const paged: AuditEvent[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await listAudit(ctx.db, acme.workspace.id, { limit: 3, before });
      expect(page.length).toBeLessThanOrEqual(3);
      if (page.length === 0) break;
      paged.push(...page);
      before = page[page.length - 1]?.id;
    }
    expect(paged).toEqual(events);
    const memberPage = await listAudit(ctx.db, acme.workspace.id, { action: 'member.*', limit: 1, before: events[0]?.id });
    expect(memberPage.map((e) => e.target)).toEqual(['ops@example.com']);
    expect(memberPage[0]?.action).toBe('member.add');
  });
});
