/**
 * Roles inside one workspace, over the routes of the served OpenAPI document: a viewer changes
 * nothing, a developer works on projects, config and secrets (but not on what prod, which requires
 * approval, runs with) and not on members or tokens, and nobody mints a token or grants a role
 * above their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, ok, type Api, type ApiResponse } from '../support/api.js';
import { snapshotSqlite } from '../support/db-snapshot.js';
import { addMember, insertRelease, paths, seedWorkspace, withSqliteStore, workspaceToken, seedDeployRecords, seedService, seedGitSource } from '../support/fixtures.js';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { fetchOperations, fillUrl, sampleBody, type Operation } from '../support/openapi.js';
import { seedVolumeBackup } from '../support/volume-seed.js';
import { cleanup } from '../support/server-process.js';

let srv: InProcessServer;
let ops: Operation[];
let viewer: Api;
let developer: Api;
let admin: Api;
let values: Record<string, string | number>;
const rank: Record<string, number> = { viewer: 1, developer: 2, admin: 3, owner: 4 };

beforeAll(async () => {
  srv = await startInProcessServer();
  await seedWorkspace(srv.admin, 'acme', 'web', 'qa');
  await addMember(srv.admin, 'acme', 'vera@example.com', 'viewer');
  const dave = await addMember(srv.admin, 'acme', 'dave@example.com', 'developer');
  await addMember(srv.admin, 'acme', 'ada@example.com', 'admin');
  const viewerToken = await workspaceToken(srv.admin, 'acme', 'viewer', 'vera@example.com');
  viewer = viewerToken.api;
  developer = (await workspaceToken(srv.admin, 'acme', 'developer', 'dave@example.com')).api;
  admin = (await workspaceToken(srv.admin, 'acme', 'admin', 'ada@example.com')).api;
  await withSqliteStore(srv.dbFile, (db) => insertRelease(db, srv.adminToken, 'acme', 'web', 'prod'));
  await seedService(srv.dbFile, 'acme', 'cache', 'web');
  ok(await srv.admin.post('/api/v1/workspaces/acme/applications', { name: 'web-app', fromProject: 'web' }));
  ok(await srv.admin.post('/api/v1/workspaces/acme/applications/web-app/sites', { name: 'globex', deploy: false }));
  const seeded = await seedDeployRecords(srv.dbFile, srv.adminToken, admin.token, 'acme', 'web');
  const git = await seedGitSource(srv.dbFile, 'acme', 'web');
  const volume = await seedVolumeBackup(srv.dataDir, srv.dbFile, 'acme', 'web', 'prod');
  values = { workspace: 'acme', project: 'web', environment: 'prod', name: 'DB_PASSWORD', token: viewerToken.id, member: dave, number: 1, host: '127.0.0.1:5000', from: 'dev', to: 'prod', service: 'cache', application: 'web-app', site: 'globex', delivery: 'dlv_000000000000_0000000000000000', ...git, ...seeded, ...volume };
  ops = (await fetchOperations(srv.url)).filter((o) => o.path.includes('{workspace}'));
});

afterAll(async () => {
  await srv?.close();
  await cleanup();
});

function send(api: Api, op: Operation): Promise<ApiResponse> {
  return api.call({ method: op.method, path: fillUrl(op, values), body: op.method === 'GET' ? undefined : sampleBody(op.bodySchema) });
}

const show = (op: Operation, res: ApiResponse) => `${op.method} ${op.path}: ${res.status} ${res.text.slice(0, 160)}`;

describe('viewer', () => {
  it('gets 403 SLW_FORBIDDEN on every route that changes something, and nothing changes', async () => {
    const changing = ops.filter((o) => o.method !== 'GET');
    expect(changing.length).toBeGreaterThanOrEqual(15);
    const before = snapshotSqlite(srv.dbFile);
    const failures: string[] = [];
    for (const op of changing) {
      const res = await send(viewer, op);
      if (res.status !== 403 || errorCode(res) !== 'SLW_FORBIDDEN') failures.push(show(op, res));
    }
    expect(failures).toEqual([]);
    expect(snapshotSqlite(srv.dbFile)).toEqual(before);
  });

  it("reads every GET route except tokens and audit (admin-only) and a volume backup's download (its files: developers); the document says so too", async () => {
    const failures: string[] = [];
    const gets = ops.filter((o) => o.method === 'GET');
    const aboveViewer = (path: string) => /\/(tokens|audit)$/.test(path) || /\/volumes\/\{volume\}\/backups\/\{backup\}\/download$/.test(path);
    for (const op of gets) {
      const res = await send(viewer, op);
      const refused = aboveViewer(op.path);
      if (refused ? res.status !== 403 || errorCode(res) !== 'SLW_FORBIDDEN' : res.status !== 200) failures.push(show(op, res));
      if ((op.minimumRole === 'viewer') === refused) failures.push(`${op.method} ${op.path}: the document says minimum role ${op.minimumRole}`);
    }
    expect(failures).toEqual([]);
    expect(gets.filter((o) => aboveViewer(o.path))).toHaveLength(3);
  });
});

describe('developer', () => {
  it('sets config and secrets where no environment requires approval, and creates projects and environments', async () => {
    expect((await developer.patch(`${paths.environment('acme', 'web', 'dev')}/config`, { set: { FEATURE_X: 'off' }, unset: ['LOG_LEVEL'] })).status).toBe(200);
    expect((await developer.patch(`${paths.environment('acme', 'web', 'qa')}/config`, { set: { FEATURE_X: 'on' } })).status).toBe(200);
    expect((await developer.put(`${paths.environment('acme', 'web', 'qa')}/secrets/API_KEY`, { value: 'k2' })).status).toBe(200);
    expect((await developer.delete(`${paths.environment('acme', 'web', 'qa')}/secrets/API_KEY`)).status).toBe(200);
    expect(ok<{ environments: string[] }>(await developer.post(`${paths.workspace('acme')}/projects`, { name: 'api' })).environments).toEqual(['dev', 'staging', 'prod']);
    expect(ok<{ kind: string }>(await developer.post(`${paths.project('acme', 'api')}/environments`, { name: 'perf' })).kind).toBe('custom');
    const { events } = ok<{ events: Array<{ action: string; actor: { email: string | null } }> }>(await srv.admin.get(`${paths.workspace('acme')}/audit?actor=dave@example.com`));
    // dev runs a release (seeded), so the config change there rolled a new one: release.create.
    expect(events.map((e) => e.action).sort()).toEqual(['config.change', 'config.change', 'environment.create', 'project.create', 'release.create', 'secret.set', 'secret.unset']);
  });

  it('gets 403 on every member-management and token route, but may list members', async () => {
    const before = snapshotSqlite(srv.dbFile);
    const access = ops.filter((o) => /\/(members|tokens)(\/|$)/.test(o.path));
    expect(access.length).toBeGreaterThanOrEqual(7);
    const failures: string[] = [];
    for (const op of access) {
      const res = await send(developer, op);
      const listMembers = op.method === 'GET' && op.path.endsWith('/members');
      if (listMembers ? res.status !== 200 : res.status !== 403 || errorCode(res) !== 'SLW_FORBIDDEN') failures.push(show(op, res));
    }
    expect(failures).toEqual([]);
    expect(snapshotSqlite(srv.dbFile)).toEqual(before);
  });

  it("is refused exactly where the document's minimum role (or, on prod, its protected minimum role) is above developer", async () => {
    const failures: string[] = [];
    for (const op of ops) {
      const res = await send(developer, op);
      // The values name prod, which requires approval (and the base layer of its project feeds
      // it): what changes its variables needs the protected minimum role. The site globex does not.
      const guarded = op.protectedMinimumRole !== undefined && !op.path.includes('/sites/') && rank[op.protectedMinimumRole]! > rank.developer!;
      const above = guarded || rank[op.minimumRole ?? 'owner']! > rank.developer!;
      if (above ? res.status !== 403 || errorCode(res) !== 'SLW_FORBIDDEN' : res.status === 401 || res.status === 403) failures.push(show(op, res));
    }
    expect(failures).toEqual([]);
  });
});

describe('role ceilings', () => {
  it('no token mints a token, or grants a role, above its own (SLW_ROLE_TOO_HIGH)', async () => {
    const before = snapshotSqlite(srv.dbFile);
    const tooHigh = [
      await admin.post(`${paths.workspace('acme')}/tokens`, { role: 'owner' }),
      await admin.post(`${paths.workspace('acme')}/members`, { email: 'olga@example.com', role: 'owner' }),
      await admin.patch(`${paths.workspace('acme')}/members/vera@example.com`, { role: 'owner' }),
      await admin.patch(`${paths.workspace('acme')}/members/admin@slipway.local`, { role: 'viewer' }),
      // The owner may not mint a token above the role of the member who will hold it.
      await srv.admin.post(`${paths.workspace('acme')}/tokens`, { role: 'admin', member: 'dave@example.com' }),
    ];
    for (const res of tooHigh) {
      expect(res.status, res.text).toBe(403);
      expect(errorCode(res)).toBe('SLW_ROLE_TOO_HIGH');
    }
    expect(snapshotSqlite(srv.dbFile)).toEqual(before);
    const minted = ok<{ role: string }>(await admin.post(`${paths.workspace('acme')}/tokens`, { role: 'admin' }));
    expect(minted.role).toBe('admin');
  });

  it("an admin mints tokens only as themselves and cannot revoke an owner's token (SLW_FORBIDDEN)", async () => {
    const ownerToken = ok<{ id: string }>(await srv.admin.post(`${paths.workspace('acme')}/tokens`, { role: 'owner', name: 'owner ci' }));
    const before = snapshotSqlite(srv.dbFile);
    const refused = [
      await admin.post(`${paths.workspace('acme')}/tokens`, { role: 'admin', member: 'admin@slipway.local' }),
      await admin.post(`${paths.workspace('acme')}/tokens`, { role: 'viewer', member: 'dave@example.com' }),
      await admin.delete(`${paths.workspace('acme')}/tokens/${ownerToken.id}`),
    ];
    for (const res of refused) {
      expect(res.status, res.text).toBe(403);
      expect(errorCode(res)).toBe('SLW_FORBIDDEN');
    }
    expect(snapshotSqlite(srv.dbFile)).toEqual(before);
    expect(ok<{ user: { email: string } }>(await admin.post(`${paths.workspace('acme')}/tokens`, { role: 'viewer', member: 'ada@example.com' })).user.email).toBe('ada@example.com');
  });

  it("a token never exceeds its member's current role", async () => {
    expect((await admin.get(`${paths.workspace('acme')}/tokens`)).status).toBe(200);
    ok(await srv.admin.patch(`${paths.workspace('acme')}/members/ada@example.com`, { role: 'viewer' }));
    const res = await admin.get(`${paths.workspace('acme')}/tokens`);
    expect(res.status).toBe(403);
    expect(errorCode(res)).toBe('SLW_FORBIDDEN');
    expect(ok<{ role: string }>(await admin.get(paths.workspace('acme'))).role).toBe('viewer');
  });

  it('the owner is not refused on the requests the viewer was refused (the 403s were about the role)', async () => {
    const failures: string[] = [];
    for (const op of ops.filter((o) => o.method !== 'GET')) {
      const res = await send(srv.admin, op);
      // An import from an unreachable registry (the sample points at a closed loopback port) is a
      // 502 about that registry, not about the role.
      const upstream = res.status === 502 && errorCode(res) === 'SLW_UPSTREAM_REGISTRY';
      if (res.status === 401 || res.status === 403 || (res.status >= 500 && !upstream)) failures.push(show(op, res));
    }
    expect(failures).toEqual([]);
  });
});
