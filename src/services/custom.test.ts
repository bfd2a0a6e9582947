/**
 * Custom services at the context level, on both store engines, with the deploy engine on the
 * in-memory target: adopting a server at HOST:PORT (checked and probed with a TCP connect — the
 * machine's Redis port stands in for any server), attaching under the service's name as prefix
 * (SEARCH_HOST, _PORT, _URL reach the workload; no credentials are made), refusals with their
 * codes (rotate, backup, restore, detach --drop-data, upgrade of an adopted service, a prefix
 * clash), detaching through the sweep, and removing.
 */
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestDeploy } from '../deploy/deployments.js';
import { engineHarness, type Harness } from '../deploy/test-support/engine-harness.js';
import type { WorkloadSpec } from '../deploy/target.js';
import { serviceBackupDrivers } from '../drivers/backup/index.js';
import { serviceDrivers } from '../drivers/index.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { MemoryTarget } from '../targets/memory/memory-target.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { engines } from '../../test/support/engines.js';
import { tempDir } from '../../test/support/server-process.js';
import { environment, expectCode, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { attach, detach, listAttachments, rotate } from './attachments.js';
import { createBackup, listBackups, restoreBackup, type BackupContext } from './backups.js';
import { adoptCustomService } from './custom.js';
import { ServiceHostPolicy } from './host-policy.js';
import { retire } from './retire.js';
import { createService, describeService, removeService } from './services.js';
import { upgradeService } from './upgrade.js';

class RecordingTarget extends MemoryTarget {
  readonly envs = new Map<string, Record<string, string>>();
  override async apply(spec: WorkloadSpec): Promise<void> {
    this.envs.set(spec.labels['io.slipway.environment'] ?? '', spec.env);
    return super.apply(spec);
  }
}

describe.each(engines)('custom services on %s', (engine) => {
  let ctx: TestContext;
  let ws: WorkspaceAccess;
  let dev: EnvironmentAccess;
  let h: Harness;
  let target: RecordingTarget;
  let svc: BackupContext;

  const deploy = async (env: EnvironmentAccess, trigger: 'deploy' | 'service-change' = 'deploy') => {
    await requestDeploy(ctx.db, env, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', trigger, actor: { userId: ctx.admin.userId, tokenId: ctx.admin.tokenId } });
    await h.settle(env.environment.id);
  };

  beforeEach(async () => {
    ctx = await setupContext(engine);
    ws = await workspace(ctx, 'acme', 'high');
    // The in-memory target serves images of a project named `serve`.
    dev = await environment(ctx, await project(ctx, ws, 'serve'), 'dev');
    target = new RecordingTarget({ name: 'local' });
    const keyring = testKeyring();
    h = engineHarness(ctx.db, { keyring, target });
    svc = { db: ctx.db, keyring, drivers: serviceDrivers(), hosts: new ServiceHostPolicy(['127.0.0.1']), backups: serviceBackupDrivers(), dataDir: tempDir('slipway-custom-') };
  });
  afterEach(async () => {
    await h.close();
    await ctx.cleanup();
  });

  it('adopts HOST:PORT after a TCP probe, attaches under the name as prefix, and injects where it answers', async () => {
    const s = await adoptCustomService(svc, ws, { name: 'search', adopt: '127.0.0.1:6379', workloadAddress: 'search.internal:7700', scheme: 'http' });
    expect(s).toMatchObject({ kind: 'custom', mode: 'adopted', address: '127.0.0.1:6379', workloadAddress: 'search.internal:7700', serverVersion: null, custom: { scheme: 'http', env: [] } });
    expect((await describeService(ctx.db, ws, 'search')).custom?.scheme).toBe('http');
    const a = await attach(svc, dev, 'search', null);
    expect(a).toMatchObject({ kind: 'custom', as: 'SEARCH', resource: '', generation: 0, variables: ['SEARCH_HOST', 'SEARCH_PORT', 'SEARCH_URL'] });
    await expectCode(() => attach(svc, dev, 'search', null), 'SLW_ALREADY_ATTACHED');
    await expectCode(() => attach(svc, dev, 'search', 'SEARCH'), 'SLW_ALREADY_ATTACHED');
    const second = await attach(svc, dev, 'search', 'REPLICA');
    expect(second.variables).toEqual(['REPLICA_HOST', 'REPLICA_PORT', 'REPLICA_URL']);
    expect(await ctx.db.selectFrom('service_credentials').select('id').execute()).toEqual([]);
    await deploy(dev);
    expect(target.envs.get('dev')).toMatchObject({ SEARCH_HOST: 'search.internal', SEARCH_PORT: '7700', SEARCH_URL: 'http://search.internal:7700', REPLICA_URL: 'http://search.internal:7700' });
    const release = await ctx.db.selectFrom('releases').select('service_credentials').where('environment_id', '=', dev.environment.id).executeTakeFirstOrThrow();
    expect(Object.values(JSON.parse(release.service_credentials) as Record<string, number>)).toEqual([0, 0]);

    // What a custom service has not: credentials to rotate, data Slipway can dump, an image Slipway runs.
    expect((await expectCode(() => rotate(svc, dev, 'search', null), 'SLW_SERVICE_UNSUPPORTED')).message).toContain('no credentials of their own');
    await expectCode(() => createBackup(svc, dev, 'search', null), 'SLW_SERVICE_UNSUPPORTED');
    await expectCode(() => restoreBackup(svc, dev, 'search', null, 'sbk_x'), 'SLW_SERVICE_UNSUPPORTED');
    expect(await listBackups(ctx.db, dev, 'search', null)).toEqual([]);
    await expectCode(() => detach(svc, dev, 'search', null, { dropData: true, confirm: 'search' }), 'SLW_SERVICE_UNSUPPORTED');
    await expectCode(() => upgradeService(svc, ws, 'search', { image: 'x:1' }), 'SLW_SERVICE_UNSUPPORTED');

    // Detach: the next release runs without the variables, then the sweep removes the attachment.
    await detach(svc, dev, 'search', null, { dropData: false });
    expect((await retire(svc)).detached).toBe(0);
    await deploy(dev, 'service-change');
    expect(target.envs.get('dev')?.SEARCH_URL).toBeUndefined();
    expect(target.envs.get('dev')?.REPLICA_URL).toBe('http://search.internal:7700');
    expect((await retire(svc)).detached).toBe(1);
    expect((await listAttachments(ctx.db, dev)).map((x) => x.as)).toEqual(['REPLICA']);
    await expectCode(() => removeService(ctx.db, ws, 'search'), 'SLW_SERVICE_ATTACHED');
    await detach(svc, dev, 'search', 'REPLICA', { dropData: false });
    await deploy(dev, 'service-change');
    await retire(svc);
    await removeService(ctx.db, ws, 'search');
    expect(await ctx.db.selectFrom('custom_services').select('service_id').execute()).toEqual([]);
  });

  it('finishes a detach while the service does not answer (nothing was made on it)', async () => {
    const server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await adoptCustomService(svc, ws, { name: 'flaky', adopt: `127.0.0.1:${port}` });
    await attach(svc, dev, 'flaky', null);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await detach(svc, dev, 'flaky', null, { dropData: false });
    expect((await retire(svc)).detached).toBe(1);
    const audit = await ctx.db.selectFrom('audit_events').select('action').where('action', '=', 'service.detached').execute();
    expect(audit.length).toBe(1);
  });

  it('refuses what it may not reach, a closed port, a missing port, a name that makes no prefix, and a clash', async () => {
    await expectCode(() => adoptCustomService({ ...svc, hosts: new ServiceHostPolicy() }, ws, { name: 'x', adopt: '127.0.0.1:6379' }), 'SLW_SERVICE_HOST_REFUSED');
    await expectCode(() => adoptCustomService(svc, ws, { name: 'x', adopt: '127.0.0.1:1' }), 'SLW_SERVICE_UNREACHABLE');
    await expectCode(() => adoptCustomService(svc, ws, { name: 'x', adopt: '127.0.0.1' }), 'SLW_SERVICE_URL_INVALID');
    await expectCode(() => createService(svc, ws, { name: 'x', kind: 'nope', adopt: '127.0.0.1:6379' }), 'SLW_SERVICE_KIND_UNKNOWN');
    expect(await ctx.db.selectFrom('services').select('id').execute()).toEqual([]);
    await adoptCustomService(svc, ws, { name: '9lives', adopt: '127.0.0.1:6379' });
    await expectCode(() => attach(svc, dev, '9lives', null), 'SLW_VALIDATION');
    expect((await attach(svc, dev, '9lives', 'LIVES')).variables).toEqual(['LIVES_HOST', 'LIVES_PORT', 'LIVES_URL']);
    // A custom service named redis would inject REDIS_URL, which the Redis attachment already does.
    await createService(svc, ws, { name: 'cache', kind: 'redis', adopt: 'redis://127.0.0.1:6379' });
    const cache = await attach(svc, dev, 'cache', null);
    await adoptCustomService(svc, ws, { name: 'redis', adopt: '127.0.0.1:6379' });
    await expectCode(() => attach(svc, dev, 'redis', null), 'SLW_VARIABLE_CLASH');
    await detach(svc, dev, 'cache', null, { dropData: true, confirm: 'cache' });
    await retire(svc);
    expect(cache.resource).toMatch(/^slw_/);
  });
});
