/**
 * The services context on both store engines, with the real Redis driver against the machine's
 * Redis and the deploy engine on the in-memory target: adopt (checked before storing), attach
 * (variables reach the workload, the release records the generation), rotate (the old user is
 * revoked only once no running release uses it), detach, environment deletion, refusals that
 * store nothing, and undo of a half-made attachment.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { requestDeploy } from '../deploy/deployments.js';
import { deleteEnvironment } from '../deploy/removal.js';
import { engineHarness, type Harness } from '../deploy/test-support/engine-harness.js';
import type { WorkloadSpec } from '../deploy/target.js';
import { serviceDrivers } from '../drivers/index.js';
import { createEnvironment, type EnvironmentAccess, type ProjectAccess } from '../projects/projects.js';
import { MemoryTarget } from '../targets/memory/memory-target.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { engines } from '../../test/support/engines.js';
import { environment, expectCode, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { attach, detach, listAttachments, rotate } from './attachments.js';
import { ServiceHostPolicy } from './host-policy.js';
import { retire } from './retire.js';
import { createService, listServices, removeService, type ServiceContext } from './services.js';

/** The in-memory target, remembering the environment each workload was given. */
class RecordingTarget extends MemoryTarget {
  readonly envs = new Map<string, Record<string, string>>();
  override async apply(spec: WorkloadSpec): Promise<void> {
    this.envs.set(spec.labels['io.slipway.environment'] ?? '', spec.env);
    return super.apply(spec);
  }
}

const canary = `canary-${process.pid}-redis-admin`;
const adminUrl = `redis://default:${canary}@127.0.0.1:6379`;

async function aclUsers(): Promise<string[]> {
  const r = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  await r.connect();
  try {
    return (await r.acl('USERS')) as string[];
  } finally {
    r.disconnect();
  }
}

