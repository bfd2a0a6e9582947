/**
 * Tenant isolation, walked over every route of the served OpenAPI document: tokens of workspace
 * A get `404 SLW_NOT_FOUND` for every object of workspace B — the same answer as for a name that
 * does not exist at all — and B's data does not change. A route added without isolation fails
 * this test, since the routes come from the document, not from a list here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, errorCode, ok, type Api, type ApiResponse } from '../support/api.js';
import { snapshotSqlite } from '../support/db-snapshot.js';
import { addMember, insertInstanceToken, insertRelease, seedWorkspace, withSqliteStore, workspaceToken, seedDeployRecords, seedService, seedGitSource } from '../support/fixtures.js';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { fetchOperations, fillUrl, pathParams, sampleBody, type Operation } from '../support/openapi.js';
import { seedVolumeBackup } from '../support/volume-seed.js';
import { cleanup } from '../support/server-process.js';

type Values = Record<string, string | number>;

let srv: InProcessServer;
let ops: Operation[];
let workspaceOps: Operation[];
/** Tokens of workspace A only, each with a label for failure messages. */
let tokensOfA: Array<{ label: string; api: Api }>;
let valuesA: Values;
let valuesB: Values;
/** B's objects with names A does not have (project, environment) or global ids (token, member). */
let foreignB: Values;
const missing: Values = { workspace: 'nosuch', project: 'nosuch', environment: 'nosuch', name: 'NO_SUCH', token: 'tok_000000000000_0000000000000000', member: 'nosuch@example.com', number: 999, deployment: 'dep_000000000000_0000000000000000', promotion: 'pro_000000000000_0000000000000000', service: 'nosuch', application: 'nosuch', site: 'nosuch', volume: 'nosuch', backup: 'sbk_000000000000_0000000000000000', delivery: 'dlv_000000000000_0000000000000000', build: 'gbd_000000000000_0000000000000000', run: 'run_000000000000_0000000000000000', pipeline: 'nosuch', upgrade: 'hup_000000000000_0000000000000000' };

beforeAll(async () => {
  srv = await startInProcessServer();
  const admin = srv.admin;
  await seedWorkspace(admin, 'alpha', 'alpha-web', 'alpha-qa');
  await seedWorkspace(admin, 'bravo', 'bravo-web', 'bravo-qa');
  await addMember(admin, 'alpha', 'alice@example.com', 'owner');
  const carol = await addMember(admin, 'alpha', 'carol@example.com', 'viewer');
  const bob = await addMember(admin, 'bravo', 'bob@example.com', 'developer');
  const tokenOfA = await workspaceToken(admin, 'alpha', 'viewer', 'carol@example.com');
  const tokenOfB = await workspaceToken(admin, 'bravo', 'viewer', 'bob@example.com');
  const aliceInstance = await withSqliteStore(srv.dbFile, async (db) => {
    await insertRelease(db, srv.adminToken, 'alpha', 'alpha-web', 'prod');
    await insertRelease(db, srv.adminToken, 'bravo', 'bravo-web', 'prod');
    return insertInstanceToken(db, 'alice@example.com');
  });
  tokensOfA = [
    { label: 'instance token of alice (member of A only)', api: apiClient(srv.url, aliceInstance) },
    { label: 'owner workspace token of A held by alice', api: (await workspaceToken(admin, 'alpha', 'owner', 'alice@example.com')).api },
    { label: 'owner workspace token of A held by the admin (also an owner of B)', api: (await workspaceToken(admin, 'alpha', 'owner')).api },
  ];
  await seedService(srv.dbFile, 'alpha', 'alpha-cache', 'alpha-web');
  await seedService(srv.dbFile, 'bravo', 'bravo-cache', 'bravo-web');
  for (const w of ['alpha', 'bravo']) ok(await admin.post(`/api/v1/workspaces/${w}/applications`, { name: `${w}-app`, fromProject: `${w}-web` }));
  for (const w of ['alpha', 'bravo']) ok(await admin.post(`/api/v1/workspaces/${w}/applications/${w}-app/sites`, { name: `${w}-site`, deploy: false }));
  const seededA = await seedDeployRecords(srv.dbFile, srv.adminToken, srv.adminToken, 'alpha', 'alpha-web');
  const seededB = await seedDeployRecords(srv.dbFile, srv.adminToken, srv.adminToken, 'bravo', 'bravo-web');
  const gitA = await seedGitSource(srv.dbFile, 'alpha', 'alpha-web');
  const gitB = await seedGitSource(srv.dbFile, 'bravo', 'bravo-web');
  const volumeA = await seedVolumeBackup(srv.dataDir, srv.dbFile, 'alpha', 'alpha-web', 'prod');
  const volumeB = await seedVolumeBackup(srv.dataDir, srv.dbFile, 'bravo', 'bravo-web', 'prod');
  valuesA = { workspace: 'alpha', project: 'alpha-web', environment: 'prod', name: 'DB_PASSWORD', token: tokenOfA.id, member: carol, number: 1, host: '127.0.0.1:5000', from: 'dev', to: 'prod', service: 'alpha-cache', application: 'alpha-app', site: 'alpha-site', delivery: 'dlv_000000000000_0000000000000000', ...gitA, ...seededA, ...volumeA };
  valuesB = { workspace: 'bravo', project: 'bravo-web', environment: 'prod', name: 'DB_PASSWORD', token: tokenOfB.id, member: bob, number: 1, host: '127.0.0.1:5000', from: 'dev', to: 'prod', service: 'bravo-cache', application: 'bravo-app', site: 'bravo-site', delivery: 'dlv_000000000000_0000000000000000', ...gitB, ...seededB, ...volumeB };
  // A pipeline is a name in a project's manifest, not an object of B: both projects have a `test`.
  const { pipeline: _samePipelineName, ...objectsOfB } = seededB;
  foreignB = { project: 'bravo-web', environment: 'bravo-qa', token: tokenOfB.id, member: bob, service: 'bravo-cache', application: 'bravo-app', site: 'bravo-site', backup: volumeB.backup, delivery: 'dlv_000000000000_0000000000000000', ...gitB, ...objectsOfB };
  ops = await fetchOperations(srv.url);
  workspaceOps = ops.filter((o) => o.path.includes('{workspace}'));
});

