/**
 * A barrage of bad requests: each gets a 4xx Slipway error document with a catalogued code
 * (never a 5xx, never Fastify's own error shape), and the store is byte-for-byte the same after
 * the whole barrage as before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, errorCode, ok, type ApiRequest } from '../support/api.js';
import { snapshotSqlite, type Snapshot } from '../support/db-snapshot.js';
import { seedWorkspace, withSqliteStore, workspaceToken } from '../support/fixtures.js';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { cleanup } from '../support/server-process.js';

const ws = '/api/v1/workspaces';
const acme = `${ws}/acme`;
const web = `${acme}/projects/web`;
const prod = `${web}/environments/prod`;
const json = 'application/json';

/** One bad request and the code(s) it must answer with. */
interface Case extends ApiRequest {
  name: string;
  expect: string | string[];
}

let srv: InProcessServer;
let before: Snapshot;
const tokens = { owner: '', viewer: '', expired: '', revoked: '' };

beforeAll(async () => {
  srv = await startInProcessServer();
  tokens.owner = srv.adminToken;
  await seedWorkspace(srv.admin, 'acme', 'web', 'qa');
  ok(await srv.admin.post(ws, { name: 'tiny', tier: 'low' }));
  ok(await srv.admin.post(`${ws}/tiny/projects`, { name: 'site' }));
  tokens.viewer = (await workspaceToken(srv.admin, 'acme', 'viewer')).api.token;
  const revoked = await workspaceToken(srv.admin, 'acme', 'owner');
  ok(await srv.admin.delete(`${acme}/tokens/${revoked.id}`));
  tokens.revoked = revoked.api.token;
  const expired = await workspaceToken(srv.admin, 'acme', 'owner');
  await withSqliteStore(srv.dbFile, (db) => db.updateTable('tokens').set({ expires_at: '2001-01-01T00:00:00.000Z' }).where('id', '=', expired.id).execute());
  tokens.expired = expired.api.token;
  before = snapshotSqlite(srv.dbFile);
});

afterAll(async () => {
  await srv?.close();
  await cleanup();
});

const badNames = ['Upper', 'under_score', 'a'.repeat(64), '', '-lead', 'trail-', 'ünïcode', 'dots.in.name', 'white space', '日本', 'a--'];
const badKeys = ['1BAD', 'BAD-KEY', '', 'a.b', 'K'.repeat(300), 'ÜBER', 'has space'];

