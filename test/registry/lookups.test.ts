/**
 * Registry lookups never write (issue 10, finding 6) and a push into a project that does not
 * exist says so (new-user finding), on both store engines against an in-process server.
 *
 * A token of workspace bravo asks for scopes in acme's repositories, then pulls, HEADs, lists
 * tags and tries to push there: afterwards the database is exactly as before (no repository
 * row, nothing of acme changed). acme's own tokens reading a project nothing was pushed to yet
 * see an empty repository, and still no row appears; the first authorized push makes it.
 * A push into a project missing from a workspace the token can see answers NAME_UNKNOWN naming
 * the project and the command that creates it; a token that cannot see the workspace gets the
 * same refusal as for any foreign or missing repository.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotPostgres, snapshotSqlite, type Snapshot } from '../support/db-snapshot.js';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { engines } from '../support/engines.js';
import { basic, createToken, createWorkspace, jwtPayload, manifestAccept, randomBlob, registryCall, registryErrorCode, requestRegistryToken, sha256, type RegistryResponse } from '../support/registry-clients.js';

describe.each(engines)('registry lookups on %s', (engine) => {
  let server: InProcessServer;
  let pgDb: TestDatabase | undefined;
  let devA: string;
  let viewerA: string;
  let devB: string;
  const snapshot = (): Promise<Snapshot> => (pgDb ? snapshotPostgres(pgDb.url) : Promise.resolve(snapshotSqlite(server.dbFile)));
  const call = (method: string, path: string, auth: string, body?: Uint8Array): Promise<RegistryResponse> =>
    registryCall(server.url, { method, path, auth, body, headers: { accept: manifestAccept, ...(body ? { 'content-type': 'application/octet-stream' } : {}) } });

  beforeAll(async () => {
    pgDb = engine === 'postgres' ? await createTestDatabase() : undefined;
    server = await startInProcessServer(pgDb ? { SLIPWAY_DATABASE_URL: pgDb.url } : {});
    await createWorkspace(server.url, server.adminToken, 'acme', ['shop']);
    await createWorkspace(server.url, server.adminToken, 'bravo', ['web']);
    devA = await createToken(server.url, server.adminToken, 'acme', 'developer');
    viewerA = await createToken(server.url, server.adminToken, 'acme', 'viewer');
    devB = await createToken(server.url, server.adminToken, 'bravo', 'developer');
  });
  afterAll(async () => {
    await server?.close();
    await pgDb?.drop();
  });

  it("a foreign token's token requests, pulls, HEADs, tag lists and refused pushes create no row and change nothing", async () => {
    const before = await snapshot();
    expect(before.registry_repositories).toEqual([]);

    const jwt = await requestRegistryToken(server.url, devB, ['repository:acme/shop:pull,push', 'repository:acme/newthing:push']);
    expect(jwt.status).toBe(200);
    expect(jwt.access).toEqual([]);
    expect(jwtPayload(jwt.token).missing).toBeUndefined();
    const blob = randomBlob(64);
    for (const auth of [`Bearer ${jwt.token}`, basic(devB)]) {
      for (const repo of ['acme/shop', 'acme/newthing']) {
        for (const [method, suffix, body] of [
          ['GET', '/manifests/latest'],
          ['HEAD', '/manifests/latest'],
          ['GET', '/tags/list'],
          ['HEAD', `/blobs/${sha256(blob)}`],
          ['GET', `/referrers/${sha256(blob)}`],
          ['POST', '/blobs/uploads/'],
          ['POST', `/blobs/uploads/?digest=${sha256(blob)}`, blob],
          ['POST', `/blobs/uploads/?mount=${sha256(blob)}&from=bravo/web`],
        ] as const) {
          const res = await call(method, `/v2/${repo}${suffix}`, auth, body);
          // A JWT without the scope is challenged (401); the API token itself may be refused (403).
          expect({ method, repo, suffix, refused: (auth.startsWith('Bearer') ? [401] : [401, 403]).includes(res.status) }).toEqual({ method, repo, suffix, refused: true });
        }
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it("acme's own reads of a project nothing was pushed to see it empty and create no row; the first push does", async () => {
    const before = await snapshot();
    const pull = await requestRegistryToken(server.url, viewerA, ['repository:acme/shop:pull']);
    expect(pull.access).toEqual([{ type: 'repository', name: 'acme/shop', actions: ['pull'] }]);
    for (const auth of [`Bearer ${pull.token}`, basic(viewerA)]) {
      const tags = await call('GET', '/v2/acme/shop/tags/list', auth);
      expect({ status: tags.status, json: tags.json }).toEqual({ status: 200, json: { name: 'acme/shop', tags: [] } });
      expect((await call('HEAD', '/v2/acme/shop/manifests/latest', auth)).status).toBe(404);
      expect(registryErrorCode(await call('GET', '/v2/acme/shop/manifests/latest', auth))).toBe('MANIFEST_UNKNOWN');
      expect(registryErrorCode(await call('GET', `/v2/acme/shop/blobs/${sha256(randomBlob(8))}`, auth))).toBe('BLOB_UNKNOWN');
    }
    const viewer = { authorization: `Bearer ${viewerA}` };
    const images = await fetch(`${server.url}/api/v1/workspaces/acme/projects/shop/images`, { headers: viewer });
    expect({ status: images.status, body: await images.json() }).toEqual({ status: 200, body: { repository: 'acme/shop', images: [] } });
    const policy = await fetch(`${server.url}/api/v1/workspaces/acme/projects/shop/registry-policy`, { headers: viewer });
    expect({ status: policy.status, body: await policy.json() }).toEqual({ status: 200, body: { repository: 'acme/shop', keepVersions: 20, protectedTags: [] } });
    // A viewer's refused push writes nothing either.
    expect((await call('POST', '/v2/acme/shop/blobs/uploads/', basic(viewerA))).status).toBe(403);
    expect(await snapshot()).toEqual(before);

    const blob = randomBlob(128);
    expect((await call('POST', `/v2/acme/shop/blobs/uploads/?digest=${sha256(blob)}`, basic(devA), blob)).status).toBe(201);
    expect((await snapshot()).registry_repositories?.map((r) => r.name)).toEqual(['acme/shop']);
  });

  it('a push into a missing project of a workspace the token sees says so and how to create it; other tokens learn nothing', async () => {
    const jwt = await requestRegistryToken(server.url, devA, ['repository:acme/base:pull,push']);
    expect(jwt.access).toEqual([]);
    expect(jwtPayload(jwt.token).missing).toEqual(['acme/base']);
    for (const auth of [`Bearer ${jwt.token}`, basic(devA), basic(viewerA)]) {
      const res = await call('POST', '/v2/acme/base/blobs/uploads/', auth);
      expect({ status: res.status, code: registryErrorCode(res) }).toEqual({ status: 404, code: 'NAME_UNKNOWN' });
      const message = (res.json as { errors: { message: string }[] }).errors[0]!.message;
      expect(message).toContain('project base does not exist in workspace acme');
      expect(message).toContain('slipway project create base -w acme');
    }

    // bravo's token: the refusal for acme/base is the one for a workspace that does not exist.
    const neutral = (res: RegistryResponse, name: string) => ({ status: res.status, body: res.text.split(name).join('<name>'), challenge: (res.headers.get('www-authenticate') ?? '').split(name).join('<name>') });
    const foreign = await requestRegistryToken(server.url, devB, ['repository:acme/base:pull,push', 'repository:nosuch/base:pull,push']);
    expect(jwtPayload(foreign.token).missing).toBeUndefined();
    for (const auth of [`Bearer ${foreign.token}`, basic(devB)]) {
      const acme = await call('POST', '/v2/acme/base/blobs/uploads/', auth);
      const nosuch = await call('POST', '/v2/nosuch/base/blobs/uploads/', auth);
      expect(acme.text).not.toContain('does not exist');
      expect(neutral(acme, 'acme/base')).toEqual(neutral(nosuch, 'nosuch/base'));
    }
  });
});
