/**
 * Applications end to end (server process, CLI, a real docker-registry as the upstream, skopeo
 * pushing to it): an upstream application imports each semver tag by digest and classifies it;
 * a new tag appears by itself at the next poll; a project application's versions are its semver
 * tags; every bad input is one clear error and stores nothing.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaTypes } from '../../src/core/oci.js';
import { haveDockerRegistry, haveSkopeo, sha256, skopeoCopy, startDockerRegistry, writeOciLayout, type PeerRegistry } from '../../src/registry/client/test-support/docker-registry.js';
import { apiClient, ok } from '../support/api.js';
import { addMember, workspaceToken } from '../support/fixtures.js';
import { pushBlob, pushImage } from '../support/oci-push.js';
import { cleanup, cli, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';
import { makeTar } from '../support/tar-fixtures.js';

interface Version {
  version: string;
  digest: string;
  class: string;
  channel: string;
  latest: boolean;
}

let server: ServerProcess;
let strict: ServerProcess;
let peer: PeerRegistry;
let work: string;
const pushed = new Map<string, string>();

/** An image whose content differs per version, pushed to the upstream under `tag` with skopeo; remembers the digest the upstream serves. */
async function publish(tag: string): Promise<void> {
  const layer = makeTar([{ path: 'srv/', type: 'dir' }, { path: 'srv/VERSION', content: tag }], false);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['/srv/run'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: { mediaType: mediaTypes.ociConfig, digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
    }),
  );
  const layout = join(work, `layout-${tag}`);
  writeOciLayout(layout, [layer, config], [{ tag, mediaType: mediaTypes.ociManifest, bytes: manifest }]);
  skopeoCopy(`oci:${layout}:${tag}`, `docker://${peer.host}/vendor/shop:${tag}`);
  // skopeo may compress the layer on the way: the digest is what the upstream now serves.
  const res = await fetch(`http://${peer.host}/v2/vendor/shop/manifests/${tag}`, { headers: { accept: `${mediaTypes.ociManifest}, application/vnd.docker.distribution.manifest.v2+json` } });
  expect(res.status).toBe(200);
  pushed.set(tag, sha256(Buffer.from(await res.arrayBuffer())));
}

const as = (s: ServerProcess) => ({ server: s.url, token: s.adminToken });

async function run(s: ServerProcess, args: string[]) {
  return cli([...args, '--json'], as(s));
}

async function refused(s: ServerProcess, args: string[], code: string, message: RegExp): Promise<void> {
  const r = await run(s, args);
  expect(r.code, r.stdout).not.toBe(0);
  const error = r.json<{ error: { code: string; message: string } }>().error;
  expect(error.code, error.message).toBe(code);
  expect(error.message).toMatch(message);
}

