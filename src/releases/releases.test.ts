import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReleaseStatus } from '../core/releases.js';
import { changeConfig, resolveEnvironmentConfig } from '../config/config.js';
import type { EnvironmentAccess, ProjectAccess } from '../projects/projects.js';
import { currentSecretVersions, setSecret } from '../secrets/secrets.js';
import { engines } from '../../test/support/engines.js';
import { auditCount, environment, expectCode, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { createRelease, getRelease, listReleases, setReleaseStatus, type NewRelease } from './releases.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe.each(engines)('releases on %s', (engine) => {
  let ctx: TestContext;
  let shop: ProjectAccess;
  let dev: EnvironmentAccess;
  let prod: EnvironmentAccess;
  beforeEach(async () => {
    ctx = await setupContext(engine);
    shop = await project(ctx, await workspace(ctx, 'acme', 'high'), 'shop');
    dev = await environment(ctx, shop, 'dev');
    prod = await environment(ctx, shop, 'prod');
  });
  afterEach(() => ctx.cleanup());

  const input = (overrides: Partial<NewRelease> = {}): NewRelease => ({
    imageDigest: digest('a'),
    version: '1.0.0',
    configVersion: 0,
    secretVersions: {},
    trigger: 'deploy',
    actor: { userId: ctx.admin.userId, tokenId: ctx.admin.tokenId },
    ...overrides,
  });

  it('numbers releases 1, 2, 3 per environment independently and records what they hold', async () => {
    const audits = await auditCount(ctx.db, shop.workspace.id);
    expect((await createRelease(ctx.db, dev, input())).number).toBe(1);
    expect((await createRelease(ctx.db, dev, input())).number).toBe(2);
    expect((await createRelease(ctx.db, prod, input())).number).toBe(1);
    expect((await createRelease(ctx.db, dev, input())).number).toBe(3);
    expect((await createRelease(ctx.db, prod, input())).number).toBe(2);
    expect(await auditCount(ctx.db, shop.workspace.id)).toBe(audits + 5);
    const other = await project(ctx, shop, 'other');
    expect((await createRelease(ctx.db, await environment(ctx, other, 'dev'), input())).number).toBe(1);

    await changeConfig(ctx.db, prod, { set: { A: '1' }, unset: [] });
    await setSecret(ctx.db, testKeyring(), prod, 'TOKEN', 'secret');
    const configVersion = (await resolveEnvironmentConfig(ctx.db, prod)).version;
    const secretVersions = await currentSecretVersions(ctx.db, prod);
    const created = await createRelease(ctx.db, prod, input({ imageDigest: digest('b'), version: null, configVersion, secretVersions, trigger: 'config-change' }));
    expect(created).toMatchObject({
      number: 3,
      environment: 'prod',
      imageDigest: digest('b'),
      version: null,
      configVersion: 1,
      secretVersions: { TOKEN: 1 },
      status: 'pending',
      trigger: 'config-change',
      actor: { userId: ctx.admin.userId, email: ctx.admin.email, tokenId: ctx.admin.tokenId },
      startedAt: null,
      finishedAt: null,
      message: null,
    });
    expect(await getRelease(ctx.db, prod, 3)).toEqual(created);
    const stored = await ctx.db.selectFrom('releases').select('secret_versions').where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(JSON.parse(stored.secret_versions)).toEqual({ TOKEN: { scope: prod.environment.id, version: 1 } });
  });

  it('gives concurrent releases of one environment distinct consecutive numbers', async () => {
    const n = 20;
    const made = await Promise.all(Array.from({ length: n }, (_, i) => createRelease(ctx.db, prod, input({ version: `1.0.${i}` }))));
    expect(made.map((r) => r.number).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const listed = await listReleases(ctx.db, prod, 100);
    expect(listed.map((r) => r.number)).toEqual(Array.from({ length: n }, (_, i) => n - i));
    expect(new Set(listed.map((r) => r.version)).size).toBe(n);
  });

  it('lists newest first, up to the limit, one environment only', async () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) await createRelease(ctx.db, prod, input({ version: v }));
    await createRelease(ctx.db, dev, input({ version: '9.9.9' }));
    expect((await listReleases(ctx.db, prod, 10)).map((r) => [r.number, r.version])).toEqual([
      [3, '1.2.0'],
      [2, '1.1.0'],
      [1, '1.0.0'],
    ]);
    expect((await listReleases(ctx.db, prod, 2)).map((r) => r.number)).toEqual([3, 2]);
    expect((await listReleases(ctx.db, dev, 10)).map((r) => r.version)).toEqual(['9.9.9']);
    expect(await listReleases(ctx.db, await environment(ctx, shop, 'staging'), 10)).toEqual([]);
  });

  it('moves through pending, running and succeeded, stamping the timings', async () => {
    await createRelease(ctx.db, prod, input());
    const running = await setReleaseStatus(ctx.db, prod, 1, 'running');
    expect(running.status).toBe('running');
    expect(running.startedAt).toEqual(expect.any(String));
    expect(running.finishedAt).toBeNull();
    const done = await setReleaseStatus(ctx.db, prod, 1, 'succeeded', 'all replicas ready');
    expect(done).toMatchObject({ status: 'succeeded', startedAt: running.startedAt, message: 'all replicas ready' });
    expect(done.finishedAt).toEqual(expect.any(String));
    expect(Date.parse(done.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(done.startedAt ?? ''));
    const superseded = await setReleaseStatus(ctx.db, prod, 1, 'superseded');
    expect(superseded).toMatchObject({ status: 'superseded', startedAt: done.startedAt, finishedAt: done.finishedAt, message: 'all replicas ready' });
    expect(await getRelease(ctx.db, prod, 1)).toEqual(superseded);
  });

  it('stamps the finish of a release cancelled or failed before it ran', async () => {
    await createRelease(ctx.db, prod, input());
    await createRelease(ctx.db, prod, input());
    const cancelled = await setReleaseStatus(ctx.db, prod, 1, 'cancelled');
    expect(cancelled).toMatchObject({ status: 'cancelled', startedAt: null });
    expect(cancelled.finishedAt).toEqual(expect.any(String));
    const failed = await setReleaseStatus(ctx.db, prod, 2, 'failed', 'image pull failed');
    expect(failed).toMatchObject({ status: 'failed', startedAt: null, message: 'image pull failed' });
    expect(failed.finishedAt).toEqual(expect.any(String));
  });

  it.each<[ReleaseStatus[], ReleaseStatus]>([
    [[], 'succeeded'],
    [[], 'superseded'],
    [['running'], 'pending'],
    [['running'], 'superseded'],
    [['running', 'succeeded'], 'running'],
    [['running', 'succeeded', 'superseded'], 'failed'],
    [['running', 'failed'], 'succeeded'],
    [['cancelled'], 'running'],
    [['running', 'succeeded', 'superseded'], 'succeeded'],
  ])('after %j refuses a move to %s and changes nothing', async (path, to) => {
    await createRelease(ctx.db, prod, input());
    for (const step of path) await setReleaseStatus(ctx.db, prod, 1, step);
    const before = await getRelease(ctx.db, prod, 1);
    const error = await expectCode(() => setReleaseStatus(ctx.db, prod, 1, to), 'SLW_VALIDATION');
    expect(error.message).toContain(`'${before.status}' to '${to}'`);
    expect(await getRelease(ctx.db, prod, 1)).toEqual(before);
  });

  it('answers SLW_NOT_FOUND for a missing release number', async () => {
    await createRelease(ctx.db, dev, input());
    const error = await expectCode(() => getRelease(ctx.db, prod, 1), 'SLW_NOT_FOUND');
    expect(error.message).toBe("release '#1' not found in environment 'prod'");
    await expectCode(() => getRelease(ctx.db, dev, 2), 'SLW_NOT_FOUND');
    await expectCode(() => setReleaseStatus(ctx.db, dev, 7, 'running'), 'SLW_NOT_FOUND');
    expect((await getRelease(ctx.db, dev, 1)).number).toBe(1);
  });
});
