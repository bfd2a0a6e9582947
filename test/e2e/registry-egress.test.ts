/**
 * What `slipway import` and `--base` make the server fetch, end to end (server process, CLI):
 * by default no loopback, private or otherwise internal address, whether named directly, by a
 * DNS name, by a registry's redirect or by its token realm, and no answer's text in the error;
 * an admin's `--allow-registry-host` opens a host; Slipway's own registry needs no allow-list.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaTypes } from '../../src/core/oci.js';
import { haveDockerRegistry, haveSkopeo, skopeoCopy, startDockerRegistry, writeOciLayout, type PeerRegistry } from '../../src/registry/client/test-support/docker-registry.js';
import { apiClient, ok } from '../support/api.js';
import { pushBlob, pushImage, sha256 } from '../support/oci-push.js';
import { cleanup, cli, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';
import { makeTar } from '../support/tar-fixtures.js';

const secret = 'INTERNAL-ANSWER-TEXT';
const layer = makeTar([{ path: 'etc/', type: 'dir' }, { path: 'etc/motd', content: 'hi' }], false);
const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['httpd'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));

let strict: ServerProcess;
let allowing: ServerProcess;
let inner: { server: Server; port: number; seen: string[] };
let outer: { server: Server; port: number };
let work: string;

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

async function setUp(server: ServerProcess): Promise<void> {
  const admin = apiClient(server.url, server.adminToken);
  ok(await admin.post('/api/v1/workspaces', { name: 'acme', tier: 'high' }));
  for (const name of ['base', 'shop']) ok(await admin.post('/api/v1/workspaces/acme/projects', { name }));
  const t = { url: server.url, token: server.adminToken };
  await pushBlob(t, 'acme/base', layer);
  await pushBlob(t, 'acme/base', config);
  await pushImage(t, 'acme/base', 'static', config, [layer]);
}

beforeAll(async () => {
  work = tempDir('slipway-egress-');
  // An internal service: whatever it is asked, it answers with text that must never leave.
  const seen: string[] = [];
  const i = await listen((req, res) => {
    seen.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token: secret, errors: [{ code: 'DENIED', message: secret }] }));
  });
  inner = { ...i, seen };
  // A registry on an allowed name that points at the internal service.
  outer = await listen((req, res) => {
    if ((req.url ?? '').startsWith('/v2/realm/')) {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${inner.port}/token",service="x"` });
    } else if ((req.url ?? '').startsWith('/v2/redirect/')) {
      res.writeHead(307, { location: `http://127.0.0.1:${inner.port}/latest/meta-data` });
    } else {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.write(secret);
    }
    res.end();
  });
  strict = await startServerProcess();
  allowing = await startServerProcess({ args: ['--allow-registry-host', 'localhost'] });
  await setUp(strict);
  await setUp(allowing);
}, 60_000);

afterAll(async () => {
  await strict?.stop();
  await allowing?.stop();
  inner?.server.close();
  outer?.server.close();
  await cleanup();
});

const run = (server: ServerProcess, args: string[]) => cli([...args, '-w', 'acme', '-p', 'shop', '--json'], { server: server.url, token: server.adminToken });

async function refused(server: ServerProcess, args: string[]): Promise<string> {
  const r = await run(server, args);
  expect(r.code, r.stdout).not.toBe(0);
  const { code, message } = r.json<{ error: { code: string; message: string } }>().error;
  expect({ code, args }).toEqual({ code: 'SLW_REGISTRY_HOST_REFUSED', args });
  expect(message).toContain('--allow-registry-host');
  expect(r.stdout + r.stderr).not.toContain(secret);
  return message;
}

async function images(server: ServerProcess): Promise<unknown[]> {
  return ok<{ images: unknown[] }>(await apiClient(server.url, server.adminToken).get('/api/v1/workspaces/acme/projects/shop/images')).images;
}

describe('by default', () => {
  it('refuses loopback, a DNS name of loopback, private and link-local addresses, for import and --base', async () => {
    const site = join(work, 'site.tar.gz');
    writeFileSync(site, makeTar([{ path: 'index.html', content: '<h1>hi</h1>' }]));
    const sources = [`127.0.0.1:${inner.port}/t/app:1`, `localhost:${inner.port}/t/app:1`, '10.0.0.1:5000/t/app:1', '169.254.169.254/latest/app:1'];
    // (IPv6 literals such as [::ffff:127.0.0.1] are refused as registry hosts before any fetch; the
    // client's own tests cover them, and a redirect to one.)
    for (const source of sources) {
      await refused(strict, ['import', source, '--version', '1.0.0']);
      await refused(strict, ['build', site, '--version', '1.0.0', '--base', source]);
    }
    expect(await refused(strict, ['import', `127.0.0.1:${inner.port}/t/app:1`, '--version', '1.0.0'])).toBe(
      `registry host 127.0.0.1 is a loopback address, which this server does not fetch from; use a registry on a public address, or ask the instance admin to allow it (slipway server --allow-registry-host 127.0.0.1)`,
    );
    expect(inner.seen).toEqual([]);
    expect(await images(strict)).toEqual([]);
  }, 120_000);

  it("still reads Slipway's own registry (its own address) from the store, without an allow-list", async () => {
    const own = new URL(strict.url).host; // 127.0.0.1:PORT
    const site = join(work, 'own.tar.gz');
    writeFileSync(site, makeTar([{ path: 'index.html', content: '<h1>own base</h1>' }]));
    const built = await run(strict, ['build', site, '--version', '2.0.0', '--base', `${own}/acme/base:static`]);
    expect(built.code, built.stdout).toBe(0);
    const imported = await run(strict, ['import', `${own}/acme/base:static`, '--version', '2.0.1']);
    expect(imported.code, imported.stdout).toBe(0);
  }, 120_000);
});

describe('with --allow-registry-host localhost', () => {
  it('still refuses a redirect and a token realm to an address that is not allowed, and repeats no answer', async () => {
    await refused(allowing, ['import', `localhost:${outer.port}/redirect/app:1`, '--version', '1.0.0']);
    await refused(allowing, ['import', `localhost:${outer.port}/realm/app:1`, '--version', '1.0.0']);
    await refused(allowing, ['import', `127.0.0.1:${outer.port}/redirect/app:1`, '--version', '1.0.0']); // the address itself is not allowed
    expect(inner.seen).toEqual([]);
    const failing = await run(allowing, ['import', `localhost:${outer.port}/other/app:1`, '--version', '1.0.0']);
    expect(failing.json<{ error: { code: string; message: string } }>().error).toEqual({
      code: 'SLW_UPSTREAM_REGISTRY',
      message: `registry localhost:${outer.port} answered 500 for localhost:${outer.port}/other/app:1; try again later or check the registry`,
    });
    expect(await images(allowing)).toEqual([]);
  }, 120_000);

  describe.skipIf(!haveDockerRegistry || !haveSkopeo)('and a docker-registry on 127.0.0.1', () => {
    let peer: PeerRegistry;
    beforeAll(async () => {
      peer = await startDockerRegistry();
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: mediaTypes.ociManifest,
          config: { mediaType: mediaTypes.ociConfig, digest: sha256(config), size: config.length },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
        }),
      );
      const layout = join(work, 'layout');
      writeOciLayout(layout, [layer, config], [{ tag: 'v1', mediaType: mediaTypes.ociManifest, bytes: manifest }]);
      skopeoCopy(`oci:${layout}:v1`, `docker://${peer.host}/ci/app:v1`);
    }, 60_000);
    afterAll(async () => peer?.stop());

    it('imports through the allowed name, and the default server refuses the same image', async () => {
      const port = peer.host.split(':')[1];
      const r = await run(allowing, ['import', `localhost:${port}/ci/app:v1`, '--version', '3.0.0']);
      expect(r.code, r.stdout).toBe(0);
      expect(r.json<{ version: string; digest: string }>()).toMatchObject({ version: '3.0.0', digest: expect.stringMatching(/^sha256:/) });
      await refused(strict, ['import', `localhost:${port}/ci/app:v1`, '--version', '3.0.0']);
    }, 120_000);
  });
});