function cases(): Case[] {
  const c: Case[] = [];
  const add = (name: string, req: Omit<Case, 'name'>) => c.push({ name, ...req });
  const raw = (rawBody: string | Uint8Array, contentType = json) => ({ rawBody, contentType });

  // Unknown tiers.
  for (const tier of ['gold', 'HIGH', '', 'low ', 'business-plus']) add(`unknown tier '${tier}'`, { method: 'POST', path: ws, body: { name: 'fresh', tier }, expect: 'SLW_UNKNOWN_TIER' });
  add('tier change to an unknown tier', { method: 'PATCH', path: acme, body: { tier: 'premium' }, expect: 'SLW_UNKNOWN_TIER' });

  // Bad names for workspaces, projects and environments.
  for (const n of badNames) {
    add(`workspace name ${JSON.stringify(n)}`, { method: 'POST', path: ws, body: { name: n, tier: 'high' }, expect: 'SLW_INVALID_NAME' });
    add(`project name ${JSON.stringify(n)}`, { method: 'POST', path: `${acme}/projects`, body: { name: n }, expect: 'SLW_INVALID_NAME' });
    add(`environment name ${JSON.stringify(n)}`, { method: 'POST', path: `${web}/environments`, body: { name: n }, expect: 'SLW_INVALID_NAME' });
  }

  // Bodies that are not JSON, empty, too large, or not objects.
  for (const text of ['{"name":', '{name: "x"}', "{'name':'x'}", '{"name":"x"}}', 'undefined', 'NaN']) {
    add(`malformed JSON ${text}`, { method: 'POST', path: `${acme}/projects`, ...raw(text), expect: 'SLW_MALFORMED_JSON' });
  }
  add('invalid UTF-8', { method: 'POST', path: `${acme}/projects`, ...raw(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), expect: 'SLW_MALFORMED_JSON' });
  for (const [method, path] of [['POST', `${acme}/projects`], ['PATCH', `${prod}/config`], ['PUT', `${prod}/secrets/DB_PASSWORD`]] as const) {
    add(`empty body with a JSON content type (${method})`, { method, path, ...raw(''), expect: 'SLW_MALFORMED_JSON' });
    add(`2 MiB body (${method})`, { method, path, body: { name: 'x'.repeat(2 * 1024 * 1024) }, expect: 'SLW_PAYLOAD_TOO_LARGE' });
  }
  for (const text of ['[]', '"web"', 'null', '42', 'true', '[{"name":"x"}]']) add(`body ${text}`, { method: 'POST', path: `${acme}/projects`, ...raw(text), expect: 'SLW_VALIDATION' });
  add('deeply nested arrays', { method: 'POST', path: `${acme}/projects`, ...raw(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), expect: 'SLW_VALIDATION' });
  add('prototype poisoning', { method: 'POST', path: `${acme}/projects`, ...raw('{"__proto__":{"admin":true},"name":"x"}'), expect: ['SLW_MALFORMED_JSON', 'SLW_VALIDATION'] });
  add('duplicate keys, the last one bad', { method: 'POST', path: `${acme}/projects`, ...raw('{"name":"ok","name":"Not OK"}'), expect: 'SLW_INVALID_NAME' });
  add('a body on a route without one', { method: 'DELETE', path: web, body: {}, expect: 'SLW_VALIDATION' });

  // Wrong content types.
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x']) {
    add(`content type ${type}`, { method: 'POST', path: `${acme}/projects`, ...raw('{"name":"x"}', type), expect: 'SLW_UNSUPPORTED_MEDIA_TYPE' });
  }

  // Unknown fields and wrong types.
  const fields: Array<[string, string, unknown, string]> = [
    ['POST', ws, { name: 'fresh', tier: 'high', owner: 'me' }, 'SLW_VALIDATION'],
    ['POST', `${acme}/projects`, { name: 'fresh', description: 'x' }, 'SLW_VALIDATION'],
    ['PATCH', `${web}/config`, { set: {}, replace: true }, 'SLW_VALIDATION'],
    ['PUT', `${prod}/secrets/DB_PASSWORD`, { value: 'x', version: 3 }, 'SLW_VALIDATION'],
    ['POST', `${acme}/tokens`, { role: 'viewer', scopes: ['all'] }, 'SLW_VALIDATION'],
    ['POST', `${acme}/members`, { email: 'new@example.com', role: 'viewer', admin: true }, 'SLW_VALIDATION'],
    ['POST', `${acme}/projects`, { name: 123 }, 'SLW_VALIDATION'],
    ['POST', `${acme}/projects`, { name: null }, 'SLW_VALIDATION'],
    ['POST', `${acme}/projects`, { name: ['a'] }, 'SLW_VALIDATION'],
    ['POST', `${acme}/projects`, {}, 'SLW_VALIDATION'],
    ['POST', ws, { name: 'fresh', tier: 3 }, 'SLW_VALIDATION'],
    ['PATCH', `${web}/config`, { set: { A: 1 } }, 'SLW_VALIDATION'],
    ['PATCH', `${web}/config`, { set: { A: null } }, 'SLW_VALIDATION'],
    ['PATCH', `${web}/config`, { set: ['A=1'] }, 'SLW_VALIDATION'],
    ['PATCH', `${web}/config`, { unset: 'A' }, 'SLW_VALIDATION'],
    ['PATCH', `${web}/config`, { unset: [1] }, 'SLW_VALIDATION'],
    ['PATCH', `${web}/config`, { set: { BIG: 'x'.repeat(65_537) } }, 'SLW_VALIDATION'],
    ['PATCH', `${web}/config`, { set: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`K${i}`, 'v'])) }, 'SLW_VALIDATION'],
    ['PUT', `${prod}/secrets/DB_PASSWORD`, { value: 42 }, 'SLW_VALIDATION'],
    ['PUT', `${prod}/secrets/DB_PASSWORD`, { value: null }, 'SLW_VALIDATION'],
    ['PUT', `${prod}/secrets/DB_PASSWORD`, { value: 'x'.repeat(65_537) }, 'SLW_VALIDATION'],
    ['PATCH', `${web}/config`, { set: { A: 'x\u0000y' } }, 'SLW_INVALID_VALUE'],
    ['PATCH', `${prod}/config`, { set: { A: 'ok', B: '\u001b[31m' } }, 'SLW_INVALID_VALUE'],
    ['PUT', `${prod}/secrets/DB_PASSWORD`, { value: 'x\u0000y' }, 'SLW_INVALID_VALUE'],
    ['PATCH', `${prod}/settings`, { domain: 'prod.site.tiny.localhost' }, 'SLW_DOMAIN_RESERVED'],
    ['PATCH', `${prod}/settings`, { domain: 'www.tiny.localhost' }, 'SLW_DOMAIN_RESERVED'],
    ['PATCH', `${prod}/settings`, { domain: 'qa.web.acme.localhost' }, 'SLW_DOMAIN_RESERVED'],
    ['POST', `${acme}/tokens`, { role: 1 }, 'SLW_VALIDATION'],
    ['POST', `${acme}/tokens`, { role: 'superuser' }, 'SLW_UNKNOWN_ROLE'],
    ['POST', `${acme}/tokens`, { role: 'viewer', expiresAt: 'tomorrow' }, 'SLW_VALIDATION'],
    ['POST', `${acme}/tokens`, { role: 'viewer', expiresAt: '2001-01-01T00:00:00Z' }, 'SLW_VALIDATION'],
    ['POST', `${acme}/tokens`, { role: 'viewer', name: '' }, 'SLW_VALIDATION'],
    ['POST', `${acme}/members`, { email: 'not-an-email', role: 'viewer' }, 'SLW_VALIDATION'],
    ['POST', `${acme}/members`, { email: 'x@example.com', role: 'god' }, 'SLW_UNKNOWN_ROLE'],
  ];
  for (const [method, path, body, code] of fields) add(`${method} ${path} ${JSON.stringify(body).slice(0, 60)}`, { method, path, body, expect: code });

  // Bad config keys and secret names.
  for (const k of badKeys) {
    add(`config key ${JSON.stringify(k.slice(0, 20))} in set`, { method: 'PATCH', path: `${prod}/config`, body: { set: { [k]: 'v' } }, expect: 'SLW_INVALID_KEY' });
    add(`config key ${JSON.stringify(k.slice(0, 20))} in unset`, { method: 'PATCH', path: `${web}/config`, body: { unset: [k] }, expect: 'SLW_INVALID_KEY' });
  }
  for (const k of ['bad-name', '1BAD', 'a.b', 'ÜBER', ' ', 'K'.repeat(256)]) {
    add(`secret name ${JSON.stringify(k.slice(0, 20))}`, { method: 'PUT', path: `${prod}/secrets/${encodeURIComponent(k)}`, body: { value: 'v' }, expect: 'SLW_INVALID_KEY' });
    add(`secret name ${JSON.stringify(k.slice(0, 20))} (delete)`, { method: 'DELETE', path: `${web}/secrets/${encodeURIComponent(k)}`, expect: 'SLW_INVALID_KEY' });
  }

  // Bad query and path values.
  for (const q of ['limit=-1', 'limit=abc', 'limit=0', 'limit=1.5', 'limit=1001', 'limit=', 'since=yesterday', `before=${'x'.repeat(101)}`, 'unknown=1']) {
    add(`audit?${q.slice(0, 30)}`, { path: `${acme}/audit?${q}`, expect: 'SLW_VALIDATION' });
  }
  for (const path of [`${prod}/releases?limit=-1`, `${web}/config/history?limit=abc`, `${web}/config/history?before=0`, `${prod}/config/history?before=abc`, `${prod}/config?version=-1`, `${prod}/config?version=abc`, `${prod}/releases/abc`, `${prod}/releases/0`, `${prod}/releases/-1`, `${prod}/releases/1e400`]) {
    add(path.slice(acme.length), { path, expect: 'SLW_VALIDATION' });
  }
  add('a path that is not valid percent-encoding', { path: `${ws}/%zz`, expect: 'SLW_VALIDATION' });
  add('a 400-character path segment', { path: `${ws}/${'a'.repeat(400)}`, expect: 'SLW_VALIDATION' });

  // Tokens.
  const auth = (authorization: string | undefined): Pick<Case, 'token' | 'headers'> => ({ token: null, headers: authorization === undefined ? {} : { authorization } });
  add('no token', { path: acme, ...auth(undefined), expect: 'SLW_UNAUTHENTICATED' });
  for (const header of ['Bearer garbage', 'Basic dXNlcjpwYXNz', 'Bearer ', `Bearer slw_${'A'.repeat(43)}`, `Bearer ${tokens.owner} extra`, `Token ${tokens.owner}`, `Bearer ${'x'.repeat(8000)}`]) {
    add(`authorization ${header.slice(0, 24)}`, { path: acme, ...auth(header), expect: 'SLW_UNAUTHENTICATED' });
  }
  add('expired token (read)', { path: acme, token: tokens.expired, expect: 'SLW_TOKEN_EXPIRED' });
  add('expired token (write)', { method: 'PATCH', path: `${web}/config`, token: tokens.expired, body: { set: { X: '1' } }, expect: 'SLW_TOKEN_EXPIRED' });
  add('revoked token (read)', { path: acme, token: tokens.revoked, expect: 'SLW_TOKEN_REVOKED' });
  add('revoked token (write)', { method: 'POST', path: `${acme}/projects`, token: tokens.revoked, body: { name: 'x' }, expect: 'SLW_TOKEN_REVOKED' });
  add('workspace token creating a workspace', { method: 'POST', path: ws, token: tokens.viewer, body: { name: 'fresh', tier: 'low' }, expect: 'SLW_WORKSPACE_TOKEN_SCOPE' });

  // Conflicts with what exists, and tier rules.
  add('existing workspace', { method: 'POST', path: ws, body: { name: 'acme', tier: 'high' }, expect: 'SLW_ALREADY_EXISTS' });
  add('existing project', { method: 'POST', path: `${acme}/projects`, body: { name: 'web' }, expect: 'SLW_ALREADY_EXISTS' });
  add('existing environment', { method: 'POST', path: `${web}/environments`, body: { name: 'qa' }, expect: 'SLW_ALREADY_EXISTS' });
  add('custom environment on the low tier', { method: 'POST', path: `${ws}/tiny/projects/site/environments`, body: { name: 'qa' }, expect: 'SLW_TIER_NO_CUSTOM_ENVIRONMENTS' });
  add('deleting a default environment', { method: 'DELETE', path: prod, expect: 'SLW_ENVIRONMENT_PROTECTED' });
  add('deleting a secret never set', { method: 'DELETE', path: `${prod}/secrets/NEVER_SET`, expect: 'SLW_NOT_FOUND' });
  add('removing the last owner', { method: 'DELETE', path: `${acme}/members/admin@slipway.local`, expect: 'SLW_LAST_OWNER' });
  add('demoting the last owner', { method: 'PATCH', path: `${acme}/members/admin@slipway.local`, body: { role: 'viewer' }, expect: 'SLW_LAST_OWNER' });

  // Routes that do not exist.
  for (const [method, path] of [['GET', '/api/v1/nope'], ['GET', '/api/v2/workspaces'], ['DELETE', ws], ['PUT', acme], ['POST', `${prod}/releases`], ['GET', '/nowhere'], ['GET', `${prod}/deploys`], ['OPTIONS', acme]] as const) {
    add(`no route ${method} ${path}`, { method, path, expect: 'SLW_ROUTE_NOT_FOUND' });
  }
  return c;
}

