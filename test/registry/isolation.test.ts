/**
 * Registry isolation between workspaces, against a real `slipway server` process: a token of
 * workspace alpha can neither pull, push nor mount from bravo's repository, gets the very same
 * refusal for bravo's existing repository as for a missing one (status, body and challenge, the
 * names aside), and the token endpoint grants it nothing there. Also the role ceilings (a viewer
 * is granted pull only, a developer cannot delete, an admin can), a mount between two projects
 * of one workspace, and the docker client refused a pull and a push across workspaces.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basic,
  createToken,
  createWorkspace,
  dockerClient,
  makeRootfsTar,
  manifestAccept,
  ociManifest,
  patchInParts,
  pushBlob,
  racePatches,
  randomBlob,
  registryCall,
  registryErrorCode,
  removeDockerImages,
  requestRegistryToken,
  sha256,
  trackDockerImage,
  uniqueName,
  type DockerClient,
  type RegistryResponse,
} from '../support/registry-clients.js';
import { cleanup, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
let host: string;
let work: string;
/** Developer tokens of alpha and bravo; viewer and admin tokens of alpha. */
let devA: string;
let devB: string;
let viewerA: string;
let adminA: string;
/** A layer only bravo/web holds, and bravo/web:v1 (pushed by docker with bravo's token). */
let secretLayer: Uint8Array;
let imageB: string;
let dockerA: DockerClient;
let dockerB: DockerClient;

const octet = { 'content-type': 'application/octet-stream' };
const ociType = { 'content-type': 'application/vnd.oci.image.manifest.v1+json' };

function call(method: string, path: string, auth: string, body?: Uint8Array, headers: Record<string, string> = {}): Promise<RegistryResponse> {
  return registryCall(server.url, { method, path, auth, body, headers });
}

/** Status, body and challenge of an answer, with the names of the request replaced by `<name>`. */
function neutral(res: RegistryResponse, names: string[]): { status: number; body: string; challenge: string | null } {
  const strip = (text: string) => names.reduce((t, n) => t.split(n).join('<name>'), text);
  const challenge = res.headers.get('www-authenticate');
  return { status: res.status, body: strip(res.text), challenge: challenge === null ? null : strip(challenge) };
}

beforeAll(async () => {
  server = await startServerProcess();
  host = new URL(server.url).host;
  work = tempDir('slipway-registry-isolation-');
  await createWorkspace(server.url, server.adminToken, 'alpha', ['web', 'api']);
  await createWorkspace(server.url, server.adminToken, 'bravo', ['web']);
  devA = await createToken(server.url, server.adminToken, 'alpha', 'developer');
  devB = await createToken(server.url, server.adminToken, 'bravo', 'developer');
  viewerA = await createToken(server.url, server.adminToken, 'alpha', 'viewer');
  adminA = await createToken(server.url, server.adminToken, 'alpha', 'admin');

  dockerA = dockerClient(join(work, 'docker-alpha'));
  dockerB = dockerClient(join(work, 'docker-bravo'));
  await dockerA.login(host, devA);
  await dockerB.login(host, devB);
  const refB = trackDockerImage(`${host}/bravo/web:v1`);
  await dockerB.run(['import', await makeRootfsTar(work, uniqueName('bravo')), refB]);
  const pushOut = await dockerB.run(['push', refB]);
  imageB = /digest: (sha256:[0-9a-f]{64})/.exec(pushOut)?.[1] ?? '';
  expect(imageB).toMatch(/^sha256:/);

  secretLayer = randomBlob(4096);
  await pushBlob(server.url, basic(devB), 'bravo/web', secretLayer);
}, 90_000);

afterAll(async () => {
  await removeDockerImages();
  await server?.stop().catch(() => undefined);
  await cleanup();
});