afterAll(async () => {
  await srv?.close();
  await cleanup();
});

function send(api: Api, op: Operation, values: Values, body: unknown): Promise<ApiResponse> {
  return api.call({ method: op.method, path: fillUrl(op, values), body: op.method === 'GET' ? undefined : body });
}

/** The message with the names of the request replaced, to compare "foreign" and "missing" answers. */
function neutral(res: ApiResponse, values: Values): string {
  let message = (res.json as { error?: { message?: string } } | undefined)?.error?.message ?? res.text;
  for (const v of Object.values(values).map(String).filter((v) => v.length >= 3).sort((a, b) => b.length - a.length)) message = message.split(v).join('<name>');
  return message;
}

describe('workspace isolation over every route of the OpenAPI document', () => {
  it('the document lists the API, and every path parameter has a test value', () => {
    expect(ops.length).toBeGreaterThanOrEqual(33);
    expect(workspaceOps.length).toBeGreaterThanOrEqual(30);
    for (const op of workspaceOps) expect(() => fillUrl(op, valuesB)).not.toThrow();
    const methods = new Set(workspaceOps.map((o) => o.method));
    expect([...methods].sort()).toEqual(['DELETE', 'GET', 'PATCH', 'POST', 'PUT']);
  });

  it("B's own token reads every GET route with B's names (so the names below are real objects)", async () => {
    const failures: string[] = [];
    for (const op of workspaceOps.filter((o) => o.method === 'GET')) {
      const res = await send(srv.admin, op, valuesB, undefined);
      if (res.status !== 200) failures.push(`${op.method} ${op.path}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
  });

  it("A's tokens get 404 SLW_NOT_FOUND on every route with B's names, exactly as for names that do not exist", async () => {
    const before = snapshotSqlite(srv.dbFile);
    const failures: string[] = [];
    let checked = 0;
    for (const op of workspaceOps) {
      for (const { label, api } of tokensOfA) {
        for (const body of op.method === 'GET' ? [undefined] : [{}, sampleBody(op.bodySchema)]) {
          const foreign = await send(api, op, valuesB, body);
          const absent = await send(api, op, { ...valuesB, workspace: missing.workspace as string }, body);
          checked += 1;
          const where = `${op.method} ${op.path} (${label}, body ${JSON.stringify(body)})`;
          if (foreign.status !== 404 || errorCode(foreign) !== 'SLW_NOT_FOUND') failures.push(`${where}: ${foreign.status} ${foreign.text.slice(0, 200)}`);
          else if (absent.status !== foreign.status || errorCode(absent) !== errorCode(foreign) || neutral(absent, missing) !== neutral(foreign, valuesB)) {
            failures.push(`${where}: foreign answers ${foreign.text}, missing answers ${absent.text}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(workspaceOps.length * tokensOfA.length);
    expect(snapshotSqlite(srv.dbFile)).toEqual(before);
  });

  it("B's projects, environments, tokens and members are not found under A's own path either", async () => {
    const before = snapshotSqlite(srv.dbFile);
    const failures: string[] = [];
    let checked = 0;
    for (const op of workspaceOps) {
      for (const param of pathParams(op.path).filter((p) => p in foreignB)) {
        for (const { label, api } of tokensOfA) {
          const body = sampleBody(op.bodySchema);
          const foreign = await send(api, op, { ...valuesA, [param]: foreignB[param] as string }, body);
          const absent = await send(api, op, { ...valuesA, [param]: missing[param] as string }, body);
          checked += 1;
          const where = `${op.method} ${op.path} with B's {${param}} (${label})`;
          if (foreign.status !== 404 || errorCode(foreign) !== 'SLW_NOT_FOUND') failures.push(`${where}: ${foreign.status} ${foreign.text.slice(0, 200)}`);
          else if (absent.status !== 404 || errorCode(absent) !== 'SLW_NOT_FOUND') failures.push(`${where}: a missing one answers ${absent.text}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(20);
    expect(snapshotSqlite(srv.dbFile)).toEqual(before);
  });

  it("A's tokens list only workspace A, and A's audit log holds nothing of B", async () => {
    for (const { label, api } of tokensOfA) {
      const { workspaces } = ok<{ workspaces: Array<{ name: string }> }>(await api.get('/api/v1/workspaces'));
      expect(workspaces.map((w) => w.name), label).toEqual(['alpha']);
      const { events } = ok<{ events: Array<{ target: string; details: unknown }> }>(await api.get('/api/v1/workspaces/alpha/audit?limit=1000'));
      expect(events.length).toBeGreaterThan(5);
      expect(JSON.stringify(events), label).not.toMatch(/bravo|bob@example\.com/);
    }
  });
});