async function versions(s: ServerProcess, app: string, extra: string[] = []): Promise<Version[]> {
  const r = await run(s, ['app', 'versions', app, '-w', 'acme', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return r.json<{ versions: Version[] }>().versions;
}

describe.skipIf(!haveDockerRegistry || !haveSkopeo)('applications', () => {
  beforeAll(async () => {
    work = tempDir('slipway-apps-');
    peer = await startDockerRegistry();
    for (const tag of ['1.0.0', '1.0.1', 'latest', '1.1.0-beta.1', 'nightly-7']) await publish(tag);
    // The upstream is on loopback: only a server whose admin allows it may reach it.
    server = await startServerProcess({ args: ['--allow-registry-host', '127.0.0.1'], env: { SLIPWAY_UPSTREAM_MIN_POLL: '2' } });
    strict = await startServerProcess();
    for (const s of [server, strict]) {
      const admin = apiClient(s.url, s.adminToken);
      ok(await admin.post('/api/v1/workspaces', { name: 'acme', tier: 'high' }));
      ok(await admin.post('/api/v1/workspaces/acme/projects', { name: 'web' }));
    }
  }, 120_000);
  afterAll(async () => {
    await peer?.stop();
    await cleanup();
  });

  it('imports the semver tags of an upstream by digest, classified, latest = highest stable', async () => {
    const r = await run(server, ['app', 'create', 'shop', '-w', 'acme', '--upstream', `${peer.host}/vendor/shop`, '--poll', '2s']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ name: 'shop', source: 'upstream', upstream: `${peer.host}/vendor/shop`, project: 'shop', pollSeconds: 2, latest: '1.0.1', versions: 3, lastError: null });
    const list = await versions(server, 'shop');
    expect(list.map((v) => [v.version, v.class, v.channel, v.latest])).toEqual([
      ['1.1.0-beta.1', 'minor', 'beta', false],
      ['1.0.1', 'patch', 'stable', true],
      ['1.0.0', 'first', 'stable', false],
    ]);
    for (const v of list) expect(v.digest).toBe(pushed.get(v.version));
    // The images are Slipway's now: in the application's project, under immutable version tags.
    const images = ok<{ images: { version: string; digest: string }[] }>(await apiClient(server.url, server.adminToken).get('/api/v1/workspaces/acme/projects/shop/images')).images;
    expect(images.map((i) => i.version).sort()).toEqual(['1.0.0', '1.0.1', '1.1.0-beta.1']);
    expect((await versions(server, 'shop', ['--channel', 'beta'])).map((v) => v.version)).toEqual(['1.1.0-beta.1']);
  }, 120_000);

  it('sees a new upstream tag by itself at the next poll, and at once with app poll', async () => {
    await publish('1.1.0');
    const deadline = Date.now() + 30_000;
    let latest: string | null = null;
    while (Date.now() < deadline && latest !== '1.1.0') {
      await new Promise((r) => setTimeout(r, 500));
      latest = (await run(server, ['app', 'show', 'shop', '-w', 'acme'])).json<{ latest: string | null }>().latest;
    }
    expect(latest).toBe('1.1.0');
    const v = (await versions(server, 'shop')).find((x) => x.version === '1.1.0');
    expect(v).toMatchObject({ class: 'minor', latest: true, digest: pushed.get('1.1.0') });

    await publish('2.0.0');
    const polled = await run(server, ['app', 'poll', 'shop', '-w', 'acme']);
    expect(polled.code, polled.stderr).toBe(0);
    const imported = polled.json<{ imported: { version: string }[] }>().imported.map((i) => i.version);
    // The watcher may have taken it first; either way it is there once, classified major.
    expect(imported.length).toBeLessThanOrEqual(1);
    expect((await versions(server, 'shop')).find((x) => x.version === '2.0.0')).toMatchObject({ class: 'major', latest: true });
  }, 120_000);

  it("takes a project's semver tags as its versions and leaves other builds out", async () => {
    const t = { url: server.url, token: server.adminToken };
    for (const tag of ['2.0.0', 'git-3fa9c1e', '2.1.0']) {
      const layer = makeTar([{ path: 'v', content: tag }], false);
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
      await pushBlob(t, 'acme/web', layer);
      await pushBlob(t, 'acme/web', config);
      await pushImage(t, 'acme/web', tag, config, [layer]);
    }
    const r = await run(server, ['app', 'create', 'web-app', '-w', 'acme', '--from-project', 'web']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json()).toMatchObject({ source: 'project', project: 'web', latest: '2.1.0', versions: 2, upstream: null });
    expect((await versions(server, 'web-app')).map((v) => `${v.version}:${v.class}`)).toEqual(['2.1.0:minor', '2.0.0:first']);
    const listed = await run(server, ['app', 'list', '-w', 'acme']);
    expect(listed.json<{ applications: { name: string }[] }>().applications.map((a) => a.name)).toEqual(['shop', 'web-app']);
  }, 120_000);

  it('refuses bad input with a code and stores nothing', async () => {
    await refused(server, ['app', 'create', 'both', '-w', 'acme', '--from-project', 'web', '--upstream', `${peer.host}/vendor/shop`], 'SLW_VALIDATION', /exactly one of/);
    await refused(server, ['app', 'create', 'neither', '-w', 'acme'], 'SLW_VALIDATION', /exactly one of/);
    await refused(server, ['app', 'create', 'tagged', '-w', 'acme', '--upstream', `${peer.host}/vendor/shop:1.0.0`], 'SLW_VALIDATION', /names one image/);
    await refused(server, ['app', 'create', 'own', '-w', 'acme', '--upstream', `${new URL(server.url).host}/acme/web`], 'SLW_VALIDATION', /own registry/);
    await refused(server, ['app', 'create', 'shop', '-w', 'acme', '--upstream', `${peer.host}/vendor/shop`], 'SLW_ALREADY_EXISTS', /already exists/);
    await refused(server, ['app', 'create', 'web', '-w', 'acme', '--upstream', `${peer.host}/vendor/shop`], 'SLW_ALREADY_EXISTS', /--from-project web/);
    await refused(server, ['app', 'create', 'again', '-w', 'acme', '--from-project', 'web'], 'SLW_ALREADY_EXISTS', /already backs application 'web-app'/);
    await refused(server, ['app', 'create', 'fast', '-w', 'acme', '--upstream', `${peer.host}/vendor/shop`, '--poll', '1s'], 'SLW_VALIDATION', /poll every 2s/);
    await refused(server, ['app', 'create', 'missing', '-w', 'acme', '--upstream', `${peer.host}/vendor/nothing-here`], 'SLW_UPSTREAM_REGISTRY', /nothing-here/);
    await refused(server, ['app', 'poll', 'web-app', '-w', 'acme'], 'SLW_VALIDATION', /nothing to poll/);
    await refused(server, ['app', 'versions', 'nope', '-w', 'acme'], 'SLW_NOT_FOUND', /application 'nope'/);
    // A server that does not allow the loopback registry reaches nothing and keeps nothing.
    await refused(strict, ['app', 'create', 'shop', '-w', 'acme', '--upstream', `${peer.host}/vendor/shop`], 'SLW_REGISTRY_HOST_REFUSED', /--allow-registry-host/);
    expect((await run(strict, ['app', 'list', '-w', 'acme'])).json<{ applications: unknown[] }>().applications).toEqual([]);
    const projects = ok<{ projects: { name: string }[] }>(await apiClient(strict.url, strict.adminToken).get('/api/v1/workspaces/acme/projects')).projects;
    expect(projects.map((p) => p.name)).toEqual(['web']);
    const names = (await run(server, ['app', 'list', '-w', 'acme'])).json<{ applications: { name: string }[] }>().applications.map((a) => a.name);
    expect(names).toEqual(['shop', 'web-app']);
    // How automatic upgrades move is an admin's to set (they move sites like a herd upgrade); a developer's call stores nothing.
    const admin = apiClient(server.url, server.adminToken);
    await addMember(admin, 'acme', 'dave@example.com', 'developer');
    const developer = (await workspaceToken(admin, 'acme', 'developer', 'dave@example.com')).api;
    const refusedDev = await developer.patch('/api/v1/workspaces/acme/applications/shop', { continuous: { parallel: 9 } });
    expect(refusedDev.status).toBe(403);
    expect(refusedDev.text).toContain('SLW_FORBIDDEN');
    expect(ok<{ continuous: { parallel: number; custom: boolean } }>(await developer.get('/api/v1/workspaces/acme/applications/shop')).continuous).toMatchObject({ parallel: 5, custom: false });
    // One request changes all it asks or nothing: a bad notify URL keeps the good options out too.
    const mixed = await admin.patch('/api/v1/workspaces/acme/applications/shop', { continuous: { parallel: 7 }, notifyUrl: 'ftp://hooks.example.com/x' });
    expect(mixed.status, mixed.text).toBe(400);
    expect(ok<{ continuous: { parallel: number; custom: boolean } }>(await admin.get('/api/v1/workspaces/acme/applications/shop')).continuous).toMatchObject({ parallel: 5, custom: false });
  }, 120_000);

  it('forgets an application on remove, keeping its project and images', async () => {
    await refused(server, ['app', 'remove', 'web-app', '-w', 'acme'], 'SLW_USAGE', /--confirm web-app/);
    const r = await run(server, ['app', 'remove', 'web-app', '-w', 'acme', '--confirm', 'web-app']);
    expect(r.code, r.stderr).toBe(0);
    expect((await run(server, ['app', 'list', '-w', 'acme'])).json<{ applications: { name: string }[] }>().applications.map((a) => a.name)).toEqual(['shop']);
    const images = ok<{ images: unknown[] }>(await apiClient(server.url, server.adminToken).get('/api/v1/workspaces/acme/projects/web/images')).images;
    expect(images.length).toBe(3);
  }, 60_000);
});