describe('registry isolation between workspaces', () => {
  it("alpha's token is refused bravo's content exactly as it is refused a repository that does not exist", async () => {
    const both = await requestRegistryToken(server.url, devA, ['repository:bravo/web:pull', 'repository:bravo/nosuch:pull', 'repository:nosuch/web:pull']);
    expect(both.access).toEqual([]);
    const missingBlob = sha256(randomBlob(16));
    for (const [label, auth] of [
      ['API token as Basic', basic(devA)],
      ['API token as Bearer', `Bearer ${devA}`],
      ['registry JWT', `Bearer ${both.token}`],
    ] as const) {
      const cases: Array<[string, string, string[]]> = [
        ['GET', '/manifests/v1', []],
        ['GET', `/manifests/${imageB}`, []],
        ['HEAD', '/manifests/v1', []],
        ['GET', `/blobs/${sha256(secretLayer)}`, [sha256(secretLayer), missingBlob]],
        ['HEAD', `/blobs/${sha256(secretLayer)}`, [sha256(secretLayer), missingBlob]],
        ['GET', '/tags/list', []],
        ['GET', `/referrers/${imageB}`, []],
      ];
      for (const [method, suffix, digests] of cases) {
        const existing = await call(method, `/v2/bravo/web${suffix}`, auth, undefined, { accept: manifestAccept });
        expect([401, 403], `${label}: ${method} bravo/web${suffix} answered ${existing.status}`).toContain(existing.status);
        if (method !== 'HEAD') expect(registryErrorCode(existing)).toMatch(/^(UNAUTHORIZED|DENIED)$/);
        const names = ['bravo/web', 'bravo/nosuch', 'nosuch/web', ...digests];
        const otherSuffix = digests.length > 0 ? suffix.replace(digests[0]!, missingBlob) : suffix;
        for (const missingRepo of ['bravo/nosuch', 'nosuch/web']) {
          const missing = await call(method, `/v2/${missingRepo}${otherSuffix}`, auth, undefined, { accept: manifestAccept });
          expect({ label, method, suffix, missingRepo, ...neutral(missing, names) }).toEqual({ label, method, suffix, missingRepo, ...neutral(existing, names) });
        }
        // A tag or blob bravo does not hold, in bravo's existing repository: the same answer again.
        const missingRef = suffix.startsWith('/manifests/') ? '/manifests/nosuchtag' : otherSuffix;
        const missingInB = await call(method, `/v2/bravo/web${missingRef}`, auth, undefined, { accept: manifestAccept });
        expect(neutral(missingInB, [...names, 'nosuchtag', 'v1', imageB])).toEqual(neutral(existing, [...names, 'nosuchtag', 'v1', imageB]));
      }
    }
    // bravo's own token reads it (so the refusals above are about alpha's token).
    expect((await call('GET', '/v2/bravo/web/manifests/v1', basic(devB), undefined, { accept: manifestAccept })).status).toBe(200);
  });

  it("alpha's token cannot push to bravo: uploads, monolithic blobs and manifests are refused and nothing lands", async () => {
    const evilLayer = randomBlob(256);
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const refusals = [
      await call('POST', '/v2/bravo/web/blobs/uploads/', basic(devA)),
      await call('POST', `/v2/bravo/web/blobs/uploads/?digest=${sha256(evilLayer)}`, basic(devA), evilLayer, octet),
      await call('PUT', '/v2/bravo/web/manifests/evil', basic(devA), ociManifest(config, [secretLayer]), ociType),
      await call('PUT', '/v2/bravo/web/manifests/v1', basic(devA), ociManifest(config, [secretLayer]), ociType),
    ];
    const pushToken = await requestRegistryToken(server.url, devA, ['repository:bravo/web:pull,push']);
    expect(pushToken.access).toEqual([]);
    refusals.push(await call('POST', '/v2/bravo/web/blobs/uploads/', `Bearer ${pushToken.token}`));
    for (const r of refusals) {
      expect([401, 403]).toContain(r.status);
      expect(registryErrorCode(r)).toMatch(/^(UNAUTHORIZED|DENIED)$/);
    }
    expect((await call('HEAD', `/v2/bravo/web/blobs/${sha256(evilLayer)}`, basic(devB))).status).toBe(404);
    expect((await call('GET', '/v2/bravo/web/tags/list', basic(devB))).json).toMatchObject({ name: 'bravo/web', tags: expect.not.arrayContaining(['evil']) as unknown });
    const v1 = await call('HEAD', '/v2/bravo/web/manifests/v1', basic(devB), undefined, { accept: manifestAccept });
    expect(v1.headers.get('docker-content-digest')).toBe(imageB);
  });

  it('a mount from bravo into alpha is an upload session (202), never 201, and the blob stays unreadable in alpha', async () => {
    const digest = sha256(secretLayer);
    const jwt = await requestRegistryToken(server.url, devA, ['repository:alpha/web:pull,push', 'repository:bravo/web:pull']);
    expect(jwt.access).toEqual([{ type: 'repository', name: 'alpha/web', actions: ['pull', 'push'] }]);
    for (const auth of [basic(devA), `Bearer ${jwt.token}`]) {
      const mount = await call('POST', `/v2/alpha/web/blobs/uploads/?mount=${digest}&from=bravo/web`, auth);
      expect(mount.status).toBe(202);
      expect(mount.headers.get('location')).toMatch(/^\/v2\/alpha\/web\/blobs\/uploads\/[0-9a-f-]+$/);
      expect(mount.headers.get('docker-content-digest')).toBeNull();
      expect((await call('HEAD', `/v2/alpha/web/blobs/${digest}`, auth)).status).toBe(404);
      expect((await call('GET', `/v2/alpha/web/blobs/${digest}`, auth)).status).toBe(404);
      // Closing that session without the bytes does not produce the blob either.
      const close = await call('PUT', `${mount.headers.get('location')!}?digest=${digest}`, auth);
      expect(close.status).toBe(400);
      expect(registryErrorCode(close)).toBe('DIGEST_INVALID');
      expect((await call('HEAD', `/v2/alpha/web/blobs/${digest}`, auth)).status).toBe(404);
      // A digest nobody holds, and a source that does not exist, get the same answer.
      for (const path of [`/v2/alpha/web/blobs/uploads/?mount=${sha256(randomBlob(16))}&from=bravo/web`, `/v2/alpha/web/blobs/uploads/?mount=${digest}&from=bravo/nosuch`]) {
        expect((await call('POST', path, auth)).status).toBe(202);
      }
    }
    // A manifest in alpha naming bravo's blob is refused as naming an unknown blob.
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    await pushBlob(server.url, basic(devA), 'alpha/web', config);
    const manifest = await call('PUT', '/v2/alpha/web/manifests/stolen', basic(devA), ociManifest(config, [secretLayer]), ociType);
    expect({ status: manifest.status, code: registryErrorCode(manifest) }).toEqual({ status: 400, code: 'MANIFEST_BLOB_UNKNOWN' });
  });

  it('a mount between two projects of one workspace works (201) when the token may pull the source', async () => {
    const layer = randomBlob(2048);
    const digest = await pushBlob(server.url, basic(devA), 'alpha/web', layer);
    expect((await call('HEAD', `/v2/alpha/api/blobs/${digest}`, basic(devA))).status).toBe(404);
    const mount = await call('POST', `/v2/alpha/api/blobs/uploads/?mount=${digest}&from=alpha/web`, basic(devA));
    expect(mount.status).toBe(201);
    expect(mount.headers.get('location')).toBe(`/v2/alpha/api/blobs/${digest}`);
    expect(mount.headers.get('docker-content-digest')).toBe(digest);
    const got = await fetch(`${server.url}/v2/alpha/api/blobs/${digest}`, { headers: { authorization: basic(devA) } });
    expect({ status: got.status, digest: sha256(new Uint8Array(await got.arrayBuffer())) }).toEqual({ status: 200, digest });
    const head = await call('HEAD', `/v2/alpha/api/blobs/${digest}`, basic(devA));
    expect({ status: head.status, length: head.headers.get('content-length') }).toEqual({ status: 200, length: String(layer.length) });

    // With a registry JWT: pull on the source is needed; without it the mount is an upload.
    const other = randomBlob(1024);
    const otherDigest = await pushBlob(server.url, basic(devA), 'alpha/web', other);
    const withPull = await requestRegistryToken(server.url, devA, ['repository:alpha/api:pull,push', 'repository:alpha/web:pull']);
    const withoutPull = await requestRegistryToken(server.url, devA, ['repository:alpha/api:pull,push']);
    expect((await call('POST', `/v2/alpha/api/blobs/uploads/?mount=${otherDigest}&from=alpha/web`, `Bearer ${withoutPull.token}`)).status).toBe(202);
    expect((await call('HEAD', `/v2/alpha/api/blobs/${otherDigest}`, `Bearer ${withoutPull.token}`)).status).toBe(404);
    expect((await call('POST', `/v2/alpha/api/blobs/uploads/?mount=${otherDigest}&from=alpha/web`, `Bearer ${withPull.token}`)).status).toBe(201);
    expect((await call('HEAD', `/v2/alpha/api/blobs/${otherDigest}`, `Bearer ${withPull.token}`)).status).toBe(200);
  });

  it('a workspace cannot change the bytes another workspace reads under a digest', async () => {
    // alpha races two PATCHes on its own session, so the session's bytes and its running digest
    // could disagree, then closes it with the digest of `genuine`, content bravo will push.
    const genuine = randomBlob(64 * 1024);
    const noise = randomBlob(1000);
    const start = await call('POST', '/v2/alpha/web/blobs/uploads/', basic(devA));
    const location = start.headers.get('location')!;
    const uploadFile = join(server.dataDir, 'registry', 'uploads', location.split('/').at(-1)!);
    await racePatches(server.url, basic(devA), location, uploadFile, genuine, noise);
    // A chunk declared as 10 bytes that carries 11 is refused, and the session is cut back to
    // the size the server believes it holds.
    const state = await call('GET', location, basic(devA));
    const held = Number(/^0-(\d+)$/.exec(state.headers.get('range') ?? '')?.[1] ?? -1) + 1;
    await patchInParts(server.url, location, basic(devA), [randomBlob(5), randomBlob(6)], 10, { 'content-range': `${held}-${held + 9}` });
    await call('PUT', `${location}?digest=${sha256(genuine)}`, basic(devA));

    // bravo pushes the genuine bytes, reads back exactly them, and an image naming them is accepted.
    const digest = sha256(genuine);
    expect((await call('POST', `/v2/bravo/web/blobs/uploads/?digest=${digest}`, basic(devB), genuine, octet)).status).toBe(201);
    const head = await call('HEAD', `/v2/bravo/web/blobs/${digest}`, basic(devB));
    expect({ status: head.status, length: head.headers.get('content-length') }).toEqual({ status: 200, length: String(genuine.length) });
    const got = await fetch(`${server.url}/v2/bravo/web/blobs/${digest}`, { headers: { authorization: basic(devB) } });
    const bytes = new Uint8Array(await got.arrayBuffer());
    expect({ status: got.status, length: bytes.length, digest: sha256(bytes) }).toEqual({ status: 200, length: genuine.length, digest });
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    await pushBlob(server.url, basic(devB), 'bravo/web', config);
    const manifest = await call('PUT', '/v2/bravo/web/manifests/genuine', basic(devB), ociManifest(config, [genuine]), ociType);
    expect({ status: manifest.status, text: manifest.status === 201 ? '' : manifest.text }).toEqual({ status: 201, text: '' });
  });

  it('the token endpoint grants the intersection: nothing in bravo, pull only to a viewer, no delete to a developer', async () => {
    expect((await requestRegistryToken(server.url, devA, ['repository:bravo/web:pull,push'])).access).toEqual([]);
    expect((await requestRegistryToken(server.url, devA, ['repository:bravo/web:*'])).access).toEqual([]);
    expect((await requestRegistryToken(server.url, adminA, ['repository:bravo/web:pull,push,delete'])).access).toEqual([]);
    expect((await requestRegistryToken(server.url, viewerA, ['repository:alpha/web:pull,push'])).access).toEqual([{ type: 'repository', name: 'alpha/web', actions: ['pull'] }]);
    expect((await requestRegistryToken(server.url, devA, ['repository:alpha/web:pull,push,delete'])).access).toEqual([{ type: 'repository', name: 'alpha/web', actions: ['pull', 'push'] }]);
    expect((await requestRegistryToken(server.url, adminA, ['repository:alpha/web:pull,push,delete'])).access).toEqual([{ type: 'repository', name: 'alpha/web', actions: ['pull', 'push', 'delete'] }]);
    // Mixed: alpha's scope granted, bravo's dropped, in one token.
    expect((await requestRegistryToken(server.url, devA, ['repository:alpha/api:pull', 'repository:bravo/web:pull'])).access).toEqual([{ type: 'repository', name: 'alpha/api', actions: ['pull'] }]);
    const bad = await registryCall(server.url, { path: '/v2/token?service=slipway&scope=repository:alpha/web:pull', auth: basic('slw_not-a-real-token-at-all') });
    expect(bad.status).toBe(401);
  });

  it('a viewer cannot push, a developer cannot delete, an admin can', async () => {
    const viewerPush = await call('POST', '/v2/alpha/web/blobs/uploads/', basic(viewerA));
    expect({ status: viewerPush.status, code: registryErrorCode(viewerPush) }).toEqual({ status: 403, code: 'DENIED' });

    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    const layer = randomBlob(512);
    await pushBlob(server.url, basic(devA), 'alpha/web', config);
    await pushBlob(server.url, basic(devA), 'alpha/web', layer);
    const put = await call('PUT', '/v2/alpha/web/manifests/to-delete', basic(devA), ociManifest(config, [layer]), ociType);
    expect(put.status).toBe(201);
    const digest = put.headers.get('docker-content-digest')!;

    const devJwt = await requestRegistryToken(server.url, devA, ['repository:alpha/web:delete']);
    expect(devJwt.access).toEqual([]);
    for (const auth of [basic(devA), `Bearer ${devJwt.token}`]) {
      for (const path of [`/v2/alpha/web/manifests/${digest}`, '/v2/alpha/web/manifests/to-delete', `/v2/alpha/web/blobs/${sha256(layer)}`]) {
        const del = await call('DELETE', path, auth);
        expect([401, 403]).toContain(del.status);
        expect(registryErrorCode(del)).toMatch(/^(UNAUTHORIZED|DENIED)$/);
      }
    }
    expect((await call('HEAD', `/v2/alpha/web/manifests/${digest}`, basic(devA), undefined, { accept: manifestAccept })).status).toBe(200);

    const adminJwt = await requestRegistryToken(server.url, adminA, ['repository:alpha/web:delete']);
    expect(adminJwt.access).toEqual([{ type: 'repository', name: 'alpha/web', actions: ['delete'] }]);
    expect((await call('DELETE', `/v2/alpha/web/manifests/${digest}`, `Bearer ${adminJwt.token}`)).status).toBe(202);
    expect((await call('GET', `/v2/alpha/web/manifests/${digest}`, basic(adminA), undefined, { accept: manifestAccept })).status).toBe(404);
    expect((await call('GET', '/v2/alpha/web/manifests/to-delete', basic(adminA), undefined, { accept: manifestAccept })).status).toBe(404);
    // bravo's admin-level rights do not follow alpha's admin token.
    expect([401, 403]).toContain((await call('DELETE', `/v2/bravo/web/manifests/${imageB}`, basic(adminA))).status);
  });

  it("docker logged in with alpha's token can neither pull nor push bravo's image; bravo's login can", async () => {
    const refB = `${host}/bravo/web:v1`;
    await dockerB.run(['rmi', refB]);
    const denied = await dockerA.attempt(['pull', refB]);
    expect(denied.code).not.toBe(0);
    expect((await dockerA.attempt(['image', 'inspect', refB])).code).not.toBe(0);

    const pulled = await dockerB.run(['pull', refB]);
    expect(/Digest: (sha256:[0-9a-f]{64})/.exec(pulled)?.[1]).toBe(imageB);

    const evil = trackDockerImage(`${host}/bravo/web:evil`);
    await dockerA.run(['tag', refB, evil]);
    expect((await dockerA.attempt(['push', evil])).code).not.toBe(0);
    expect((await call('GET', '/v2/bravo/web/tags/list', basic(devB))).json).toMatchObject({ name: 'bravo/web', tags: expect.not.arrayContaining(['evil']) as unknown });
  }, 90_000);
});
