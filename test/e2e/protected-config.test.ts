/**
 * What an environment that requires approval runs with is for admins and owners to change
 * (docs/security.md, "Production is protected"): over the API of a real server and store, a
 * developer's config, secret, service or site-label change that reaches prod (its own layer, or
 * the project's base layer that feeds it) is refused with SLW_FORBIDDEN and nothing is stored;
 * an admin's goes through; a developer still changes an environment that requires no approval.
 * Which environments count is the effective setting: its own, prod's default, or the manifest's
 * gate. The CLI says the refusal in one line with its code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, ok, type Api, type ApiResponse } from '../support/api.js';
import { snapshotSqlite } from '../support/db-snapshot.js';
import { addMember, paths, seedService, seedWorkspace, workspaceToken } from '../support/fixtures.js';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { cleanup, cli } from '../support/server-process.js';

let srv: InProcessServer;
let developer: Api;
let developerToken: string;
let admin: Api;
const env = (name: string) => paths.environment('acme', 'web', name);
const base = paths.project('acme', 'web');

beforeAll(async () => {
  srv = await startInProcessServer();
  // Tier high: dev, staging, prod, plus the custom qa; base and prod config and secrets.
  await seedWorkspace(srv.admin, 'acme', 'web', 'qa');
  await addMember(srv.admin, 'acme', 'dave@example.com', 'developer');
  await addMember(srv.admin, 'acme', 'ada@example.com', 'admin');
  const dev = await workspaceToken(srv.admin, 'acme', 'developer', 'dave@example.com');
  developer = dev.api;
  developerToken = dev.api.token;
  admin = (await workspaceToken(srv.admin, 'acme', 'admin', 'ada@example.com')).api;
  await seedService(srv.dbFile, 'acme', 'cache', 'web', 'dev');
});

afterAll(async () => {
  await srv?.close();
  await cleanup();
});

function expectForbidden(res: ApiResponse, says: RegExp): void {
  expect(res.status, res.text).toBe(403);
  expect(errorCode(res)).toBe('SLW_FORBIDDEN');
  const message = (res.json as { error: { message: string } }).error.message;
  expect(message).toMatch(says);
  expect(message).toMatch(/ask an admin or owner/);
  expect(message).not.toMatch(/\n/);
}

const configOf = async (api: Api, path: string) => ok<{ version: number; entries: Array<{ key: string; value: string }>; requiresApprovalIn: string[] }>(await api.get(`${path}/config`));

describe('a developer on prod (requires approval by default)', () => {
  it('is refused every change of its config, secrets and services, and of the base layer that feeds it; nothing is stored', async () => {
    const before = snapshotSqlite(srv.dbFile);
    const configBefore = await configOf(developer, env('prod'));
    const refused: Array<[ApiResponse, RegExp]> = [
      [await developer.patch(`${env('prod')}/config`, { set: { DATABASE_URL: 'postgres://attacker.example/prod' } }), /web\/prod requires approval, so only an admin or owner may change its config \(your role: developer\)/],
      [await developer.patch(`${env('prod')}/config?restart=false`, { unset: ['LOG_LEVEL'] }), /web\/prod requires approval/],
      [await developer.put(`${env('prod')}/secrets/DB_PASSWORD`, { value: 'attacker' }), /only an admin or owner may change its secrets/],
      [await developer.delete(`${env('prod')}/secrets/DB_PASSWORD`), /only an admin or owner may change its secrets/],
      [await developer.patch(`${base}/config`, { set: { DATABASE_URL: 'postgres://attacker.example/all' } }), /the base layer of web feeds prod, which requires approval/],
      [await developer.put(`${base}/secrets/DB_PASSWORD`, { value: 'attacker' }), /base layer of web feeds prod/],
      [await developer.delete(`${base}/secrets/DB_PASSWORD`), /base layer of web feeds prod/],
      [await developer.post(`${env('prod')}/attachments`, { service: 'cache', as: 'CACHE' }), /only an admin or owner may change the services attached to it/],
      [await developer.post(`${env('prod')}/attachments/cache/rotate`, {}), /web\/prod requires approval/],
      [await developer.post(`${env('prod')}/attachments/cache/detach`, {}), /web\/prod requires approval/],
    ];
    for (const [res, says] of refused) expectForbidden(res, says);
    expect(snapshotSqlite(srv.dbFile)).toEqual(before);
    expect(await configOf(developer, env('prod'))).toEqual(configBefore);
    // Reading stays open, and says why the layer is the admins'.
    expect(configBefore.requiresApprovalIn).toEqual(['prod']);
    expect((await configOf(developer, base)).requiresApprovalIn).toEqual(['prod']);
    expect(ok<{ requiresApprovalIn: string[] }>(await developer.get(`${env('prod')}/secrets`)).requiresApprovalIn).toEqual(['prod']);
    expect((await configOf(developer, env('dev'))).requiresApprovalIn).toEqual([]);
  });

  it("is still the developer's on dev, which requires no approval", async () => {
    const changed = ok<{ changed: boolean }>(await developer.patch(`${env('dev')}/config`, { set: { DATABASE_URL: 'postgres://db.dev/web' } }));
    expect(changed.changed).toBe(true);
    expect((await configOf(developer, env('dev'))).entries).toContainEqual({ key: 'DATABASE_URL', value: 'postgres://db.dev/web', layer: 'environment' });
    expect(ok<{ version: number }>(await developer.put(`${env('dev')}/secrets/DB_PASSWORD`, { value: 'dev-only' })).version).toBe(1);
    expect(ok<{ version: number }>(await developer.delete(`${env('dev')}/secrets/DB_PASSWORD`)).version).toBe(2);
  });

  it("an admin changes prod's config and secrets and the base layer", async () => {
    ok(await admin.patch(`${env('prod')}/config?restart=false`, { set: { DATABASE_URL: 'postgres://db.prod/web' } }));
    expect((await configOf(admin, env('prod'))).entries).toContainEqual({ key: 'DATABASE_URL', value: 'postgres://db.prod/web', layer: 'environment' });
    ok(await admin.put(`${env('prod')}/secrets/DB_PASSWORD?restart=false`, { value: 'rotated' }));
    ok(await admin.patch(`${base}/config`, { set: { REGION: 'eu' } }));
    ok(await admin.put(`${base}/secrets/API_KEY`, { value: 'k' }));
  });
});

describe('which environments count: the effective approval', () => {
  it('a custom environment an admin protects, and one the manifest gates, are refused; prod released by an admin is not', async () => {
    ok(await admin.patch(`${env('qa')}/settings`, { requireApproval: true }));
    expectForbidden(await developer.patch(`${env('qa')}/config`, { set: { A: '1' } }), /web\/qa requires approval/);
    ok(await developer.put(`${paths.project('acme', 'web')}/manifest`, { yaml: 'gates:\n  staging:\n    approval: true\n' }));
    expectForbidden(await developer.put(`${env('staging')}/secrets/S`, { value: 'x' }), /web\/staging requires approval/);
    expect((await configOf(developer, base)).requiresApprovalIn).toEqual(['prod', 'qa', 'staging']);
    expectForbidden(await developer.patch(`${base}/config`, { set: { A: '1' } }), /feeds prod, qa, staging, which require approval/);
    // An admin lifts every approval: the developers' again, base layer included.
    for (const name of ['prod', 'qa', 'staging']) ok(await admin.patch(`${env(name)}/settings`, { requireApproval: false }));
    ok(await developer.patch(`${env('prod')}/config?restart=false`, { set: { A: '1' } }));
    ok(await developer.patch(`${base}/config`, { set: { A: '2' } }));
    for (const name of ['prod', 'qa']) ok(await admin.patch(`${env(name)}/settings`, { requireApproval: null }));
  });

  it("a site that requires approval (-a APP -e SITE): its config and labels are the admins', its channel is not", async () => {
    ok(await srv.admin.post('/api/v1/workspaces/acme/applications', { name: 'web-app', fromProject: 'web' }));
    ok(await srv.admin.post('/api/v1/workspaces/acme/applications/web-app/sites', { name: 'globex', deploy: false }));
    ok(await developer.patch('/api/v1/workspaces/acme/applications/web-app/sites/globex', { labels: { set: { plan: 'gold' } } }));
    ok(await admin.patch(`${env('globex')}/settings`, { requireApproval: true }));
    const before = snapshotSqlite(srv.dbFile);
    expectForbidden(await developer.patch(`${env('globex')}/config`, { set: { A: '1' } }), /web\/globex requires approval/);
    expectForbidden(await developer.patch('/api/v1/workspaces/acme/applications/web-app/sites/globex', { labels: { set: { plan: 'free' } } }), /change its labels/);
    expect(snapshotSqlite(srv.dbFile)).toEqual(before);
    expect(ok<{ channel: string }>(await developer.patch('/api/v1/workspaces/acme/applications/web-app/sites/globex', { channel: 'beta' })).channel).toBe('beta');
    expect(ok<{ labels: Record<string, string> }>(await admin.patch('/api/v1/workspaces/acme/applications/web-app/sites/globex', { labels: { set: { plan: 'free' } } })).labels).toEqual({ plan: 'free' });
  });
});

describe('the CLI', () => {
  it('says the refusal in one line with its code, and as JSON with --json', async () => {
    const o = { server: srv.url, token: developerToken };
    const r = await cli(['config', 'set', 'DATABASE_URL=postgres://attacker.example/prod', '-w', 'acme', '-p', 'web', '-e', 'prod'], o);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error SLW_FORBIDDEN: web\/prod requires approval, so only an admin or owner may change its config \(your role: developer\); ask an admin or owner to make this change$/);
    const json = await cli(['secret', 'set', 'DB_PASSWORD', '-w', 'acme', '-p', 'web', '--json'], { ...o, input: 'attacker' });
    expect(json.code).toBe(1);
    expect(json.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: 'SLW_FORBIDDEN', message: expect.stringMatching(/^the base layer of web feeds globex, prod, which require approval/) });
  });

  it('says who changes a layer when it shows one, and answers requiresApprovalIn with --json', async () => {
    const o = { server: srv.url, token: developerToken };
    const get = await cli(['config', 'get', '-w', 'acme', '-p', 'web', '-e', 'prod'], o);
    expect(get.code, get.stderr).toBe(0);
    expect(get.stdout.trim().split('\n').at(-1)).toBe('changed by admins and owners only: prod requires approval');
    const dev = await cli(['config', 'get', '-w', 'acme', '-p', 'web', '-e', 'dev'], o);
    expect(dev.stdout).not.toContain('admins and owners');
    const list = await cli(['secret', 'list', '-w', 'acme', '-p', 'web', '--json'], o);
    expect(list.json<{ requiresApprovalIn: string[] }>().requiresApprovalIn).toEqual(['globex', 'prod']);
  });
});