describe.each(engines)('services on %s', (engine) => {
  let ctx: TestContext;
  let ws: WorkspaceAccess;
  let serve: ProjectAccess;
  let dev: EnvironmentAccess;
  let prod: EnvironmentAccess;
  let h: Harness;
  let target: RecordingTarget;
  let svc: ServiceContext;
  const keyring = testKeyring();
  const made: string[] = [];

  const deploy = async (env: EnvironmentAccess) => {
    await requestDeploy(ctx.db, env, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', trigger: 'deploy', actor: { userId: ctx.admin.userId, tokenId: ctx.admin.tokenId } });
    await h.settle(env.environment.id);
  };
  const restart = async (env: EnvironmentAccess) => {
    await requestDeploy(ctx.db, env, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', trigger: 'service-change', actor: { userId: ctx.admin.userId, tokenId: ctx.admin.tokenId } });
  };

  beforeEach(async () => {
    ctx = await setupContext(engine);
    ws = await workspace(ctx, 'acme', 'high');
    serve = await project(ctx, ws, 'serve');
    dev = await environment(ctx, serve, 'dev');
    prod = await environment(ctx, serve, 'prod');
    target = new RecordingTarget({ name: 'local' });
    h = engineHarness(ctx.db, { keyring, target });
    svc = { db: ctx.db, keyring, drivers: serviceDrivers(), hosts: new ServiceHostPolicy(['127.0.0.1']) };
  });
  afterEach(async () => {
    // Whatever a failed test left on the machine's Redis.
    const r = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await r.connect();
    for (const user of (await r.acl('USERS')) as string[]) if (made.some((m) => user.startsWith(m))) await r.acl('DELUSER', user);
    r.disconnect();
    await h.close();
    await ctx.cleanup();
  });

  it('adopts after a check, stores the admin URL sealed, and refuses what it may not reach', async () => {
    const s = await createService(svc, ws, { name: 'cache', kind: 'redis', adopt: adminUrl });
    expect(s).toMatchObject({ name: 'cache', kind: 'redis', address: '127.0.0.1:6379', workloadAddress: '127.0.0.1:6379', attachments: 0 });
    expect(s.serverVersion).toMatch(/^\d+\.\d+/);
    const row = await ctx.db.selectFrom('services').selectAll().executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(canary);
    const strict = { ...svc, hosts: new ServiceHostPolicy() };
    const refused = await expectCode(() => createService(strict, ws, { name: 'local', kind: 'redis', adopt: 'redis://127.0.0.1:6379' }), 'SLW_SERVICE_HOST_REFUSED');
    expect(refused.message).toContain('--allow-service-host');
    await expectCode(() => createService(svc, ws, { name: 'down', kind: 'postgres', adopt: `postgres://u:${canary}@127.0.0.1:1/postgres` }), 'SLW_SERVICE_UNREACHABLE');
    await expectCode(() => createService(svc, ws, { name: 'cache', kind: 'redis', adopt: adminUrl }), 'SLW_ALREADY_EXISTS');
    await expectCode(() => createService(svc, ws, { name: 'bad', kind: 'redis', adopt: 'http://127.0.0.1:6379' }), 'SLW_SERVICE_URL_INVALID');
    // RabbitMQ's management URL is checked like the host: no internal address unless allowed.
    await expectCode(() => createService(svc, ws, { name: 'mq', kind: 'rabbitmq', adopt: 'amqp://guest:guest@127.0.0.1:5672', managementUrl: 'http://10.9.9.9:15672' }), 'SLW_SERVICE_HOST_REFUSED');
    expect((await listServices(ctx.db, ws)).map((x) => x.name)).toEqual(['cache']);
  });

  it('attaches with credentials of its own, rotates, and revokes the old user only after the release that uses it is gone', async () => {
    await createService(svc, ws, { name: 'cache', kind: 'redis', adopt: adminUrl });
    const a = await attach(svc, dev, 'cache', null);
    made.push(a.resource);
    expect(a.variables).toEqual(['REDIS_URL', 'REDIS_KEY_PREFIX']);
    await expectCode(() => attach(svc, dev, 'cache', null), 'SLW_ALREADY_ATTACHED');
    await deploy(dev);
    const env1 = target.envs.get('dev') ?? {};
    expect(env1.REDIS_KEY_PREFIX).toBe(`${a.resource}:`);
    const user1 = decodeURIComponent(new URL(env1.REDIS_URL ?? '').username);
    expect(await aclUsers()).toContain(user1);
    const release1 = await ctx.db.selectFrom('releases').select('service_credentials').where('environment_id', '=', dev.environment.id).executeTakeFirstOrThrow();
    expect(Object.values(JSON.parse(release1.service_credentials) as Record<string, number>)).toEqual([1]);

    const r = await rotate(svc, dev, 'cache', null);
    expect(r.generation).toBe(2);
    // The running release still uses generation 1: the sweep leaves it.
    await retire(svc);
    expect(await aclUsers()).toContain(user1);
    await restart(dev);
    // A deployment in flight: still left.
    expect((await retire(svc)).revoked).toBe(0);
    await h.settle(dev.environment.id);
    const user2 = decodeURIComponent(new URL(target.envs.get('dev')?.REDIS_URL ?? '').username);
    expect(user2).not.toBe(user1);
    expect((await retire(svc)).revoked).toBe(1);
    const users = await aclUsers();
    expect(users).not.toContain(user1);
    expect(users).toContain(user2);
  });

  it('detaches once no running release uses it, and an environment deleted detaches its attachments', async () => {
    await createService(svc, ws, { name: 'cache', kind: 'redis', adopt: adminUrl });
    const d = await attach(svc, dev, 'cache', null);
    const p = await attach(svc, prod, 'cache', 'SESSIONS');
    made.push(d.resource, p.resource);
    expect(p.variables).toEqual(['SESSIONS_REDIS_URL', 'SESSIONS_REDIS_KEY_PREFIX']);
    await deploy(dev);
    await expectCode(() => detach(svc, dev, 'cache', null, { dropData: true }), 'SLW_CONFIRM_REQUIRED');
    await expectCode(() => removeService(ctx.db, ws, 'cache'), 'SLW_SERVICE_ATTACHED');
    await detach(svc, dev, 'cache', null, { dropData: true, confirm: 'cache' });
    expect((await retire(svc)).detached).toBe(0);
    await restart(dev);
    await h.settle(dev.environment.id);
    expect(target.envs.get('dev')?.REDIS_URL).toBeUndefined();
    expect((await retire(svc)).detached).toBe(1);
    expect((await listAttachments(ctx.db, dev)).length).toBe(0);
    expect((await aclUsers()).some((u) => u.startsWith(d.resource))).toBe(false);
    // qa never ran: deleting it leaves its attachment to the sweep, which revokes it.
    await createEnvironment(ctx.db, serve, { name: 'qa' });
    const custom = await environment(ctx, serve, 'qa');
    const s = await attach(svc, custom, 'cache', null);
    made.push(s.resource);
    expect((await aclUsers()).some((u) => u.startsWith(s.resource))).toBe(true);
    await deleteEnvironment(ctx.db, h.placements, custom);
    expect((await retire(svc)).detached).toBe(1);
    expect((await aclUsers()).some((u) => u.startsWith(s.resource))).toBe(false);
    await detach(svc, prod, 'cache', 'SESSIONS', { dropData: false });
    await retire(svc);
    await removeService(ctx.db, ws, 'cache');
    expect(await listServices(ctx.db, ws)).toEqual([]);
  });

  it('undoes what it made on the server when an attach fails midway, and stores nothing', async () => {
    await createService(svc, ws, { name: 'cache', kind: 'redis', adopt: adminUrl });
    const real = svc.drivers.redis;
    let resource = '';
    const failing = {
      ...svc,
      drivers: {
        ...svc.drivers,
        redis: {
          ...real,
          grantUser: async (admin: Parameters<typeof real.grantUser>[0], res: string, user: string, password: string) => {
            resource = res;
            await real.grantUser(admin, res, user, password);
            throw new Error('the server went away');
          },
        },
      },
    };
    await expect(attach(failing, dev, 'cache', null)).rejects.toThrow('the server went away');
    expect(resource).toMatch(/^slw_/);
    expect((await aclUsers()).some((u) => u.startsWith(resource))).toBe(false);
    expect(await ctx.db.selectFrom('service_attachments').select('id').execute()).toEqual([]);
    expect(await ctx.db.selectFrom('service_credentials').select('id').execute()).toEqual([]);
  });
});
