/**
 * Regressions the registry fuzz (test/e2e/fuzz.test.ts) found, on both store engines: hostile
 * `last` and `artifactType` values reached PostgreSQL (500); a repository name with control
 * characters broke the WWW-Authenticate header (500); Fastify's own refusals under /v2/ used
 * Slipway's error body, not the registry's; and a refused first push still made the project's
 * repository row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotPostgres, snapshotSqlite, type Snapshot } from '../../../test/support/db-snapshot.js';
import { engines } from '../../../test/support/engines.js';
import { startInProcessServer, type InProcessServer } from '../../../test/support/in-process.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import { basic, createToken, createWorkspace, ociManifest, pushBlob, randomBlob, registryCall, registryErrorCode, sha256 } from '../../../test/support/registry-clients.js';
import { cleanup } from '../../../test/support/server-process.js';

describe.each(engines)('registry hostile input on %s', (engine) => {
  let srv: InProcessServer;
  let pgDb: TestDatabase | undefined;
  let auth: string;
  const snapshot = (): Promise<Snapshot> => (pgDb ? snapshotPostgres(pgDb.url) : Promise.resolve(snapshotSqlite(srv.dbFile)));
  const call = (method: string, path: string, headers: Record<string, string> = {}, body?: Uint8Array | string) => registryCall(srv.url, { method, path, auth, headers, body });

  beforeAll(async () => {
    pgDb = engine === 'postgres' ? await createTestDatabase() : undefined;
    srv = await startInProcessServer(pgDb ? { SLIPWAY_DATABASE_URL: pgDb.url } : {});
    await createWorkspace(srv.url, srv.adminToken, 'acme', ['web', 'fresh']);
    auth = basic(await createToken(srv.url, srv.adminToken, 'acme', 'developer'));
    const config = randomBlob(32);
    await pushBlob(srv.url, auth, 'acme/web', config);
    const put = await call('PUT', '/v2/acme/web/manifests/1.0.0', { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, ociManifest(config, []));
    expect(put.status).toBe(201);
  });
  afterAll(async () => {
    await srv?.close();
    await pgDb?.drop();
    await cleanup();
  });

  it('tag lists and referrers take any `last`, `n` and `artifactType` text without a 5xx', async () => {
    const before = await snapshot();
    for (const q of ['last=%00', 'last=a%00b&n=1', 'n=9007199254740991', 'n=1&last=%F0%9F%98%80', `last=${'x'.repeat(5000)}`]) {
      const res = await call('GET', `/v2/acme/web/tags/list?${q}`);
      expect([q, res.status]).toEqual([q, 200]);
    }
    expect((await call('GET', '/v2/acme/web/tags/list?n=0&last=0')).json).toEqual({ name: 'acme/web', tags: [] });
    expect((await call('GET', '/v2/acme/web/tags/list?last=0.9')).json).toEqual({ name: 'acme/web', tags: ['1.0.0'] });
    for (const n of ['-1', '1e400', 'abc']) expect(registryErrorCode(await call('GET', `/v2/acme/web/tags/list?n=${n}`))).toBe('SIZE_INVALID');
    expect((await call('GET', `/v2/acme/web/referrers/${sha256('x')}?artifactType=%00`)).status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });

  it('a repository name with control characters or non-ASCII gets a 401 whose challenge names no scope', async () => {
    for (const name of ['acme/%0Cweb', 'acme/%C8%A6x', 'acme/prod%00', 'acme/we%22b']) {
      const res = await registryCall(srv.url, { method: 'PUT', path: `/v2/${name}/manifests/latest` });
      expect([name, res.status, registryErrorCode(res)]).toEqual([name, 401, 'UNAUTHORIZED']);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="[^"]+",service="[^"]+"$/);
    }
    const valid = await registryCall(srv.url, { method: 'GET', path: '/v2/acme/web/manifests/latest' });
    expect(valid.headers.get('www-authenticate')).toContain('scope="repository:acme/web:pull"');
  });

  it("Fastify's refusals under /v2 answer in the registry's error format", async () => {
    const emptyType = await call('POST', '/v2/acme/web/blobs/uploads/', { 'content-type': '' }, 'x');
    expect([emptyType.status, registryErrorCode(emptyType)]).toEqual([415, 'UNSUPPORTED']);
    const badPath = await call('GET', '/v2/acme/web/blobs/uploads/%ED%A0%80');
    expect([badPath.status, registryErrorCode(badPath)]).toEqual([400, 'NAME_INVALID']);
    for (const method of ['POST', 'DELETE', 'PUT']) {
      const res = await call(method, '/v2');
      expect([method, res.status, registryErrorCode(res)]).toEqual([method, 404, 'UNSUPPORTED']);
    }
    expect((await call('GET', '/v2')).status).toBe(301);
  });

  it('a refused first push into a project stores nothing: no repository row, no upload', async () => {
    const before = await snapshot();
    expect(before.registry_repositories!.map((r) => r.name)).toEqual(['acme/web']);
    const refused: Array<[string, string, Record<string, string>, Uint8Array | string | undefined, string]> = [
      ['PUT', '/v2/acme/fresh/manifests/.tag', { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, '{}', 'MANIFEST_INVALID'],
      ['PUT', '/v2/acme/fresh/manifests/1.0.0', { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, '{"schemaVersion":', 'MANIFEST_INVALID'],
      ['PUT', '/v2/acme/fresh/manifests/1.0.0', { 'content-type': 'application/vnd.oci.image.manifest.v1+json' }, ociManifest(randomBlob(8), []), 'MANIFEST_BLOB_UNKNOWN'],
      ['POST', '/v2/acme/fresh/blobs/uploads/?digest=sha256:zz', { 'content-type': 'application/octet-stream' }, 'abc', 'DIGEST_INVALID'],
      ['POST', '/v2/acme/fresh/blobs/uploads/?mount=md5:00&from=acme/web', {}, undefined, 'UNSUPPORTED'],
      ['POST', `/v2/acme/fresh/blobs/uploads/?digest=${sha256('other')}`, { 'content-type': 'application/octet-stream' }, 'abc', 'DIGEST_INVALID'],
      ['POST', '/v2/acme/fresh/blobs/uploads/x', {}, undefined, 'UNSUPPORTED'],
    ];
    for (const [method, path, headers, body, code] of refused) {
      const res = await call(method, path, headers, body);
      expect([method, path, res.status >= 400 && res.status < 500, registryErrorCode(res)]).toEqual([method, path, true, code]);
    }
    expect(await snapshot()).toEqual(before);
    // The first accepted push makes the row.
    await pushBlob(srv.url, auth, 'acme/fresh', randomBlob(8));
    expect((await snapshot()).registry_repositories!.map((r) => r.name).sort()).toEqual(['acme/fresh', 'acme/web']);
  });
});
