/**
 * Version tags the builder or an import wrote never move (issue 10, finding 9), on both store
 * engines against an in-process server: a registry PUT of other content under such a tag is
 * refused (DENIED, "versions are immutable"), the same content again is fine, the tag alone
 * cannot be deleted, and after its image was deleted by digest the version still refuses other
 * content. Content tags (`src-…`) move only through the builder. Tags pushed with a registry
 * client (`latest`) stay mutable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessServer, type InProcessServer } from '../support/in-process.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { engines } from '../support/engines.js';
import { basic, pushBlob, pushImage, sha256 } from '../support/oci-push.js';
import { makeTar } from '../support/tar-fixtures.js';
import { registryCall, registryErrorCode, type RegistryResponse } from '../support/registry-clients.js';

interface Built {
  digest: string;
  tags: string[];
}

describe.each(engines)('immutable version tags on %s', (engine) => {
  let server: InProcessServer;
  let pgDb: TestDatabase | undefined;
  let host: string;
  let one: Built;
  let two: Built;
  const manifests = new Map<string, { bytes: Uint8Array; type: string }>();

  const admin = () => basic(server.adminToken);
  const put = (tag: string, digest: string): Promise<RegistryResponse> => {
    const m = manifests.get(digest)!;
    return registryCall(server.url, { method: 'PUT', path: `/v2/acme/shop/manifests/${tag}`, auth: admin(), body: m.bytes, headers: { 'content-type': m.type } });
  };
  const tagDigest = async (tag: string) => (await registryCall(server.url, { method: 'HEAD', path: `/v2/acme/shop/manifests/${tag}`, auth: admin(), headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).headers.get('docker-content-digest');

  async function build(version: string, page: string): Promise<Built> {
    const res = await fetch(`${server.url}/api/v1/workspaces/acme/projects/shop/builds?${new URLSearchParams({ version, base: `${host}/acme/base:static` }).toString()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' },
      body: makeTar([{ path: 'index.html', content: page }]),
    });
    expect(res.status).toBe(201);
    const built = (await res.json()) as Built;
    const got = await fetch(`${server.url}/v2/acme/shop/manifests/${built.digest}`, { headers: { authorization: admin(), accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' } });
    manifests.set(built.digest, { bytes: new Uint8Array(await got.arrayBuffer()), type: got.headers.get('content-type')! });
    return built;
  }

  function expectImmutable(res: RegistryResponse, tag: string): void {
    expect({ status: res.status, code: registryErrorCode(res) }).toEqual({ status: 409, code: 'DENIED' });
    const message = (res.json as { errors: { message: string }[] }).errors[0]!.message;
    expect(message).toContain(`tag ${tag} of acme/shop`);
    expect(message).toMatch(/immutable/);
  }

  beforeAll(async () => {
    pgDb = engine === 'postgres' ? await createTestDatabase() : undefined;
    server = await startInProcessServer(pgDb ? { SLIPWAY_DATABASE_URL: pgDb.url } : {});
    host = new URL(server.url).host;
    await server.admin.post('/api/v1/workspaces', { name: 'acme', tier: 'high' });
    for (const name of ['shop', 'base']) await server.admin.post('/api/v1/workspaces/acme/projects', { name });
    const t = { url: server.url, token: server.adminToken };
    const layer = makeTar([{ path: 'usr/', type: 'dir' }], false);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['httpd'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
    await pushBlob(t, 'acme/base', layer);
    await pushBlob(t, 'acme/base', config);
    await pushImage(t, 'acme/base', 'static', config, [layer]);
    one = await build('1.0.0', '<h1>one</h1>');
    two = await build('1.0.1', '<h1>two</h1>');
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await pgDb?.drop();
  });

  it('a registry PUT cannot move a built version; the same digest again is fine', async () => {
    const moved = await put('1.0.0', two.digest);
    expectImmutable(moved, '1.0.0');
    expect((moved.json as { errors: { message: string }[] }).errors[0]!.message).toContain('push a new version');
    expect(await tagDigest('1.0.0')).toBe(one.digest);
    const again = await put('1.0.0', one.digest);
    expect(again.status).toBe(201);
    expect(await tagDigest('1.0.0')).toBe(one.digest);
  });

  it("a content tag moves only through the builder, not a registry PUT", async () => {
    const srcTag = one.tags.find((t) => t.startsWith('src-'))!;
    expectImmutable(await put(srcTag, two.digest), srcTag);
    expect(await tagDigest(srcTag)).toBe(one.digest);
    expect((await put(srcTag, one.digest)).status).toBe(201);
  });

  it('tags pushed with a registry client stay mutable', async () => {
    expect((await put('latest', one.digest)).status).toBe(201);
    expect((await put('latest', two.digest)).status).toBe(201);
    expect(await tagDigest('latest')).toBe(two.digest);
    expect((await registryCall(server.url, { method: 'DELETE', path: '/v2/acme/shop/manifests/latest', auth: admin() })).status).toBe(202);
  });

  it('a version tag cannot be deleted alone; after its image is deleted it still refuses other content', async () => {
    expectImmutable(await registryCall(server.url, { method: 'DELETE', path: '/v2/acme/shop/manifests/1.0.0', auth: admin() }), '1.0.0');
    expect(await tagDigest('1.0.0')).toBe(one.digest);
    expect((await registryCall(server.url, { method: 'DELETE', path: `/v2/acme/shop/manifests/${one.digest}`, auth: admin() })).status).toBe(202);
    expect(await tagDigest('1.0.0')).toBeNull();
    expectImmutable(await put('1.0.0', two.digest), '1.0.0');
    // The builder refuses it too, before storing anything.
    const rebuild = await fetch(`${server.url}/api/v1/workspaces/acme/projects/shop/builds?${new URLSearchParams({ version: '1.0.0', base: `${host}/acme/base:static` }).toString()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/octet-stream' },
      body: makeTar([{ path: 'index.html', content: '<h1>three</h1>' }]),
    });
    expect({ status: rebuild.status, code: ((await rebuild.json()) as { error: { code: string } }).error.code }).toEqual({ status: 409, code: 'SLW_VERSION_EXISTS' });
  });

  it('a version an import wrote is immutable too', async () => {
    const imported = await server.admin.post('/api/v1/workspaces/acme/projects/shop/images/import', { source: `${host}/acme/shop@${two.digest}`, version: '2.0.0' });
    expect(imported.status).toBe(201);
    expectImmutable(await put('2.0.0', one.digest), '2.0.0');
    expect(await tagDigest('2.0.0')).toBe(two.digest);
    expect((await put('2.0.0', two.digest)).status).toBe(201);
  });
});
