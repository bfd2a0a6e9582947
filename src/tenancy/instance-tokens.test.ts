import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { engines, openTestStore } from '../../test/support/engines.js';
import { expectCode, instanceTokenFor, member, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { firstAdminEmail } from './bootstrap.js';
import { createInstanceToken, listInstanceTokens, revokeInstanceToken, rotateFirstAdminToken } from './instance-tokens.js';
import { authenticate, createToken } from './tokens.js';

describe.each(engines)('instance tokens on %s', (engine) => {
  let ctx: TestContext;
  beforeEach(async () => {
    ctx = await setupContext(engine);
  });
  afterEach(() => ctx.cleanup());

  const auth = (token: string) => authenticate(ctx.db, `Bearer ${token}`);

  it("rotates the first admin's token offline: the old one is refused, the new one is an instance admin's, workspace tokens stay", async () => {
    const ws = await workspace(ctx, 'acme');
    const wsToken = await createToken(ctx.db, ws, { name: 'ci', role: 'owner' });
    const second = await createInstanceToken(ctx.db, ctx.admin, { name: 'laptop' });

    const r = await rotateFirstAdminToken(ctx.db, { expiresAt: '2099-01-01T00:00:00.000Z' });
    expect(r).toMatchObject({ email: firstAdminEmail, expiresAt: '2099-01-01T00:00:00.000Z' });
    expect([...r.revoked].sort()).toEqual([ctx.admin.tokenId, second.id].sort());
    await expectCode(() => auth(ctx.adminToken), 'SLW_TOKEN_REVOKED');
    await expectCode(() => auth(second.token), 'SLW_TOKEN_REVOKED');
    expect(await auth(r.token)).toMatchObject({ email: firstAdminEmail, instanceAdmin: true, scope: null, tokenId: r.tokenId });
    expect((await auth(wsToken.token)).scope).toEqual({ workspaceId: ws.workspace.id, role: 'owner' });
    const event = await ctx.db.selectFrom('audit_events').select(['action', 'details']).where('action', '=', 'instance.admin-token.rotate').executeTakeFirstOrThrow();
    expect(event.details).not.toContain(r.token);

    const again = await rotateFirstAdminToken(ctx.db);
    expect(again.revoked).toEqual([r.tokenId]);
    await expectCode(() => auth(r.token), 'SLW_TOKEN_REVOKED');
  });

  it('bootstraps the first admin on an empty store', async () => {
    const fresh = await openTestStore(engine);
    try {
      const r = await rotateFirstAdminToken(fresh.store.db);
      expect(r).toMatchObject({ email: firstAdminEmail, revoked: [] });
      expect((await authenticate(fresh.store.db, `Bearer ${r.token}`)).instanceAdmin).toBe(true);
    } finally {
      await fresh.cleanup();
    }
  });

  it('lets an instance admin list, create, rotate and revoke instance tokens through the API functions', async () => {
    const made = await createInstanceToken(ctx.db, ctx.admin, { name: 'automation', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    const listed = await listInstanceTokens(ctx.db, ctx.admin);
    expect(listed.map((t) => t.name)).toEqual(['automation', 'first admin']);
    expect(JSON.stringify(listed)).not.toContain(made.token);

    // rotation: the calling token is revoked in the same step as the new one is made
    const caller = await auth(made.token);
    const rotated = await createInstanceToken(ctx.db, caller, { name: 'automation', replaces: 'current' });
    expect(rotated.replaced).toBe(made.id);
    await expectCode(() => auth(made.token), 'SLW_TOKEN_REVOKED');
    expect((await auth(rotated.token)).instanceAdmin).toBe(true);

    // the first admin's own token can be revoked too (the offline command makes a new one)
    const now = await auth(rotated.token);
    expect((await revokeInstanceToken(ctx.db, now, ctx.admin.tokenId)).revokedAt).not.toBeNull();
    await expectCode(() => auth(ctx.adminToken), 'SLW_TOKEN_REVOKED');
    await expectCode(() => revokeInstanceToken(ctx.db, now, 'tok_missing'), 'SLW_NOT_FOUND');
    await expectCode(() => createInstanceToken(ctx.db, now, { name: 'x', replaces: 'tok_missing' }), 'SLW_NOT_FOUND');
    expect((await listInstanceTokens(ctx.db, now)).filter((t) => !t.revokedAt).map((t) => t.id)).toEqual([rotated.id]);
  });

  it('refuses workspace tokens and non-admins', async () => {
    const ws = await workspace(ctx, 'acme');
    const owner = await member(ctx, ws, 'owner@example.com', 'owner');
    const plain = await instanceTokenFor(ctx.db, owner.principal.userId);
    const scoped = await auth((await createToken(ctx.db, ws, { name: 'ci', role: 'owner' })).token);
    await expectCode(() => listInstanceTokens(ctx.db, owner.principal), 'SLW_WORKSPACE_TOKEN_SCOPE');
    await expectCode(() => listInstanceTokens(ctx.db, scoped), 'SLW_WORKSPACE_TOKEN_SCOPE');
    await expectCode(() => listInstanceTokens(ctx.db, plain), 'SLW_FORBIDDEN');
    await expectCode(() => createInstanceToken(ctx.db, plain, { name: 'x' }), 'SLW_FORBIDDEN');
    await expectCode(() => revokeInstanceToken(ctx.db, plain, ctx.admin.tokenId), 'SLW_FORBIDDEN');
    expect((await auth(ctx.adminToken)).instanceAdmin).toBe(true);
  });
});
