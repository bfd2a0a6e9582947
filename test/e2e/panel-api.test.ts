/**
 * The API the web panel reads: the workspace change stream (live deployment and promotion
 * changes, only to the workspace's own tokens), the promotion preview (names that differ, never
 * a value), and the project status with who made each running release.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, ok, type Api } from '../support/api.js';
import { snapshotSqlite } from '../support/db-snapshot.js';
import { paths, seedWorkspace, withSqliteStore, workspaceToken } from '../support/fixtures.js';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { cleanup } from '../support/server-process.js';
import { followStream, type SseEvent } from '../support/sse.js';
import { workspaceChanges, type WorkspaceChange } from '../../src/deploy/events.js';
import { resolveEnvironment, resolveProject } from '../../src/projects/projects.js';
import { createRelease, setReleaseStatus } from '../../src/releases/releases.js';
import type { ReleaseTrigger } from '../../src/core/releases.js';
import { authenticate } from '../../src/tenancy/tokens.js';
import { resolveWorkspace } from '../../src/tenancy/workspaces.js';

const digest = `sha256:${'e1'.repeat(32)}`;
const marker = () => `m${randomBytes(12).toString('hex')}`;

let srv: InProcessServer;
let owner: Api;
let viewer: Api;
let foreign: Api;

/** Records a release of acme/`project`/`environment` that ran (no engine involved). */
async function ranRelease(project: string, environment: string, trigger: ReleaseTrigger, byAdmin: boolean): Promise<void> {
  await withSqliteStore(srv.dbFile, async (db) => {
    const admin = await authenticate(db, `Bearer ${srv.adminToken}`);
    const access = await resolveEnvironment(db, await resolveProject(db, await resolveWorkspace(db, admin, 'acme'), project), environment);
    const actor = byAdmin ? { userId: admin.userId, tokenId: admin.tokenId } : { userId: null, tokenId: null };
    const release = await createRelease(db, access, { imageDigest: digest, version: '2.0.0', configVersion: access.project.config_version, secretVersions: {}, trigger, actor });
    await setReleaseStatus(db, access, release.number, 'running');
    await setReleaseStatus(db, access, release.number, 'succeeded');
  });
}

const changes = (events: SseEvent[]) => events.filter((e) => e.event === 'change').map((e) => JSON.parse(e.data ?? '{}') as WorkspaceChange);
const statusesOf = (events: SseEvent[], id: string) => changes(events).filter((c) => 'id' in c && c.id === id).map((c) => ('status' in c ? c.status : undefined));

beforeAll(async () => {
  srv = await startInProcessServer();
  await seedWorkspace(srv.admin, 'acme', 'web', 'qa');
  await seedWorkspace(srv.admin, 'other', 'site', 'qa');
  owner = (await workspaceToken(srv.admin, 'acme', 'owner')).api;
  viewer = (await workspaceToken(srv.admin, 'acme', 'viewer')).api;
  foreign = (await workspaceToken(srv.admin, 'other', 'owner')).api;
  await ranRelease('web', 'dev', 'deploy', true);
});

afterAll(async () => {
  await srv?.close();
  await cleanup();
});

