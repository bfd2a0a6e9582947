import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changeConfig, readLayer } from '../config/config.js';
import { applyManifest } from '../pipelines/manifests.js';
import { resolveEnvironment, type ProjectAccess } from '../projects/projects.js';
import { listSecrets, setSecret, unsetSecret } from '../secrets/secrets.js';
import { engines } from '../../test/support/engines.js';
import { auditCount, expectCode, project, projectAs, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { environmentsRequiringApproval } from './gates.js';
import { approvalEnvironmentsOf, assertMayChangeWhatRuns } from './protected-config.js';
import { changeSettings } from './settings.js';

describe.each(engines)('what a protected environment runs with, on %s', (engine) => {
  let ctx: TestContext;
  let owner: ProjectAccess;
  let asDeveloper: ProjectAccess;
  let asAdmin: ProjectAccess;
  const keyring = testKeyring();
  beforeEach(async () => {
    ctx = await setupContext(engine);
    const acme = await workspace(ctx, 'acme', 'high');
    owner = await project(ctx, acme, 'shop');
    const as = (email: string, role: 'developer' | 'admin') => projectAs(ctx, acme, 'shop', email, role);
    asDeveloper = await as('dev@example.com', 'developer');
    asAdmin = await as('ops@example.com', 'admin');
  });
  afterEach(() => ctx.cleanup());

  it("refuses a developer's config and secret changes on prod and on the base layer that feeds it, storing nothing; an admin's go through", async () => {
    const prod = await resolveEnvironment(ctx.db, asDeveloper, 'prod');
    const audits = await auditCount(ctx.db, owner.workspace.id);
    const refused = [
      await expectCode(() => changeConfig(ctx.db, prod, { set: { DATABASE_URL: 'postgres://attacker/x' }, unset: [] }), 'SLW_FORBIDDEN'),
      await expectCode(() => setSecret(ctx.db, keyring, prod, 'DB_PASSWORD', 'attacker'), 'SLW_FORBIDDEN'),
      await expectCode(() => changeConfig(ctx.db, asDeveloper, { set: { DATABASE_URL: 'postgres://attacker/x' }, unset: [] }), 'SLW_FORBIDDEN'),
      await expectCode(() => setSecret(ctx.db, keyring, asDeveloper, 'DB_PASSWORD', 'attacker'), 'SLW_FORBIDDEN'),
    ];
    expect(refused.map((e) => e.message)).toEqual([
      "shop/prod requires approval, so only an admin or owner may change its config (your role: developer); ask an admin or owner to make this change",
      "shop/prod requires approval, so only an admin or owner may change its secrets (your role: developer); ask an admin or owner to make this change",
      "the base layer of shop feeds prod, which requires approval, so only an admin or owner may change its config (your role: developer); ask an admin or owner, or set it on an unprotected environment's own layer (-e ENV)",
      "the base layer of shop feeds prod, which requires approval, so only an admin or owner may change its secrets (your role: developer); ask an admin or owner, or set it on an unprotected environment's own layer (-e ENV)",
    ]);
    expect(await readLayer(ctx.db, owner.project.id, prod.environment.id)).toEqual({ version: 0, data: {} });
    expect(await readLayer(ctx.db, owner.project.id, null)).toEqual({ version: 0, data: {} });
    expect(await listSecrets(ctx.db, prod)).toEqual([]);
    expect(await auditCount(ctx.db, owner.workspace.id)).toBe(audits);

    const prodAsAdmin = await resolveEnvironment(ctx.db, asAdmin, 'prod');
    expect((await changeConfig(ctx.db, prodAsAdmin, { set: { DATABASE_URL: 'postgres://db/prod' }, unset: [] })).changed).toBe(true);
    expect((await setSecret(ctx.db, keyring, prodAsAdmin, 'DB_PASSWORD', 'p')).version).toBe(1);
    await expectCode(() => unsetSecret(ctx.db, prod, 'DB_PASSWORD'), 'SLW_FORBIDDEN');
    expect((await unsetSecret(ctx.db, prodAsAdmin, 'DB_PASSWORD')).version).toBe(2);
    expect((await changeConfig(ctx.db, asAdmin, { set: { REGION: 'eu' }, unset: [] })).changed).toBe(true);
  });

  it('leaves a developer the environments that require no approval', async () => {
    const dev = await resolveEnvironment(ctx.db, asDeveloper, 'dev');
    expect((await changeConfig(ctx.db, dev, { set: { DATABASE_URL: 'postgres://db/dev' }, unset: [] })).changed).toBe(true);
    expect((await setSecret(ctx.db, keyring, dev, 'DB_PASSWORD', 'd')).version).toBe(1);
    expect(await approvalEnvironmentsOf(ctx.db, dev)).toEqual([]);
  });

  it("counts the effective approval: the environment's own setting, prod's default, the manifest's gate", async () => {
    expect(await environmentsRequiringApproval(ctx.db, owner.project.id)).toEqual(['prod']);
    await changeSettings(ctx.db, await resolveEnvironment(ctx.db, owner, 'prod'), { requireApproval: false });
    expect(await environmentsRequiringApproval(ctx.db, owner.project.id)).toEqual([]);
    await assertMayChangeWhatRuns(ctx.db, asDeveloper, 'its config');
    await applyManifest(ctx.db, owner, 'gates:\n  staging:\n    approval: true\n  dev:\n    approval: false\n', { file: 'slipway.yaml', source: 'upload' });
    expect(await environmentsRequiringApproval(ctx.db, owner.project.id)).toEqual(['staging']);
    await changeSettings(ctx.db, await resolveEnvironment(ctx.db, owner, 'dev'), { requireApproval: true });
    expect(await environmentsRequiringApproval(ctx.db, owner.project.id)).toEqual(['dev', 'staging']);
    expect(await approvalEnvironmentsOf(ctx.db, await resolveEnvironment(ctx.db, asDeveloper, 'staging'))).toEqual(['staging']);
    const devAsDeveloper = await resolveEnvironment(ctx.db, asDeveloper, 'dev');
    await expectCode(() => assertMayChangeWhatRuns(ctx.db, devAsDeveloper, 'its config'), 'SLW_FORBIDDEN');
    await expectCode(() => assertMayChangeWhatRuns(ctx.db, asDeveloper, 'its config'), 'SLW_FORBIDDEN');
  });
});
