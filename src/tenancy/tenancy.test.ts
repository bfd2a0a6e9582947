import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEnvironment, listEnvironments, resolveProject } from '../projects/projects.js';
import { engines, openTestStore } from '../../test/support/engines.js';
import { auditCount, expectCode, instanceTokenFor, member, project, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { bootstrapFirstAdmin, firstAdminEmail } from './bootstrap.js';
import { addMember, listMembers, removeMember, setMemberRole } from './members.js';
import { authenticate, createToken, hashToken, listTokens, revokeToken } from './tokens.js';
import { changeTier, createWorkspace, listWorkspaces, resolveWorkspace } from './workspaces.js';

describe.each(engines)('tenancy on %s', (engine) => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await setupContext(engine);
  });
  afterEach(() => ctx.cleanup());

  it('bootstraps exactly one instance admin, once', async () => {
    expect(await bootstrapFirstAdmin(ctx.db)).toBeNull();
    const users = await ctx.db.selectFrom('users').selectAll().execute();
    expect(users).toHaveLength(1);
    expect(users[0]).toMatchObject({ email: firstAdminEmail, instance_admin: 1 });
    expect(ctx.admin).toMatchObject({ userId: users[0]?.id, email: firstAdminEmail, instanceAdmin: true, scope: null });
    expect(await auditCount(ctx.db)).toBe(1);
  });

  it('bootstraps one admin when several servers start together on an empty store', async () => {
    const fresh = await openTestStore(engine);
    try {
      const results = await Promise.all(Array.from({ length: 5 }, () => bootstrapFirstAdmin(fresh.store.db)));
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      const users = await fresh.store.db.selectFrom('users').select(['id', 'instance_admin']).execute();
      expect(users).toEqual([{ id: winners[0]?.userId, instance_admin: 1 }]);
      expect((await authenticate(fresh.store.db, `Bearer ${winners[0]?.token}`)).instanceAdmin).toBe(true);
      expect(await fresh.store.db.selectFrom('tokens').select('id').execute()).toHaveLength(1);
    } finally {
      await fresh.cleanup();
    }
  });

  it('refuses missing, malformed and unknown tokens', async () => {
    await expectCode(() => authenticate(ctx.db, undefined), 'SLW_UNAUTHENTICATED');
    await expectCode(() => authenticate(ctx.db, ''), 'SLW_UNAUTHENTICATED');
    await expectCode(() => authenticate(ctx.db, 'garbage'), 'SLW_UNAUTHENTICATED');
    await expectCode(() => authenticate(ctx.db, `Basic ${ctx.adminToken}`), 'SLW_UNAUTHENTICATED');
    await expectCode(() => authenticate(ctx.db, `Bearer ${ctx.adminToken.slice(0, -1)}`), 'SLW_UNAUTHENTICATED');
    const unknown = await expectCode(() => authenticate(ctx.db, `Bearer slw_${'A'.repeat(43)}`), 'SLW_UNAUTHENTICATED');
    expect(unknown.message).toContain('unknown API token');
    expect((await authenticate(ctx.db, `bearer  ${ctx.adminToken} `)).userId).toBe(ctx.admin.userId);
  });

  it('refuses revoked and expired tokens', async () => {
    const ws = await workspace(ctx, 'acme');
    const revoked = await createToken(ctx.db, ws, { name: 'ci', role: 'developer' });
    expect((await authenticate(ctx.db, `Bearer ${revoked.token}`)).scope).toEqual({ workspaceId: ws.workspace.id, role: 'developer' });
    await revokeToken(ctx.db, ws, revoked.id);
    await expectCode(() => authenticate(ctx.db, `Bearer ${revoked.token}`), 'SLW_TOKEN_REVOKED');

    const expiring = await createToken(ctx.db, ws, { name: 'short', role: 'viewer', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    await authenticate(ctx.db, `Bearer ${expiring.token}`);
    await ctx.db.updateTable('tokens').set({ expires_at: '2020-01-01T00:00:00.000Z' }).where('id', '=', expiring.id).execute();
    const expired = await expectCode(() => authenticate(ctx.db, `Bearer ${expiring.token}`), 'SLW_TOKEN_EXPIRED');
    expect(expired.message).toContain('2020-01-01');
    await expectCode(() => createToken(ctx.db, ws, { name: 'past', role: 'viewer', expiresAt: '2020-01-01T00:00:00.000Z' }), 'SLW_VALIDATION');
  });

  it('lets only an instance admin with an instance token create workspaces', async () => {
    const before = await auditCount(ctx.db);
    const created = await createWorkspace(ctx.db, ctx.admin, { name: 'acme', tier: 'mid' });
    expect(created).toMatchObject({ name: 'acme', tier: 'mid', role: 'owner' });
    expect(await auditCount(ctx.db)).toBe(before + 1);
    const ws = await resolveWorkspace(ctx.db, ctx.admin, 'acme');
    const { principal } = await member(ctx, ws, 'dev@example.com', 'owner');
    await expectCode(() => createWorkspace(ctx.db, principal, { name: 'other', tier: 'low' }), 'SLW_WORKSPACE_TOKEN_SCOPE');
    const plain = await instanceTokenFor(ctx.db, principal.userId);
    await expectCode(() => createWorkspace(ctx.db, plain, { name: 'other', tier: 'low' }), 'SLW_FORBIDDEN');
    const afterMember = await auditCount(ctx.db);
    await expectCode(() => createWorkspace(ctx.db, ctx.admin, { name: 'acme', tier: 'low' }), 'SLW_ALREADY_EXISTS');
    await expectCode(() => createWorkspace(ctx.db, ctx.admin, { name: 'Bad_Name', tier: 'low' }), 'SLW_INVALID_NAME');
    await expectCode(() => createWorkspace(ctx.db, ctx.admin, { name: 'gold', tier: 'gold' }), 'SLW_UNKNOWN_TIER');
    expect((await ctx.db.selectFrom('workspaces').select('name').execute()).map((w) => w.name)).toEqual(['acme']);
    expect(await auditCount(ctx.db)).toBe(afterMember);
  });

  it('hides missing, foreign and out-of-scope workspaces behind one identical not-found', async () => {
    const a = await workspace(ctx, 'alpha');
    const b = await workspace(ctx, 'beta');
    const scoped = await member(ctx, a, 'dev@example.com', 'developer');
    const plain = await instanceTokenFor(ctx.db, scoped.principal.userId);
    expect((await resolveWorkspace(ctx.db, plain, 'alpha')).role).toBe('developer');

    const missing = await expectCode(() => resolveWorkspace(ctx.db, plain, 'gamma'), 'SLW_NOT_FOUND');
    const foreign = await expectCode(() => resolveWorkspace(ctx.db, plain, 'beta'), 'SLW_NOT_FOUND');
    await addMember(ctx.db, b, { email: 'dev@example.com', role: 'viewer' });
    expect((await resolveWorkspace(ctx.db, plain, 'beta')).role).toBe('viewer');
    const outOfScope = await expectCode(() => resolveWorkspace(ctx.db, scoped.principal, 'beta'), 'SLW_NOT_FOUND');

    const shape = (e: { code: string; status: number; message: string }, name: string) => ({ code: e.code, status: e.status, message: e.message.replace(name, 'NAME') });
    expect(shape(foreign, 'beta')).toEqual(shape(missing, 'gamma'));
    expect(shape(outOfScope, 'beta')).toEqual(shape(missing, 'gamma'));
    expect(shape(missing, 'gamma')).toEqual({ code: 'SLW_NOT_FOUND', status: 404, message: "workspace 'NAME' not found" });
    expect((await listWorkspaces(ctx.db, scoped.principal)).map((w) => w.name)).toEqual(['alpha']);
    expect((await listWorkspaces(ctx.db, plain)).map((w) => [w.name, w.role])).toEqual([['alpha', 'developer'], ['beta', 'viewer']]);
  });

  it("caps a workspace token's role by its member's role, the weaker of the two", async () => {
    const ws = await workspace(ctx, 'acme');
    const dev = await member(ctx, ws, 'dev@example.com', 'admin', 'developer');
    expect((await resolveWorkspace(ctx.db, dev.principal, 'acme')).role).toBe('developer');
    await setMemberRole(ctx.db, ws, 'dev@example.com', 'viewer');
    expect((await resolveWorkspace(ctx.db, dev.principal, 'acme')).role).toBe('viewer');
    await setMemberRole(ctx.db, ws, 'dev@example.com', 'owner');
    expect((await resolveWorkspace(ctx.db, dev.principal, 'acme')).role).toBe('developer');
  });

  it('keeps every environment on a downgrade and adds the new defaults on an upgrade', async () => {
    const high = await workspace(ctx, 'big', 'high');
    const shop = await project(ctx, high, 'shop');
    await createEnvironment(ctx.db, shop, { name: 'qa' });
    const down = await changeTier(ctx.db, high, 'low');
    expect(down.environmentsAdded).toEqual([]);
    expect(down.workspace.tier).toBe('low');
    const bigNow = await resolveWorkspace(ctx.db, ctx.admin, 'big');
    expect(bigNow.workspace.tier).toBe('low');
    const kept = await listEnvironments(ctx.db, await resolveProject(ctx.db, bigNow, 'shop'));
    expect(kept.map((e) => e.name)).toEqual(['dev', 'staging', 'prod', 'qa']);
    // What is no longer a default of the tier may now be deleted.
    expect(kept.map((e) => `${e.name}:${e.deletable}`)).toEqual(['dev:true', 'staging:true', 'prod:false', 'qa:true']);

    const low = await workspace(ctx, 'small', 'low');
    await project(ctx, low, 'web');
    await project(ctx, low, 'api');
    const before = await auditCount(ctx.db, low.workspace.id);
    const up = await changeTier(ctx.db, low, 'high');
    expect([...up.environmentsAdded].sort()).toEqual(['api/dev', 'api/staging', 'web/dev', 'web/staging']);
    for (const name of ['web', 'api']) {
      expect((await listEnvironments(ctx.db, await resolveProject(ctx.db, { ...low, workspace: up.workspace }, name))).map((e) => e.name)).toEqual(['dev', 'staging', 'prod']);
    }
    expect(await auditCount(ctx.db, low.workspace.id)).toBe(before + 1);
    const same = await changeTier(ctx.db, { ...low, workspace: up.workspace }, 'high');
    expect(same.environmentsAdded).toEqual([]);
    expect(await auditCount(ctx.db, low.workspace.id)).toBe(before + 1);
    await expectCode(() => changeTier(ctx.db, low, 'gold'), 'SLW_UNKNOWN_TIER');
  });

  it('adds members, changes roles and removes them with their tokens, auditing each change', async () => {
    const ws = await workspace(ctx, 'acme');
    const id = ws.workspace.id;
    let audits = await auditCount(ctx.db, id);
    const added = await addMember(ctx.db, ws, { email: 'Dev@Example.com', role: 'developer' });
    expect(added).toMatchObject({ email: 'dev@example.com', role: 'developer' });
    expect(await auditCount(ctx.db, id)).toBe(++audits);
    await expectCode(() => addMember(ctx.db, ws, { email: 'dev@example.com', role: 'viewer' }), 'SLW_ALREADY_EXISTS');
    expect(await auditCount(ctx.db, id)).toBe(audits);

    expect((await setMemberRole(ctx.db, ws, 'dev@example.com', 'admin')).role).toBe('admin');
    expect(await auditCount(ctx.db, id)).toBe(++audits);
    expect((await listMembers(ctx.db, ws)).map((m) => [m.email, m.role])).toEqual([
      [firstAdminEmail, 'owner'],
      ['dev@example.com', 'admin'],
    ]);

    const t1 = await createToken(ctx.db, ws, { name: 'one', role: 'developer', memberEmail: 'dev@example.com' });
    const t2 = await createToken(ctx.db, ws, { name: 'two', role: 'viewer', memberEmail: 'dev@example.com' });
    audits += 2;
    const devId = (await listMembers(ctx.db, ws)).find((m) => m.email === 'dev@example.com')?.userId ?? '';
    const removed = await removeMember(ctx.db, ws, devId);
    expect(removed).toEqual({ email: 'dev@example.com', tokensRevoked: 2 });
    expect(await auditCount(ctx.db, id)).toBe(++audits);
    for (const t of [t1, t2]) await expectCode(() => authenticate(ctx.db, `Bearer ${t.token}`), 'SLW_TOKEN_REVOKED');
    expect((await listMembers(ctx.db, ws)).map((m) => m.email)).toEqual([firstAdminEmail]);
    await expectCode(() => removeMember(ctx.db, ws, 'dev@example.com'), 'SLW_NOT_FOUND');
  });

  it('never removes or demotes the last owner, and keeps admins away from owners', async () => {
    const ws = await workspace(ctx, 'acme');
    await expectCode(() => removeMember(ctx.db, ws, firstAdminEmail), 'SLW_LAST_OWNER');
    await expectCode(() => setMemberRole(ctx.db, ws, firstAdminEmail, 'admin'), 'SLW_LAST_OWNER');

    const admin = await member(ctx, ws, 'admin@example.com', 'admin');
    const adminAccess = await resolveWorkspace(ctx.db, admin.principal, 'acme');
    expect(adminAccess.role).toBe('admin');
    await expectCode(() => addMember(ctx.db, adminAccess, { email: 'boss@example.com', role: 'owner' }), 'SLW_ROLE_TOO_HIGH');
    await expectCode(() => setMemberRole(ctx.db, adminAccess, firstAdminEmail, 'developer'), 'SLW_ROLE_TOO_HIGH');
    await expectCode(() => setMemberRole(ctx.db, adminAccess, 'admin@example.com', 'owner'), 'SLW_ROLE_TOO_HIGH');
    await expectCode(() => removeMember(ctx.db, adminAccess, firstAdminEmail), 'SLW_ROLE_TOO_HIGH');
    expect((await addMember(ctx.db, adminAccess, { email: 'dev@example.com', role: 'admin' })).role).toBe('admin');

    await setMemberRole(ctx.db, ws, 'admin@example.com', 'owner');
    expect((await setMemberRole(ctx.db, ws, firstAdminEmail, 'admin')).role).toBe('admin');
    expect((await resolveWorkspace(ctx.db, admin.principal, 'acme')).role).toBe('admin');
    const ownerAccess = await resolveWorkspace(ctx.db, await instanceTokenFor(ctx.db, admin.principal.userId), 'acme');
    expect(ownerAccess.role).toBe('owner');
    const owners = await ctx.db.selectFrom('members').select('user_id').where('workspace_id', '=', ws.workspace.id).where('role', '=', 'owner').execute();
    expect(owners).toEqual([{ user_id: admin.principal.userId }]);
    await expectCode(() => setMemberRole(ctx.db, ownerAccess, 'admin@example.com', 'admin'), 'SLW_LAST_OWNER');
  });

  it('shows a token once, stores only its hash, and never exceeds the holder role', async () => {
    const ws = await workspace(ctx, 'acme');
    await addMember(ctx.db, ws, { email: 'dev@example.com', role: 'developer' });
    const before = await auditCount(ctx.db, ws.workspace.id);
    const created = await createToken(ctx.db, ws, { name: 'deploy', role: 'developer', memberEmail: 'dev@example.com' });
    expect(created.token).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
    expect(created.hint).toBe(created.token.slice(0, 12));
    expect(await auditCount(ctx.db, ws.workspace.id)).toBe(before + 1);

    const row = await ctx.db.selectFrom('tokens').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row.hash).toBe(hashToken(created.token));
    expect(Object.values(row).filter((v) => typeof v === 'string' && v.includes(created.token))).toEqual([]);
    const everything = JSON.stringify(await ctx.db.selectFrom('tokens').selectAll().execute());
    expect(everything).not.toContain(created.token);
    expect(JSON.stringify(await ctx.db.selectFrom('audit_events').selectAll().execute())).not.toContain(created.token);

    const listed = await listTokens(ctx.db, ws);
    const mine = listed.find((t) => t.id === created.id);
    expect(mine).toMatchObject({ name: 'deploy', role: 'developer', user: { email: 'dev@example.com' }, revokedAt: null });
    expect(Object.keys(mine ?? {})).not.toContain('token');
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(JSON.stringify(listed)).not.toContain(row.hash);

    const count = await auditCount(ctx.db, ws.workspace.id);
    await expectCode(() => createToken(ctx.db, ws, { name: 'too-high', role: 'admin', memberEmail: 'dev@example.com' }), 'SLW_ROLE_TOO_HIGH');
    const dev = await resolveWorkspace(ctx.db, await authenticate(ctx.db, `Bearer ${created.token}`), 'acme');
    await expectCode(() => createToken(ctx.db, dev, { name: 'escalate', role: 'admin' }), 'SLW_ROLE_TOO_HIGH');
    expect(await auditCount(ctx.db, ws.workspace.id)).toBe(count);
    expect(await ctx.db.selectFrom('tokens').select('id').where('workspace_id', '=', ws.workspace.id).execute()).toHaveLength(1);
  });

  it('revokes idempotently and only inside the workspace', async () => {
    const ws = await workspace(ctx, 'acme');
    const other = await workspace(ctx, 'other');
    const created = await createToken(ctx.db, ws, { name: 'ci', role: 'viewer' });
    const audits = await auditCount(ctx.db, ws.workspace.id);
    const first = await revokeToken(ctx.db, ws, created.id);
    expect(first.revokedAt).not.toBeNull();
    const second = await revokeToken(ctx.db, ws, created.id);
    expect(second.revokedAt).toBe(first.revokedAt);
    expect(await auditCount(ctx.db, ws.workspace.id)).toBe(audits + 1);
    await expectCode(() => revokeToken(ctx.db, other, created.id), 'SLW_NOT_FOUND');
    await expectCode(() => revokeToken(ctx.db, ws, 'tok_missing'), 'SLW_NOT_FOUND');
  });

  it("answers adding a member with what was sent plus the membership, never another workspace's user id or name for them", async () => {
    const other = await workspace(ctx, 'other');
    await addMember(ctx.db, other, { email: 'bob@example.com', role: 'viewer', name: 'Bob of Other Corp' });
    const bobId = (await ctx.db.selectFrom('users').select('id').where('email', '=', 'bob@example.com').executeTakeFirstOrThrow()).id;
    const ws = await workspace(ctx, 'acme');
    const existing = await addMember(ctx.db, ws, { email: 'BOB@example.com', role: 'developer' });
    const fresh = await addMember(ctx.db, ws, { email: 'carol@example.com', role: 'developer' });
    expect(existing).toEqual({ email: 'bob@example.com', name: 'bob', role: 'developer', since: expect.any(String) });
    expect(fresh).toEqual({ email: 'carol@example.com', name: 'carol', role: 'developer', since: expect.any(String) });
    expect(JSON.stringify(existing)).not.toContain(bobId);
    expect(JSON.stringify(existing)).not.toContain('Other Corp');
    expect((await addMember(ctx.db, ws, { email: 'dan@example.com', role: 'viewer', name: 'Dan D.' })).name).toBe('Dan D.');
    // each workspace shows the name it gave
    expect((await listMembers(ctx.db, ws)).find((m) => m.email === 'bob@example.com')?.name).toBe('bob');
    expect((await setMemberRole(ctx.db, ws, 'bob@example.com', 'viewer')).name).toBe('bob');
    expect((await listMembers(ctx.db, other)).find((m) => m.email === 'bob@example.com')?.name).toBe('Bob of Other Corp');
  });

  it("lets a member mint tokens only for themselves, and keeps everyone but owners off owners' tokens", async () => {
    const ws = await workspace(ctx, 'acme'); // the instance admin owns it
    const alice = await member(ctx, ws, 'alice@example.com', 'admin'); // an instance admin may mint for a member
    await addMember(ctx.db, ws, { email: 'bob@example.com', role: 'developer' });
    const aliceWs = await resolveWorkspace(ctx.db, alice.principal, 'acme');
    const tokenCount = async () => (await ctx.db.selectFrom('tokens').select('id').execute()).length;
    const tokensBefore = await tokenCount();
    const auditsBefore = await auditCount(ctx.db, ws.workspace.id);

    await expectCode(() => createToken(ctx.db, aliceWs, { name: 'as-owner', role: 'admin', memberEmail: firstAdminEmail }), 'SLW_FORBIDDEN');
    await expectCode(() => createToken(ctx.db, aliceWs, { name: 'as-owner', role: 'viewer', memberEmail: ctx.admin.userId }), 'SLW_FORBIDDEN');
    await expectCode(() => createToken(ctx.db, aliceWs, { name: 'as-bob', role: 'viewer', memberEmail: 'bob@example.com' }), 'SLW_FORBIDDEN');
    const ownerToken = await createToken(ctx.db, ws, { name: 'owner ci', role: 'owner' });
    await expectCode(() => revokeToken(ctx.db, aliceWs, ownerToken.id), 'SLW_FORBIDDEN');
    expect(await tokenCount()).toBe(tokensBefore + 1);
    expect(await auditCount(ctx.db, ws.workspace.id)).toBe(auditsBefore + 1);
    expect((await authenticate(ctx.db, `Bearer ${ownerToken.token}`)).userId).toBe(ctx.admin.userId);

    // for herself (by e-mail or by default) she may; tokens of members at or below her role she may revoke
    const own = await createToken(ctx.db, aliceWs, { name: 'own', role: 'developer', memberEmail: 'alice@example.com' });
    expect(own.user.email).toBe('alice@example.com');
    const bobToken = await createToken(ctx.db, ws, { name: 'bob', role: 'developer', memberEmail: 'bob@example.com' });
    expect((await revokeToken(ctx.db, aliceWs, bobToken.id)).revokedAt).not.toBeNull();
    expect((await revokeToken(ctx.db, aliceWs, own.id)).revokedAt).not.toBeNull();
    expect((await revokeToken(ctx.db, ws, alice.tokenId)).revokedAt).not.toBeNull();

    // the instance admin through a workspace token is a plain member there
    const scoped = await createToken(ctx.db, ws, { name: 'scoped', role: 'owner' });
    const scopedWs = await resolveWorkspace(ctx.db, await authenticate(ctx.db, `Bearer ${scoped.token}`), 'acme');
    await expectCode(() => createToken(ctx.db, scopedWs, { name: 'as-bob', role: 'viewer', memberEmail: 'bob@example.com' }), 'SLW_FORBIDDEN');

    // an instance admin who is no longer an owner there cannot act on an owner's tokens either
    await addMember(ctx.db, ws, { email: 'olga@example.com', role: 'owner' });
    const olgaToken = await createToken(ctx.db, ws, { name: 'olga', role: 'viewer', memberEmail: 'olga@example.com' });
    await setMemberRole(ctx.db, ws, firstAdminEmail, 'admin');
    const asAdmin = await resolveWorkspace(ctx.db, ctx.admin, 'acme');
    await expectCode(() => createToken(ctx.db, asAdmin, { name: 'as-olga', role: 'viewer', memberEmail: 'olga@example.com' }), 'SLW_FORBIDDEN');
    await expectCode(() => revokeToken(ctx.db, asAdmin, olgaToken.id), 'SLW_FORBIDDEN');
    expect((await revokeToken(ctx.db, asAdmin, ownerToken.id)).revokedAt).not.toBeNull(); // their own
    expect((await createToken(ctx.db, asAdmin, { name: 'for-bob', role: 'viewer', memberEmail: 'bob@example.com' })).user.email).toBe('bob@example.com');
  });
});
