/**
 * Registry work in the panel (Debian's Chromium) against a real `slipway server` and a real
 * docker-registry behind a small proxy that demands Basic auth:
 *
 * - importing an image built elsewhere (`slipway import`): refused while the workspace has no
 *   credential for that host (the API's code shown, nothing imported), imported by digest once one
 *   is saved, refused again with a wrong password;
 * - registry credentials (`registry-credential add|list|remove`): added, replaced and removed on
 *   the workspace's page, the password write-only (emptied once sent, in no page and no API answer
 *   the browser got); a developer is refused with SLW_FORBIDDEN;
 * - building an image from an uploaded archive (`slipway build`): a non-archive refused, a site built;
 * - the retention policy (`registry policy`): keep N and protected patterns set and read back, a
 *   bad pattern refused with SLW_VALIDATION and nothing changed, then no protected tags.
 */
import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { mediaTypes } from '../../src/core/oci.js';
import { haveDockerRegistry, haveSkopeo, sha256, skopeoCopy, startDockerRegistry, writeOciLayout, type PeerRegistry } from '../../src/registry/client/test-support/docker-registry.js';
import { apiClient, ok } from '../support/api.js';
import { workspaceToken } from '../support/fixtures.js';
import { launchBrowser, recordApiResponses, screenshot, type ResponseRecorder, screenshotOnFailure } from '../support/browser.js';
import { cleanup, cli, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';
import { makeTar } from '../support/tar-fixtures.js';
import { basic as basicAuth, pushBlob, pushImage } from '../support/oci-push.js';

const ws = 'regpanel';
const wait = { timeout: 30_000 };
const user = 'robot';
const canary = `canary-registry-${process.pid}-${randomUUID()}`;
let server: ServerProcess;
let peer: PeerRegistry;
let proxy: Server;
let proxyHost = '';
let browser: Browser;
let page: Page;
let recorder: ResponseRecorder;
let developerToken = '';
const digests = new Map<string, string>();

/** Pushes a one-layer image to the peer as vendor/api:TAG and remembers its manifest's digest. */
function publish(work: string, tag: string): void {
  const layer = makeTar([{ path: 'VERSION', content: tag }], false);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: mediaTypes.ociConfig, digest: sha256(config), size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }] }));
  const layout = join(work, `l-${tag}`);
  writeOciLayout(layout, [layer, config], [{ tag, mediaType: mediaTypes.ociManifest, bytes: manifest }]);
  skopeoCopy(`oci:${layout}:${tag}`, `docker://${peer.host}/vendor/api:${tag}`);
}