describe('bad input', () => {
  it('every bad request gets a 4xx Slipway error with a catalogued code, and nothing stored changes', async () => {
    const all = cases();
    expect(all.length).toBeGreaterThan(150);
    const failures: string[] = [];
    for (const { name, expect: wanted, ...req } of all) {
      const res = await call(srv.url, { token: tokens.owner, ...req });
      const code = errorCode(res);
      const allowed = Array.isArray(wanted) ? wanted : [wanted];
      if (res.status < 400 || res.status >= 500 || !allowed.includes(code)) failures.push(`${name}: HTTP ${res.status} ${code} (want ${allowed.join(' or ')}) ${res.text.slice(0, 200)}`);
    }
    expect(failures).toEqual([]);
    expect(snapshotSqlite(srv.dbFile)).toEqual(before);
  });

  it('the longest valid key in a path is accepted', async () => {
    const longest = 'K'.repeat(255);
    expect(ok<{ name: string }>(await srv.admin.put(`${prod}/secrets/${longest}`, { value: 'v' })).name).toBe(longest);
  });

  it('the server still answers normally afterwards', async () => {
    expect((await call(srv.url, { path: '/healthz' })).status).toBe(200);
    expect(ok<{ entries: Array<{ key: string; value: string }> }>(await srv.admin.get(`${prod}/config`)).entries).toContainEqual({ key: 'LOG_LEVEL', value: 'warn', layer: 'environment' });
  });
});
