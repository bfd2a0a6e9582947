import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeSettings, getSettings } from '../deploy/settings.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { engines } from '../../test/support/engines.js';
import { environment, expectCode, project, setupContext, workspace, type TestContext } from '../../test/support/service-fixtures.js';

describe.each(engines)('custom domains on %s', (engine) => {
  let ctx: TestContext;
  let mallory: EnvironmentAccess;
  beforeEach(async () => {
    ctx = await setupContext(engine);
    mallory = await environment(ctx, await project(ctx, await workspace(ctx, 'mallory'), 'web'), 'prod');
  });
  afterEach(() => ctx.cleanup());

  const domainRows = () => ctx.db.selectFrom('domains').select(['domain', 'environment_id']).orderBy('domain').execute();

  it("cannot squat another workspace's future default domain; the victim keeps changing its settings", async () => {
    for (const domain of ['prod.shop.victim.localhost', 'www.victim.localhost', 'victim.localhost']) {
      await expectCode(() => changeSettings(ctx.db, mallory, { domain }), 'SLW_DOMAIN_RESERVED');
    }
    expect(await domainRows()).toEqual([]);
    expect((await getSettings(ctx.db, mallory)).domain).toBe('prod.web.mallory.localhost');

    const victim = await environment(ctx, await project(ctx, await workspace(ctx, 'victim'), 'shop'), 'prod');
    expect(await changeSettings(ctx.db, victim, { replicas: 2 })).toMatchObject({ domain: 'prod.shop.victim.localhost', replicas: 2 });
    expect(await changeSettings(ctx.db, victim, { domain: 'www.victim.localhost' })).toMatchObject({ domain: 'www.victim.localhost' });
  });

  it("cannot take another environment's default domain in its own workspace", async () => {
    await expectCode(() => changeSettings(ctx.db, mallory, { domain: 'dev.web.mallory.localhost' }), 'SLW_DOMAIN_RESERVED');
    expect(await changeSettings(ctx.db, mallory, { domain: 'prod.web.mallory.localhost' })).toMatchObject({ domain: 'prod.web.mallory.localhost' });
    expect(await changeSettings(ctx.db, mallory, { domain: 'shop.mallory.localhost' })).toMatchObject({ domain: 'shop.mallory.localhost' });
  });

  it('keeps custom domains unique across the instance, and frees one when it is unset', async () => {
    const acme = await environment(ctx, await project(ctx, await workspace(ctx, 'acme'), 'shop'), 'prod');
    await changeSettings(ctx.db, acme, { domain: 'Shop.Example.com' });
    const err = await expectCode(() => changeSettings(ctx.db, mallory, { domain: 'shop.example.com', port: 3000 }), 'SLW_ALREADY_EXISTS');
    expect(err.message).not.toContain('acme');
    expect(await getSettings(ctx.db, mallory)).toMatchObject({ domain: 'prod.web.mallory.localhost', port: 8080 });
    // other changes keep the domain; the same domain again is no conflict with itself
    expect(await changeSettings(ctx.db, acme, { replicas: 3 })).toMatchObject({ domain: 'shop.example.com', replicas: 3 });
    expect(await changeSettings(ctx.db, acme, { domain: 'shop.example.com' })).toMatchObject({ domain: 'shop.example.com' });
    expect(await domainRows()).toEqual([{ domain: 'shop.example.com', environment_id: acme.environment.id }]);
    // a new domain releases the old one; null goes back to the default
    await changeSettings(ctx.db, acme, { domain: 'www.example.com' });
    await changeSettings(ctx.db, mallory, { domain: 'shop.example.com' });
    await changeSettings(ctx.db, acme, { domain: null });
    expect((await getSettings(ctx.db, acme)).domain).toBe('prod.shop.acme.localhost');
    expect(await domainRows()).toEqual([{ domain: 'shop.example.com', environment_id: mallory.environment.id }]);
    // an empty domain is refused (it was once stored as the domain itself); the custom one stays
    await expectCode(() => changeSettings(ctx.db, mallory, { domain: '', port: 3000 }), 'SLW_INVALID_DOMAIN');
    expect(await getSettings(ctx.db, mallory)).toMatchObject({ domain: 'shop.example.com', port: 8080 });
  });

  it('gives a domain claimed by many environments at once to exactly one', async () => {
    const claimants: EnvironmentAccess[] = [mallory];
    for (const ws of ['acme', 'globex']) {
      const p = await project(ctx, await workspace(ctx, ws), 'site');
      for (const env of ['dev', 'staging', 'prod']) claimants.push(await environment(ctx, p, env));
    }
    const results = await Promise.allSettled(claimants.map((c) => changeSettings(ctx.db, c, { domain: 'race.example.com', replicas: 2 })));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'SLW_ALREADY_EXISTS' });
    const winner = claimants[won[0] ?? -1];
    expect(await domainRows()).toEqual([{ domain: 'race.example.com', environment_id: winner?.environment.id }]);
    for (const c of claimants) {
      const s = await getSettings(ctx.db, c);
      expect(s.domain === 'race.example.com').toBe(c === winner);
      expect(s.replicas).toBe(c === winner ? 2 : 1);
    }
  });
});