/** The digest the peer serves vendor/api:TAG under (what an import by digest must end up with). */
async function peerDigest(tag: string): Promise<string> {
  const res = await fetch(`http://${peer.host}/v2/vendor/api/manifests/${tag}`, { method: 'HEAD', headers: { accept: `${mediaTypes.ociManifest}, application/vnd.docker.distribution.manifest.v2+json` } });
  return res.headers.get('docker-content-digest') ?? '';
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** A proxy in front of the peer that answers 401 with a Basic challenge unless robot:canary is sent. */
async function basicAuthProxy(upstream: string): Promise<Server> {
  const basic = `Basic ${Buffer.from(`${user}:${canary}`).toString('base64')}`;
  const s = createServer((req, res) => {
    void (async () => {
      if (req.headers.authorization !== basic) {
        return void res.writeHead(401, { 'www-authenticate': 'Basic realm="peer"', 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      }
      const body = await bodyOf(req);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && !['host', 'authorization', 'connection', 'content-length'].includes(k))) as Record<string, string>;
      const up = await fetch(`${upstream}${req.url ?? '/'}`, { method: req.method, headers, body: body.length > 0 ? body : undefined, redirect: 'manual' });
      const out = Buffer.from(await up.arrayBuffer());
      const back: Record<string, string> = {};
      up.headers.forEach((v, k) => {
        if (!['transfer-encoding', 'connection', 'keep-alive', 'content-length'].includes(k)) back[k] = v;
      });
      res.writeHead(up.status, back).end(req.method === 'HEAD' ? undefined : out);
    })().catch((error: unknown) => res.writeHead(502).end(String(error)));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return s;
}

describe.skipIf(!haveDockerRegistry || !haveSkopeo)('registry credentials, image import and retention in the panel', () => {
  beforeAll(async () => {
    const work = tempDir('slipway-regpanel-');
    peer = await startDockerRegistry();
    for (const tag of ['1.0.0', '1.0.1']) {
      publish(work, tag);
      digests.set(tag, await peerDigest(tag));
      expect(digests.get(tag)).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    proxy = await basicAuthProxy(`http://${peer.host}`);
    proxyHost = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    server = await startServerProcess({ args: ['--allow-registry-host', '127.0.0.1'] });
    const admin = apiClient(server.url, server.adminToken);
    ok(await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
    ok(await admin.post(`/api/v1/workspaces/${ws}/projects`, { name: 'web' }));
    ok(await admin.post(`/api/v1/workspaces/${ws}/members`, { email: 'dave@example.com', role: 'developer' }));
    developerToken = (await workspaceToken(admin, ws, 'developer', 'dave@example.com')).api.token;
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    recorder = await recordApiResponses(page);
    await page.goto(server.url);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
    await peer?.stop();
    await cleanup();
  }, 60_000);

  afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'registry-'));

  const images = async () => ok<{ images: Array<{ version: string | null; digest: string }> }>(await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/projects/web/images`)).images;

  it('refuses an import from a registry that wants a login while the workspace has no credential for it', async () => {
    await page.goto(`${server.url}/w/${ws}/p/web/images`);
    await page.getByText('No images yet').waitFor(wait);
    await page.getByLabel('Image reference').fill(`${proxyHost}/vendor/api:1.0.0`);
    await page.getByLabel('Version tag here').fill('1.0.0');
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('alert').filter({ hasText: 'SLW_UPSTREAM_REGISTRY' }).filter({ hasText: '(401: UNAUTHORIZED); it needs credentials' }).waitFor(wait);
    expect(await images()).toEqual([]);
  }, 60_000);

  it('saves a credential for that host on the workspace page; the password is write-only', async () => {
    await page.goto(`${server.url}/w/${ws}`);
    await page.getByRole('link', { name: 'Registry credentials' }).click();
    await page.getByRole('heading', { name: `Registry credentials of ${ws}` }).waitFor();
    await page.getByText('No credentials yet.').waitFor(wait);
    await page.getByLabel('Registry host').fill(proxyHost);
    await page.getByLabel('Username').fill(user);
    await page.getByLabel('Password or token (write-only)').fill(canary);
    await page.getByRole('button', { name: 'Save credential' }).click();
    await page.getByRole('status').filter({ hasText: `Saved the credential for ${proxyHost} (user ${user}).` }).waitFor(wait);
    const row = page.locator(`tr[data-credential="${proxyHost}"]`);
    expect(await row.innerText()).toMatch(new RegExp(`${proxyHost}\\s+${user}\\s+just now\\s+just now`));
    expect(await page.getByLabel('Password or token (write-only)').inputValue()).toBe('');
    expect(await page.content()).not.toContain(canary);
    await screenshot(page, 'registry-credentials');
    const listed = ok<{ credentials: Array<{ host: string; username: string }> }>(await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/registry-credentials`));
    expect(listed.credentials.map((c) => [c.host, c.username])).toEqual([[proxyHost, user]]);
  }, 60_000);

  it('imports the image by digest with that credential', async () => {
    await page.goto(`${server.url}/w/${ws}/p/web/images`);
    await page.getByLabel('Image reference').fill(`${proxyHost}/vendor/api:1.0.0`);
    await page.getByLabel('Version tag here').fill('1.0.0');
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('status').filter({ hasText: `Imported 1.0.0 from ${proxyHost}/vendor/api:1.0.0` }).waitFor(wait);
    await page.locator(`tr[data-digest="${digests.get('1.0.0')}"]`, { hasText: '1.0.0' }).waitFor(wait);
    expect(await images()).toEqual([expect.objectContaining({ version: '1.0.0', digest: digests.get('1.0.0') })]);
    await screenshot(page, 'image-imported');
  }, 60_000);

  it('a replaced credential with a wrong password is used at once (the import refused), then it is removed', async () => {
    await page.goto(`${server.url}/w/${ws}/registries`);
    const row = page.locator(`tr[data-credential="${proxyHost}"]`);
    await row.getByRole('button', { name: `Replace the credential for ${proxyHost}` }).click();
    expect(await page.getByLabel('Registry host').inputValue()).toBe(proxyHost);
    expect(await page.getByLabel('Username').inputValue()).toBe(user);
    await page.getByLabel('Password or token (write-only)').fill('wrong-password');
    await page.getByRole('button', { name: 'Save credential' }).click();
    await page.getByRole('status').filter({ hasText: `Saved the credential for ${proxyHost}` }).waitFor(wait);
    await page.goto(`${server.url}/w/${ws}/p/web/images`);
    await page.getByLabel('Image reference').fill(`${proxyHost}/vendor/api:1.0.1`);
    await page.getByLabel('Version tag here').fill('1.0.1');
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByRole('alert').filter({ hasText: 'SLW_UPSTREAM_REGISTRY' }).filter({ hasText: '401' }).waitFor(wait);
    expect((await images()).map((i) => i.version)).toEqual(['1.0.0']);

    await page.goto(`${server.url}/w/${ws}/registries`);
    await row.getByRole('button', { name: `Remove the credential for ${proxyHost}` }).click();
    await page.getByRole('status').filter({ hasText: `Removed the credential for ${proxyHost}.` }).waitFor(wait);
    await page.getByText('No credentials yet.').waitFor(wait);
    const listed = ok<{ credentials: unknown[] }>(await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/registry-credentials`));
    expect(listed.credentials).toEqual([]);
  }, 90_000);

  it("refuses a developer's credential with SLW_FORBIDDEN", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const dave = await context.newPage();
      await dave.goto(server.url);
      await dave.getByLabel('API token').fill(developerToken);
      await dave.keyboard.press('Enter');
      await dave.getByRole('button', { name: 'Sign out' }).waitFor();
      await dave.goto(`${server.url}/w/${ws}/registries`);
      await dave.getByText('No credentials yet.').waitFor(wait);
      await dave.getByLabel('Registry host').fill(proxyHost);
      await dave.getByLabel('Username').fill(user);
      await dave.getByLabel('Password or token (write-only)').fill(canary);
      await dave.getByRole('button', { name: 'Save credential' }).click();
      await dave.getByRole('alert').filter({ hasText: 'SLW_FORBIDDEN' }).waitFor(wait);
      expect(await dave.getByLabel('Password or token (write-only)').inputValue()).toBe('');
    } finally {
      await context.close();
    }
    const listed = ok<{ credentials: unknown[] }>(await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/registry-credentials`));
    expect(listed.credentials).toEqual([]);
  }, 60_000);

  it('sets the retention: keep N and protected patterns read back; a bad pattern is refused and changes nothing', async () => {
    const policyUrl = `/api/v1/workspaces/${ws}/projects/web/registry-policy`;
    const policy = async () => ok<{ keepVersions: number; protectedTags: string[] }>(await apiClient(server.url, server.adminToken).get(policyUrl));
    const before = await policy();
    await page.goto(`${server.url}/w/${ws}/p/web/images`);
    const card = page.locator('form[data-registry-policy]');
    const now = card.locator('[data-policy-now]');
    await now.getByText(`the newest ${before.keepVersions} versions are kept`).waitFor(wait);
    expect(await card.getByRole('button', { name: 'Save retention' }).isDisabled()).toBe(true);
    await card.getByLabel('Keep the newest N versions').fill('3');
    await card.getByLabel(/Protected tag patterns/).fill('release-*, v1.*');
    await card.getByRole('button', { name: 'Save retention' }).click();
    await card.getByRole('status').filter({ hasText: 'Retention saved.' }).waitFor(wait);
    await now.getByText('the newest 3 versions are kept').waitFor(wait);
    expect(await now.innerText()).toContain('protected tags: release-* v1.*');
    expect(await policy()).toMatchObject({ keepVersions: 3, protectedTags: ['release-*', 'v1.*'] });

    await card.getByLabel('Keep the newest N versions').fill('5');
    await card.getByLabel(/Protected tag patterns/).fill('bad/pattern');
    await card.getByRole('button', { name: 'Save retention' }).click();
    await card.getByRole('alert').filter({ hasText: 'SLW_VALIDATION' }).waitFor(wait);
    expect(await policy()).toMatchObject({ keepVersions: 3, protectedTags: ['release-*', 'v1.*'] });

    await card.getByLabel('Keep the newest N versions').fill('');
    await card.getByLabel('No protected tags').check();
    expect(await card.getByLabel(/Protected tag patterns/).isDisabled()).toBe(true);
    await card.getByRole('button', { name: 'Save retention' }).click();
    await now.getByText('protected tags: none').waitFor(wait);
    expect(await policy()).toMatchObject({ keepVersions: 3, protectedTags: [] });
    await screenshot(page, 'images-import-retention');
  }, 60_000);

  it('builds an image from an uploaded archive with upload progress; a file that is no archive is refused and builds nothing', async () => {
    const work = tempDir('slipway-regpanel-build-');
    const t = { url: server.url, token: server.adminToken };
    ok(await apiClient(server.url, server.adminToken).post(`/api/v1/workspaces/${ws}/projects`, { name: 'base' }));
    const layer = makeTar([{ path: 'usr/', type: 'dir' }, { path: 'usr/share/', type: 'dir' }], false);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['httpd'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
    await pushBlob(t, `${ws}/base`, layer);
    await pushBlob(t, `${ws}/base`, config);
    await pushImage(t, `${ws}/base`, 'static', config, [layer]);
    const base = `${new URL(server.url).host}/${ws}/base:static`;
    const before = (await images()).length;

    await page.goto(`${server.url}/w/${ws}/p/web/images`);
    const junk = join(work, 'notes.tar.gz');
    writeFileSync(junk, 'not an archive at all');
    await page.getByLabel('Artifact').setInputFiles(junk);
    await page.getByLabel('Version', { exact: true }).fill('2.0.0');
    await page.getByLabel('Base image (optional)').fill(base);
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'SLW_ARTIFACT_INVALID' }).waitFor(wait);
    expect(await images()).toHaveLength(before);

    const site = join(work, 'site.tar.gz');
    writeFileSync(site, makeTar([{ path: 'index.html', content: '<h1>built in the panel</h1>' }, { path: 'big.bin', content: 'x'.repeat(512 * 1024) }]));
    await page.getByLabel('Artifact').setInputFiles(site);
    await page.getByLabel('Runtime').selectOption('static');
    // Held for a moment, so the progress line is there to be seen however fast the build is.
    await page.route(/\/builds\?/, async (route) => {
      await new Promise((r) => setTimeout(r, 1500));
      await route.continue();
    });
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    await page.getByRole('status').filter({ hasText: /uploading [0-9.]+ \w+ \/ [0-9.]+ \w+/ }).waitFor(wait);
    const done = page.getByRole('status').filter({ hasText: 'Built 2.0.0 (static)' });
    await done.waitFor(wait);
    await page.unroute(/\/builds\?/);
    expect(await done.innerText()).toMatch(/new blob\(s\)/);
    const built = (await images()).find((i) => i.version === '2.0.0');
    expect(built?.digest).toMatch(/^sha256:/);
    await page.locator(`tr[data-digest="${built!.digest}"]`, { hasText: '2.0.0' }).waitFor(wait);
    await screenshot(page, 'image-built');

    // A directory, packed in the browser without its .git, builds the same image as the CLI's packing of it.
    const tree = join(work, 'site-dir');
    mkdirSync(join(tree, '.git'), { recursive: true });
    mkdirSync(join(tree, 'css'));
    writeFileSync(join(tree, 'index.html'), '<h1>a directory from the browser</h1>');
    writeFileSync(join(tree, 'css', 'site.css'), 'h1{color:teal}');
    writeFileSync(join(tree, '.git', 'config'), 'url = https://user:canary-dir-token@example.invalid/x.git');
    await page.getByLabel('Upload').selectOption('dir');
    await page.getByLabel('Directory').setInputFiles(tree);
    await page.getByLabel('Version', { exact: true }).fill('2.1.0');
    await page.getByRole('button', { name: 'Build', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'packed 2 file(s)' }).waitFor(wait);
    await page.getByRole('status').filter({ hasText: 'Built 2.1.0 (static)' }).waitFor(wait);
    const fromDir = (await images()).find((i) => i.version === '2.1.0');
    const manifest = await fetch(`${server.url}/v2/${ws}/web/manifests/2.1.0`, { headers: { authorization: basicAuth(server.adminToken), accept: mediaTypes.ociManifest } });
    const appLayer = ((await manifest.json()) as { layers: { digest: string }[] }).layers.at(-1)!.digest;
    const blob = await fetch(`${server.url}/v2/${ws}/web/blobs/${appLayer}`, { headers: { authorization: basicAuth(server.adminToken) } });
    const listing = execFileSync('tar', ['-tz'], { input: Buffer.from(await blob.arrayBuffer()), encoding: 'utf8' });
    expect(listing).toMatch(/index\.html/);
    expect(listing).toMatch(/css\/site\.css/);
    expect(listing).not.toMatch(/\.git/);
    // The CLI's build of the same directory (another version) has the same app layer: the same files, modes and order.
    const cliBuild = await cli(['build', tree, '-w', ws, '-p', 'web', '--version', '2.1.1', '--base', base, '--json'], { server: server.url, token: server.adminToken });
    expect(cliBuild.code, cliBuild.stderr).toBe(0);
    const cliManifest = await fetch(`${server.url}/v2/${ws}/web/manifests/2.1.1`, { headers: { authorization: basicAuth(server.adminToken), accept: mediaTypes.ociManifest } });
    expect(((await cliManifest.json()) as { layers: { digest: string }[] }).layers.at(-1)!.digest).toBe(appLayer);
    expect(fromDir?.digest).toMatch(/^sha256:/);
  }, 90_000);

  it('no API answer the browser received held the password', async () => {
    const responses = await recorder.responses();
    expect(responses.some((r) => r.url.includes('/registry-credentials'))).toBe(true);
    for (const r of responses) expect(r.body, r.url).not.toContain(canary);
  });
});
