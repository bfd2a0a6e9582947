/**
 * Builds through the real server and CLI, against what a hostile tenant could upload or learn:
 * a 2.6 MB tar.gz whose directory entry declares 2.5 GiB (it made the server write 2.67 GB)
 * fails with SLW_ARTIFACT_TOO_LARGE, the data directory never grows by 10 MB on the way, and
 * nothing is left behind; and a build's `newBlobs` counts what is new to the repository, so a
 * workspace cannot tell whether another one built the same files.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipBomb } from '../../src/builder/test-support/fixtures.js';
import { apiClient, ok, type Api } from '../support/api.js';
import { basic, pushBlob, pushImage, sha256 } from '../support/oci-push.js';
import { cleanup, cli, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';
import { makeTar } from '../support/tar-fixtures.js';

let server: ServerProcess;
let admin: Api;
let host: string;
let work: string;

/** Bytes under `dir` (files as allocated on disk, so a sparse file is not undercounted). */
function diskBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue; // removed while walking
    }
    if (st.isDirectory()) total += diskBytes(path);
    else total += Math.max(st.size, st.blocks * 512);
  }
  return total;
}

async function pushBase(workspace: string): Promise<void> {
  const t = { url: server.url, token: server.adminToken };
  const layer = makeTar([{ path: 'usr/', type: 'dir' }, { path: 'usr/share/', type: 'dir' }], false);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['httpd'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  await pushBlob(t, `${workspace}/base`, layer);
  await pushBlob(t, `${workspace}/base`, config);
  await pushImage(t, `${workspace}/base`, 'static', config, [layer]);
}

beforeAll(async () => {
  server = await startServerProcess();
  admin = apiClient(server.url, server.adminToken);
  host = new URL(server.url).host;
  work = tempDir('slipway-build-safety-');
  for (const ws of ['acme', 'other']) {
    ok(await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
    for (const project of ['base', 'shop']) ok(await admin.post(`/api/v1/workspaces/${ws}/projects`, { name: project }));
    await pushBase(ws);
  }
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await cleanup();
});

interface Built {
  newBlobs: number;
}

const build = (workspace: string, artifact: string, version: string) =>
  cli(['build', artifact, '-w', workspace, '-p', 'shop', '--version', version, '--base', `${host}/${workspace}/base:static`, '--json'], { server: server.url, token: server.adminToken });

describe('a decompression bomb uploaded through the CLI', () => {
  it('fails with SLW_ARTIFACT_TOO_LARGE; the data directory grows by less than 10 MB and keeps nothing', async () => {
    const bomb = join(work, 'bomb.tar.gz');
    // index.html first, so the archive is otherwise a good static site.
    writeFileSync(bomb, gzipBomb({ name: 'assets/', type: '5', size: 2.5 * 1024 ** 3 }, [{ name: 'index.html', content: '<h1>bomb</h1>' }]));
    expect(lstatSync(bomb).size).toBeLessThan(3 * 1024 * 1024);

    const baseline = diskBytes(server.dataDir);
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, diskBytes(server.dataDir) - baseline);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const r = await build('acme', bomb, '1.0.0').finally(() => (sampling = false));
    await sampler;
    peak = Math.max(peak, diskBytes(server.dataDir) - baseline);

    expect(r.code, r.stdout).not.toBe(0);
    const error = r.json<{ error: { code: string; message: string } }>().error;
    expect(error.code).toBe('SLW_ARTIFACT_TOO_LARGE');
    expect(error.message).toMatch(/unpacks to more than/);
    expect(peak).toBeLessThan(10 * 1024 * 1024);
    expect(readdirSync(join(server.dataDir, 'builds'))).toEqual([]);
    expect(ok<{ images: unknown[] }>(await admin.get('/api/v1/workspaces/acme/projects/shop/images')).images).toEqual([]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  }, 120_000);
});

/** The digest of the last layer of `<workspace>/shop:<version>`, read through the registry. */
async function appLayer(workspace: string, version = '2.0.0'): Promise<string | undefined> {
  const res = await fetch(`${server.url}/v2/${workspace}/shop/manifests/${version}`, { headers: { authorization: basic(server.adminToken), accept: 'application/vnd.oci.image.manifest.v1+json' } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { layers: { digest: string }[] }).layers.at(-1)?.digest;
}

describe('newBlobs', () => {
  it('counts what is new to this repository, so two workspaces building the same artifact see the same answer', async () => {
    const site = join(work, 'site.tar.gz');
    writeFileSync(site, makeTar([{ path: 'index.html', content: '<h1>same bytes in two workspaces</h1>' }]));
    const first = (await build('acme', site, '2.0.0')).json<Built>();
    const second = await build('other', site, '2.0.0');
    expect(second.code, second.stderr).toBe(0);
    const theirs = second.json<Built>();
    // The same app layer (same artifact on the same base layers) was already in the instance…
    const [ours, others] = await Promise.all(['acme', 'other'].map((ws) => appLayer(ws)));
    expect(others).toBe(ours);
    // …and nothing tells `other` that `acme` built it: both count layer, config and manifest.
    expect(first.newBlobs).toBe(3);
    expect(theirs.newBlobs).toBe(3);
    // In one repository: the same build again stores nothing; a new version only its config and manifest.
    expect((await build('acme', site, '2.0.0')).json<Built>().newBlobs).toBe(0);
    expect((await build('acme', site, '2.0.1')).json<Built>().newBlobs).toBe(2);
  }, 120_000);
});

describe('a directory', () => {
  it('is packed by the CLI without its .git and built; built again unchanged (new file times), nothing is uploaded', async () => {
    const site = join(work, 'site-dir');
    mkdirSync(join(site, '.git'), { recursive: true });
    writeFileSync(join(site, 'index.html'), '<h1>from a directory</h1>');
    writeFileSync(join(site, '.git', 'config'), '[remote "origin"] url = https://user:canary-git-token@example.invalid/x.git');
    const first = await build('acme', site, '3.0.0');
    expect(first.code, first.stderr).toBe(0);
    expect(first.json<Built & { runtime: string }>()).toMatchObject({ runtime: 'static', newBlobs: 3 });
    const layer = await appLayer('acme', '3.0.0');
    const blob = await fetch(`${server.url}/v2/acme/shop/blobs/${layer}`, { headers: { authorization: basic(server.adminToken) } });
    const listing = execFileSync('tar', ['-tz'], { input: Buffer.from(await blob.arrayBuffer()), encoding: 'utf8' });
    expect(listing).toMatch(/index\.html/);
    expect(listing).not.toMatch(/\.git/);

    utimesSync(join(site, 'index.html'), new Date('2001-01-01'), new Date('2001-01-01'));
    const again = await cli(['build', site, '-w', 'acme', '-p', 'shop', '--version', '3.0.0', '--base', `${host}/acme/base:static`], { server: server.url, token: server.adminToken });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/packed .*site-dir: 1 file/);
    expect(again.stderr).toMatch(/was built as version 3\.0\.0 before; nothing to upload/);
    expect(again.stderr).not.toMatch(/^uploading/m);
  }, 120_000);
});