describe('workspace change stream', () => {
  it('sends each deployment and promotion change of the workspace, and nothing of it to another workspace', async () => {
    const stream = await followStream(srv.url, `${paths.workspace('acme')}/events`, viewer.token);
    const other = await followStream(srv.url, `${paths.workspace('other')}/events`, foreign.token);
    try {
      expect(stream.status).toBe(200);
      expect(stream.contentType).toMatch(/^text\/event-stream/);
      await stream.until(() => stream.text().startsWith('retry: 1000\n\n'));

      // A config change on dev (which runs) rolls a release: queued, then the engine (no edge
      // proxy here) claims it and fails it.
      const changed = ok<{ deployment: { id: string } }>(await owner.patch(`${paths.environment('acme', 'web', 'dev')}/config`, { set: { FEATURE: 'on' } }));
      await stream.until((e) => statusesOf(e, changed.deployment.id).includes('failed'));
      expect(statusesOf(stream.events, changed.deployment.id)).toEqual(['queued', 'running', 'failed']);
      const queued = changes(stream.events).find((c) => 'id' in c && c.id === changed.deployment.id)!;
      expect(queued).toEqual({ kind: 'deployment', id: changed.deployment.id, project: 'web', environment: 'dev', status: 'queued', at: expect.any(String) });
      expect(new Date(queued.at).toISOString()).toBe(queued.at);

      // A promotion into staging deploys at once; it fails with its deployment.
      const toStaging = ok<{ promotion: { id: string }; deployment: { id: string } }>(await owner.post(`${paths.project('acme', 'web')}/promotions`, { from: 'dev', to: 'staging' }));
      await stream.until((e) => statusesOf(e, toStaging.promotion.id).includes('failed'));
      expect(statusesOf(stream.events, toStaging.promotion.id)).toEqual(['deploying', 'failed']);
      expect(statusesOf(stream.events, toStaging.deployment.id)).toEqual(['queued', 'running', 'failed']);

      // A promotion into prod waits for approval; rejecting it is a change too.
      const toProd = ok<{ promotion: { id: string } }>(await owner.post(`${paths.project('acme', 'web')}/promotions`, { from: 'dev', to: 'prod' }));
      ok(await owner.post(`${paths.workspace('acme')}/promotions/${toProd.promotion.id}/reject`, { reason: 'not today' }));
      await stream.until((e) => statusesOf(e, toProd.promotion.id).includes('rejected'));
      const prodChanges = changes(stream.events).filter((c) => 'id' in c && c.id === toProd.promotion.id);
      expect(prodChanges.map(({ at: _at, ...c }) => c)).toEqual([
        { kind: 'promotion', id: toProd.promotion.id, project: 'web', environment: 'prod', status: 'pending-approval' },
        { kind: 'promotion', id: toProd.promotion.id, project: 'web', environment: 'prod', status: 'rejected' },
      ]);
      expect(changes(stream.events).filter((c) => c.kind === 'promotion' && c.id === toStaging.promotion.id).every((c) => c.kind === 'promotion' && c.environment === 'staging')).toBe(true);

      // Ids increase; the other workspace's stream saw none of this.
      const ids = stream.events.filter((e) => e.event === 'change').map((e) => Number(e.id));
      expect(ids.every((id, i) => Number.isSafeInteger(id) && (i === 0 || id > ids[i - 1]!))).toBe(true);
      expect(other.status).toBe(200);
      expect(other.events).toEqual([]);
      expect(other.text()).toBe('retry: 1000\n\n');
    } finally {
      stream.close();
      other.close();
    }
  });

  it('drops its listener when the client goes away', async () => {
    const workspaceId = await withSqliteStore(srv.dbFile, async (db) => (await db.selectFrom('workspaces').select('id').where('name', '=', 'acme').executeTakeFirstOrThrow()).id);
    const followers = async (n: number) => {
      const deadline = Date.now() + 5_000;
      while (workspaceChanges.listenerCount(workspaceId) !== n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      return workspaceChanges.listenerCount(workspaceId);
    };
    expect(await followers(0)).toBe(0); // the streams of the test before have gone
    const stream = await followStream(srv.url, `${paths.workspace('acme')}/events`, owner.token);
    expect(await followers(1)).toBe(1);
    stream.close();
    expect(await followers(0)).toBe(0);
  });

  it("is closed to another workspace's token (404, no stream) and to no token (401)", async () => {
    const res = await foreign.get(`${paths.workspace('acme')}/events`);
    expect(res.status).toBe(404);
    expect(errorCode(res)).toBe('SLW_NOT_FOUND');
    const streamed = await followStream(srv.url, `${paths.workspace('acme')}/events`, foreign.token);
    expect(streamed.status).toBe(404);
    expect(streamed.events).toEqual([]);
    expect(streamed.text()).not.toMatch(/event:|retry:/);
    expect((await foreign.call({ path: `${paths.workspace('acme')}/events`, token: null })).status).toBe(401);
  });

  it('a stopping server ends its change streams instead of waiting for them', async () => {
    const second = await startInProcessServer();
    ok(await second.admin.post('/api/v1/workspaces', { name: 'solo', tier: 'low' }));
    const open = await followStream(second.url, '/api/v1/workspaces/solo/events', second.adminToken);
    await open.until(() => open.text().length > 0);
    const started = Date.now();
    await second.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    await open.until(() => open.ended(), 5_000);
  });
});

describe('promotion preview', () => {
  const values = { base: marker(), prodLevel: marker(), devOnly: marker(), prodOnly: marker(), same: marker() };
  const secrets = { shared: marker(), dbBase: marker(), dbProd: marker(), devSecret: marker(), prodSecret: marker(), devKey: marker(), prodKey: marker() };
  const shop = paths.project('acme', 'shop');
  const env = (name: string) => paths.environment('acme', 'shop', name);

  beforeAll(async () => {
    ok(await owner.post(`${paths.workspace('acme')}/projects`, { name: 'shop' }));
    ok(await owner.patch(`${shop}/config`, { set: { LOG_LEVEL: values.base, SAME: values.same } }));
    ok(await owner.patch(`${env('dev')}/config?restart=false`, { set: { DEV_ONLY: values.devOnly } }));
    ok(await owner.patch(`${env('prod')}/config?restart=false`, { set: { LOG_LEVEL: values.prodLevel, PROD_ONLY: values.prodOnly } }));
    ok(await owner.put(`${shop}/secrets/SHARED_SECRET`, { value: secrets.shared }));
    ok(await owner.put(`${shop}/secrets/DB_PASSWORD`, { value: secrets.dbBase }));
    ok(await owner.put(`${env('prod')}/secrets/DB_PASSWORD?restart=false`, { value: secrets.dbProd }));
    ok(await owner.put(`${env('dev')}/secrets/DEV_SECRET?restart=false`, { value: secrets.devSecret }));
    ok(await owner.put(`${env('prod')}/secrets/PROD_SECRET?restart=false`, { value: secrets.prodSecret }));
    ok(await owner.put(`${env('dev')}/secrets/API_KEY?restart=false`, { value: secrets.devKey }));
    ok(await owner.put(`${env('prod')}/secrets/API_KEY?restart=false`, { value: secrets.prodKey }));
    await ranRelease('shop', 'dev', 'deploy', true);
    await ranRelease('shop', 'staging', 'rollback', false);
  });

  it('names the config keys and secrets that differ, with both releases, and no value at all', async () => {
    const before = snapshotSqlite(srv.dbFile);
    const res = await viewer.get(`${shop}/promotions/preview?from=dev&to=prod`);
    expect(res.status, res.text).toBe(200);
    expect(res.json).toEqual({
      from: { environment: 'dev', release: { number: 1, version: '2.0.0', imageDigest: digest, configVersion: expect.any(Number) } },
      to: { environment: 'prod', release: null },
      imageChanges: true,
      requiresApproval: true,
      config: { onlyInFrom: ['DEV_ONLY'], onlyInTo: ['PROD_ONLY'], differ: ['LOG_LEVEL'] },
      secrets: { onlyInFrom: ['DEV_SECRET'], onlyInTo: ['PROD_SECRET'], differ: ['API_KEY', 'DB_PASSWORD'] },
    });
    const back = await viewer.get(`${shop}/promotions/preview?from=prod&to=dev`);
    expect(back.json).toMatchObject({ imageChanges: false, requiresApproval: false, config: { onlyInFrom: ['PROD_ONLY'], onlyInTo: ['DEV_ONLY'] }, secrets: { onlyInFrom: ['PROD_SECRET'], onlyInTo: ['DEV_SECRET'] } });
    const same = await viewer.get(`${shop}/promotions/preview?from=dev&to=staging`);
    expect(same.json).toMatchObject({ imageChanges: false, requiresApproval: false, to: { environment: 'staging', release: { number: 1, imageDigest: digest } } });
    for (const text of [res.text, back.text, same.text]) {
      for (const value of [...Object.values(values), ...Object.values(secrets)]) expect(text).not.toContain(value);
    }
    expect(snapshotSqlite(srv.dbFile)).toEqual(before);
  });

  it('refuses the same environment twice, unknown environments and a missing side', async () => {
    const same = await viewer.get(`${shop}/promotions/preview?from=prod&to=prod`);
    expect(errorCode(same)).toBe('SLW_VALIDATION');
    expect((same.json as { error: { message: string } }).error.message).toMatch(/from and to are both 'prod'/);
    expect(errorCode(await viewer.get(`${shop}/promotions/preview?from=dev&to=nosuch`))).toBe('SLW_NOT_FOUND');
    expect(errorCode(await viewer.get(`${shop}/promotions/preview?from=dev`))).toBe('SLW_VALIDATION');
    expect(errorCode(await viewer.get(`${shop}/promotions/preview?from=dev&to=prod&extra=1`))).toBe('SLW_VALIDATION');
    expect(errorCode(await foreign.get(`${shop}/promotions/preview?from=dev&to=prod`))).toBe('SLW_NOT_FOUND');
  });
});

describe('project status', () => {
  it("names each running release's trigger and the e-mail of who made it", async () => {
    const { environments } = ok<{ environments: Array<{ name: string; release: Record<string, unknown> | null }> }>(await viewer.get(`${paths.project('acme', 'shop')}/status`));
    const byName = Object.fromEntries(environments.map((e) => [e.name, e.release]));
    expect(byName.dev).toEqual({ number: 1, version: '2.0.0', imageDigest: digest, configVersion: expect.any(Number), finishedAt: expect.any(String), trigger: 'deploy', actor: 'admin@slipway.local' });
    expect(byName.staging).toMatchObject({ number: 1, trigger: 'rollback', actor: null });
    expect(byName.prod).toBeNull();
  });
});
