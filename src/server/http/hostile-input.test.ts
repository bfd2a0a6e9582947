/**
 * Regressions the API fuzz (test/e2e/fuzz.test.ts) found, on both store engines: a NUL in a
 * path, query or body string, a number beyond the store's 32-bit integers, and requests Node's
 * HTTP parser refuses each get a 4xx Slipway error (PostgreSQL answered 500 to the first two; the
 * third got Fastify's own body), and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, errorCode, ok } from '../../../test/support/api.js';
import { snapshotPostgres, snapshotSqlite, type Snapshot } from '../../../test/support/db-snapshot.js';
import { engines } from '../../../test/support/engines.js';
import { seedWorkspace } from '../../../test/support/fixtures.js';
import { rawHttp } from '../../../test/support/fuzz-send.js';
import { startInProcessServer, type InProcessServer } from '../../../test/support/in-process.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import { cleanup } from '../../../test/support/server-process.js';
import { clientErrorResponse } from './errors.js';

const web = '/api/v1/workspaces/acme/projects/web';
const prod = `${web}/environments/prod`;

describe('clientErrorResponse', () => {
  it('answers a parser refusal with the Slipway error document and closes the connection', () => {
    const text = clientErrorResponse({ code: 'HPE_HEADER_OVERFLOW' });
    expect(text).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(text).toContain('Connection: close');
    expect(JSON.parse(text.split('\r\n\r\n')[1]!)).toEqual({ error: { code: 'SLW_HEADERS_TOO_LARGE', message: expect.any(String) } });
    expect(clientErrorResponse({ code: 'ERR_HTTP_REQUEST_TIMEOUT' })).toMatch(/^HTTP\/1\.1 408 .*"SLW_REQUEST_TIMEOUT"/s);
    expect(clientErrorResponse({ code: 'HPE_INVALID_METHOD' })).toMatch(/^HTTP\/1\.1 400 .*"SLW_MALFORMED_REQUEST"/s);
  });
});

describe.each(engines)('hostile input on %s', (engine) => {
  let srv: InProcessServer;
  let pgDb: TestDatabase | undefined;
  const snapshot = (): Promise<Snapshot> => (pgDb ? snapshotPostgres(pgDb.url) : Promise.resolve(snapshotSqlite(srv.dbFile)));
  const send = (method: string, path: string, body?: unknown) => call(srv.url, { method, path, token: srv.adminToken, body });

  beforeAll(async () => {
    pgDb = engine === 'postgres' ? await createTestDatabase() : undefined;
    srv = await startInProcessServer(pgDb ? { SLIPWAY_DATABASE_URL: pgDb.url } : {});
    await seedWorkspace(srv.admin, 'acme', 'web', 'qa');
  });
  afterAll(async () => {
    await srv?.close();
    await pgDb?.drop();
    await cleanup();
  });

  it('a NUL in a path segment, a query value or a body string is SLW_NUL_CHARACTER (400)', async () => {
    const before = await snapshot();
    for (const [method, path, body] of [
      ['GET', '/api/v1/workspaces/acme%00'],
      ['GET', `/api/v1/workspaces/acme/projects/web%00/environments`],
      ['DELETE', `/api/v1/workspaces/acme/projects/web/environments/prod%00`],
      ['DELETE', '/api/v1/workspaces/acme/registry-credentials/a%00b'],
      ['GET', '/api/v1/workspaces/acme/audit?action=x%00'],
      ['POST', '/api/v1/workspaces/acme/tokens', { role: 'viewer', name: 'a\u0000b' }],
      ['PUT', '/api/v1/workspaces/acme/registry-credentials/registry.example.com', { username: 'u\u0000', password: 'p' }],
      ['POST', `${web}/promotions`, { from: 'dev', to: 'prod\u0000' }],
    ] as const) {
      const res = await send(method, path, body);
      expect([method, path, res.status, errorCode(res)]).toEqual([method, path, 400, 'SLW_NUL_CHARACTER']);
    }
    // A config value keeps its own, more precise refusal.
    expect(errorCode(await send('PATCH', `${web}/config`, { set: { A: 'x\u0000' } }))).toBe('SLW_INVALID_VALUE');
    expect(await snapshot()).toEqual(before);
  });

  it('numbers beyond what the store holds are SLW_VALIDATION (400), not a database error', async () => {
    const before = await snapshot();
    for (const [method, path, body] of [
      ['GET', `${prod}/config/history?before=2147483648`],
      ['GET', `${web}/config/history?before=9007199254740991`],
      ['GET', `${prod}/config?version=2147483648`],
      ['GET', `${prod}/releases/2147483648`],
      ['POST', `${prod}/rollback`, { to: 2 ** 31 }],
      ['POST', `${prod}/scale`, { replicas: 2 ** 31 }],
      ['PATCH', `${prod}/settings`, { port: 2 ** 31 }],
      ['PATCH', `${prod}/settings`, { replicas: 2 ** 53 }],
      ['PATCH', `${prod}/settings`, { healthTimeout: -(2 ** 31) - 1 }],
    ] as const) {
      const res = await send(method, path, body);
      expect([method, path, res.status, errorCode(res)]).toEqual([method, path, 400, 'SLW_VALIDATION']);
    }
    ok(await send('GET', `${prod}/config/history?before=2147483647`));
    expect(await snapshot()).toEqual(before);
  });

  it("requests Node's parser refuses get the Slipway error document", async () => {
    const big = await rawHttp(srv.url, `GET /api/v1/whoami HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    expect(big).toContain('"code":"SLW_HEADERS_TOO_LARGE"');
    expect(await rawHttp(srv.url, 'GARBAGE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 [\s\S]*"code":"SLW_MALFORMED_REQUEST"/);
  });
});
