import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EnvironmentAccess, ProjectAccess } from '../projects/projects.js';
import { engines } from '../../test/support/engines.js';
import { auditCount, environment, expectCode, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { currentSecretVersions, listResolvedSecrets, listSecrets, revealSecrets, setSecret, unsetSecret, type Keyring } from './secrets.js';
import { maxSecretBytes } from '../core/config.js';

describe.each(engines)('secrets on %s', (engine) => {
  let ctx: TestContext;
  let keyring: Keyring;
  let shop: ProjectAccess;
  let prod: EnvironmentAccess;
  let dev: EnvironmentAccess;
  beforeEach(async () => {
    ctx = await setupContext(engine);
    keyring = testKeyring();
    shop = await project(ctx, await workspace(ctx, 'acme', 'high'), 'shop');
    prod = await environment(ctx, shop, 'prod');
    dev = await environment(ctx, shop, 'dev');
  });
  afterEach(() => ctx.cleanup());

  const reveal = (versions: Parameters<typeof revealSecrets>[4]) => revealSecrets(ctx.db, keyring, shop.workspace.id, shop.project.id, versions);

  it('stores a new version on every set and lists metadata only', async () => {
    const audits = await auditCount(ctx.db, shop.workspace.id);
    expect(await setSecret(ctx.db, keyring, shop, 'DB_PASSWORD', 'first-value')).toMatchObject({ name: 'DB_PASSWORD', version: 1, layer: 'base', updatedBy: ctx.admin.email });
    expect((await setSecret(ctx.db, keyring, shop, 'DB_PASSWORD', 'second-value')).version).toBe(2);
    expect((await setSecret(ctx.db, keyring, shop, 'DB_PASSWORD', 'second-value')).version).toBe(3);
    expect((await setSecret(ctx.db, keyring, prod, 'DB_PASSWORD', 'prod-value')).version).toBe(1);
    expect(await auditCount(ctx.db, shop.workspace.id)).toBe(audits + 4);

    const base = await listSecrets(ctx.db, shop);
    expect(base).toEqual([{ name: 'DB_PASSWORD', version: 3, layer: 'base', updatedAt: expect.any(String), updatedBy: ctx.admin.email }]);
    const own = await listSecrets(ctx.db, prod);
    expect(own.map((s) => [s.name, s.version, s.layer])).toEqual([['DB_PASSWORD', 1, 'environment']]);
    for (const info of [...base, ...own, ...(await listResolvedSecrets(ctx.db, prod))]) {
      expect(Object.keys(info).sort()).toEqual(['layer', 'name', 'updatedAt', 'updatedBy', 'version']);
    }
    const listed = JSON.stringify([base, own, await listResolvedSecrets(ctx.db, dev)]);
    for (const plaintext of ['first-value', 'second-value', 'prod-value']) expect(listed).not.toContain(plaintext);
  });

  it('resolves the environment layer over the base by name', async () => {
    await setSecret(ctx.db, keyring, shop, 'API_KEY', 'base-key');
    await setSecret(ctx.db, keyring, shop, 'SHARED', 'shared');
    await setSecret(ctx.db, keyring, prod, 'API_KEY', 'prod-key');
    await setSecret(ctx.db, keyring, prod, 'API_KEY', 'prod-key-2');
    await setSecret(ctx.db, keyring, prod, 'ONLY_PROD', 'p');
    expect((await listResolvedSecrets(ctx.db, prod)).map((s) => [s.name, s.version, s.layer])).toEqual([
      ['API_KEY', 2, 'environment'],
      ['ONLY_PROD', 1, 'environment'],
      ['SHARED', 1, 'base'],
    ]);
    expect((await listResolvedSecrets(ctx.db, dev)).map((s) => [s.name, s.version, s.layer])).toEqual([
      ['API_KEY', 1, 'base'],
      ['SHARED', 1, 'base'],
    ]);
    const versions = await currentSecretVersions(ctx.db, prod);
    expect(versions).toEqual({ API_KEY: { scope: prod.environment.id, version: 2 }, ONLY_PROD: { scope: prod.environment.id, version: 1 }, SHARED: { scope: 'base', version: 1 } });
    expect(await reveal(versions)).toEqual({ API_KEY: 'prod-key-2', ONLY_PROD: 'p', SHARED: 'shared' });
    expect(await reveal(await currentSecretVersions(ctx.db, dev))).toEqual({ API_KEY: 'base-key', SHARED: 'shared' });
  });

  it('unsets with a tombstone while older versions stay revealable', async () => {
    await setSecret(ctx.db, keyring, prod, 'TOKEN', 'v1');
    await setSecret(ctx.db, keyring, prod, 'TOKEN', 'v2');
    await setSecret(ctx.db, keyring, prod, 'KEEP', 'k');
    const snapshot = await currentSecretVersions(ctx.db, prod);
    const audits = await auditCount(ctx.db, shop.workspace.id);
    expect(await unsetSecret(ctx.db, prod, 'TOKEN')).toEqual({ name: 'TOKEN', version: 3 });
    expect(await auditCount(ctx.db, shop.workspace.id)).toBe(audits + 1);

    const rows = await ctx.db.selectFrom('secrets').select(['version', 'envelope']).where('name', '=', 'TOKEN').orderBy('version').execute();
    expect(rows.map((r) => [r.version, r.envelope === null])).toEqual([[1, false], [2, false], [3, true]]);
    expect((await listSecrets(ctx.db, prod)).map((s) => s.name)).toEqual(['KEEP']);
    expect(Object.keys(await currentSecretVersions(ctx.db, prod))).toEqual(['KEEP']);
    expect(await reveal(snapshot)).toEqual({ TOKEN: 'v2', KEEP: 'k' });
    expect(await reveal({ TOKEN: { scope: prod.environment.id, version: 1 } })).toEqual({ TOKEN: 'v1' });
    await expectCode(() => reveal({ TOKEN: { scope: prod.environment.id, version: 3 } }), 'SLW_NOT_FOUND');
    await expectCode(() => unsetSecret(ctx.db, prod, 'TOKEN'), 'SLW_NOT_FOUND');
    await expectCode(() => unsetSecret(ctx.db, prod, 'NEVER_SET'), 'SLW_NOT_FOUND');

    expect((await setSecret(ctx.db, keyring, prod, 'TOKEN', 'v4')).version).toBe(4);
    expect(await reveal(await currentSecretVersions(ctx.db, prod))).toEqual({ KEEP: 'k', TOKEN: 'v4' });
  });

  it('falls back to the base value when the environment unsets its own', async () => {
    await setSecret(ctx.db, keyring, shop, 'URL', 'base-url');
    await setSecret(ctx.db, keyring, prod, 'URL', 'prod-url');
    await unsetSecret(ctx.db, prod, 'URL');
    expect((await listResolvedSecrets(ctx.db, prod)).map((s) => [s.name, s.layer])).toEqual([['URL', 'base']]);
    expect(await reveal(await currentSecretVersions(ctx.db, prod))).toEqual({ URL: 'base-url' });
  });

  it('keeps every plaintext out of the stored rows and the audit', async () => {
    const values = ['p4ssw0rd-with-a-long-distinct-tail', 'another secret value ✓', 'x'.repeat(4096)];
    for (const [i, value] of values.entries()) {
      await setSecret(ctx.db, keyring, i % 2 === 0 ? shop : prod, `SECRET_${i}`, value);
      await setSecret(ctx.db, keyring, dev, `SECRET_${i}`, value);
    }
    const rows = JSON.stringify(await ctx.db.selectFrom('secrets').selectAll().execute());
    const audit = JSON.stringify(await ctx.db.selectFrom('audit_events').selectAll().execute());
    for (const value of values) {
      expect(rows).not.toContain(value);
      expect(rows).not.toContain(Buffer.from(value).toString('base64'));
      expect(audit).not.toContain(value);
    }
    expect(await reveal(await currentSecretVersions(ctx.db, dev))).toEqual(Object.fromEntries(values.map((v, i) => [`SECRET_${i}`, v])));
  });

  it('refuses bad names and oversized values without storing anything', async () => {
    await expectCode(() => setSecret(ctx.db, keyring, shop, 'bad-name', 'x'), 'SLW_INVALID_KEY');
    await expectCode(() => setSecret(ctx.db, keyring, shop, 'BIG', 'x'.repeat(maxSecretBytes + 1)), 'SLW_VALIDATION');
    expect(await ctx.db.selectFrom('secrets').select('id').execute()).toEqual([]);
  });

  it('does not open with another master key', async () => {
    await setSecret(ctx.db, keyring, prod, 'TOKEN', 'v1');
    const versions = await currentSecretVersions(ctx.db, prod);
    await expectCode(() => revealSecrets(ctx.db, testKeyring(), shop.workspace.id, shop.project.id, versions), 'SLW_INTERNAL');
  });

  it('gives concurrent sets of one name distinct consecutive versions', async () => {
    const n = 15;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => setSecret(ctx.db, keyring, prod, 'RACE', `value-${i}`)));
    const versions = results.map((r) => r.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    for (const r of results) {
      const i = results.indexOf(r);
      expect(await reveal({ RACE: { scope: prod.environment.id, version: r.version } })).toEqual({ RACE: `value-${i}` });
    }
    expect((await listSecrets(ctx.db, prod)).map((s) => [s.name, s.version])).toEqual([['RACE', n]]);
  });

  it('refuses a value with NUL or another control character, storing nothing', async () => {
    await setSecret(ctx.db, keyring, prod, 'API_KEY', 'good');
    for (const value of ['bad\u0000value', '\u0000', 'esc\u001b']) {
      const err = await expectCode(() => setSecret(ctx.db, keyring, prod, 'API_KEY', value), 'SLW_INVALID_VALUE');
      expect(err.message).not.toContain('bad');
    }
    expect((await listSecrets(ctx.db, prod)).map((s) => [s.name, s.version])).toEqual([['API_KEY', 1]]);
    expect(await reveal({ API_KEY: { scope: prod.environment.id, version: 1 } })).toEqual({ API_KEY: 'good' });
    expect((await setSecret(ctx.db, keyring, prod, 'PEM', '-----BEGIN KEY-----\r\n\tabc\n-----END KEY-----\n')).version).toBe(1);
  });
});
