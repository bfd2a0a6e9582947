/**
 * An application's notifications in the panel, in Debian's Chromium against a real `slipway
 * server` with a real docker-registry as the upstream: an admin sets the notify URL (a private
 * address is refused with the API's code; the loopback receiver the instance admin allowed is
 * taken and its secret shown once), creates the upstream hook (URL and secret once), and after a
 * push and a call of the hook sees the new version's notification with its webhook sent; sets a
 * signing secret of its own (too short: refused with its code; never shown) with which the
 * receiver finds the next notification signed; then
 * sets how the application's automatic upgrades move (a bad value refused by name, nothing
 * stored) and puts them back to the defaults.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { mediaTypes } from '../../src/core/oci.js';
import { haveDockerRegistry, haveSkopeo, sha256, skopeoCopy, startDockerRegistry, writeOciLayout, type PeerRegistry } from '../../src/registry/client/test-support/docker-registry.js';
import { apiClient, ok } from '../support/api.js';
import { launchBrowser, screenshotOnFailure } from '../support/browser.js';
import { cleanup, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';
import { makeTar } from '../support/tar-fixtures.js';

const ws = 'notifypanel';
const wait = { timeout: 60_000 };
let server: ServerProcess;
let peer: PeerRegistry;
let browser: Browser;
let page: Page;
let work: string;
let receiver: Server;
let receiverUrl: string;
let hits = 0;
/** What the receiver got: each body with its X-Slipway-Signature. */
const received: Array<{ body: string; signature: string }> = [];
let hookUrl = '';
let hookSecret = '';

function publish(tag: string): void {
  const layer = makeTar([{ path: 'VERSION', content: tag }], false);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: mediaTypes.ociConfig, digest: sha256(config), size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }] }));
  const layout = join(work, `l-${tag}`);
  writeOciLayout(layout, [layer, config], [{ tag, mediaType: mediaTypes.ociManifest, bytes: manifest }]);
  skopeoCopy(`oci:${layout}:${tag}`, `docker://${peer.host}/vendor/crm:${tag}`);
}

describe.skipIf(!haveDockerRegistry || !haveSkopeo)('application notifications in the panel', () => {
  beforeAll(async () => {
    work = tempDir('slipway-notifypanel-');
    receiver = createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (c: Buffer) => parts.push(c));
      req.on('end', () => {
        hits += 1;
        received.push({ body: Buffer.concat(parts).toString('utf8'), signature: String(req.headers['x-slipway-signature'] ?? '') });
        res.writeHead(204);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in`;
    peer = await startDockerRegistry();
    publish('1.0.0');
    server = await startServerProcess({ args: ['--allow-registry-host', '127.0.0.1', '--allow-webhook-host', '127.0.0.1'], env: { SLIPWAY_UPSTREAM_MIN_POLL: '3600' } });
    const admin = apiClient(server.url, server.adminToken);
    ok(await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
    ok(await admin.post(`/api/v1/workspaces/${ws}/applications`, { name: 'crm', upstream: `${peer.host}/vendor/crm` }));
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await peer?.stop();
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
    await cleanup();
  }, 60_000);

  afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'notify-'));

  it('sets the notify URL (refusing a private address with its code) and shows its secret once', async () => {
    await page.goto(server.url);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.keyboard.press('Enter');
    // Signed in (the token is stored) before the next page load.
    await page.getByRole('link', { name: ws, exact: true }).waitFor(wait);
    await page.goto(`${server.url}/w/${ws}/apps/crm`);
    await page.getByRole('heading', { name: 'Application crm' }).waitFor(wait);
    await page.getByText('No notifications yet.').waitFor(wait);
    await page.getByLabel('New notify URL').fill('http://10.0.0.7/hook');
    await page.getByRole('button', { name: 'Set notify URL' }).click();
    await page.getByText('SLW_NOTIFY_HOST_REFUSED').waitFor(wait);
    await page.getByLabel('New notify URL').fill(receiverUrl);
    await page.getByRole('button', { name: 'Set notify URL' }).click();
    const secret = page.locator('[data-notify-secret] code');
    await secret.waitFor(wait);
    expect(await secret.innerText()).toMatch(/^[0-9a-f]{64}$/);
    await page.locator('[data-notify-url]').filter({ hasText: receiverUrl }).waitFor(wait);
  }, 120_000);

  it('creates the upstream hook, and a call after a push shows the new version notified and sent', async () => {
    await page.getByRole('button', { name: 'Create upstream hook' }).click();
    hookSecret = await page.locator('[data-app-hook-secret] code').innerText();
    hookUrl = await page.locator('[data-app-hook-url]').innerText();
    expect(hookUrl).toMatch(/\/hooks\/apps\/ahk_/);
    publish('1.1.0');
    const res = await fetch(hookUrl, { method: 'POST', headers: { authorization: `Bearer ${hookSecret}`, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(202);
    const row = page.locator('tr[data-notification]').filter({ hasText: 'crm 1.1.0 (minor) is available' });
    await expect
      .poll(
        async () => {
          await page.locator('[data-app-notifications]').getByRole('button', { name: 'Refresh' }).click();
          return (await row.count()) > 0 ? await row.innerText() : '';
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toMatch(/version\s+crm 1\.1\.0 \(minor\) is available; no site runs an older version\s+sent/);
    expect(hits).toBe(1);
  }, 120_000);

  it('signs later notifications with a secret of your own, which is never shown', async () => {
    const own = `own-secret-${randomUUID()}`;
    const field = page.getByLabel(/Your own signing secret/);
    await field.fill('too-short');
    await page.getByRole('button', { name: 'Set notify secret' }).click();
    await page.getByRole('alert').filter({ hasText: 'SLW_VALIDATION' }).waitFor(wait);
    expect(await field.inputValue()).toBe('');
    await field.fill(own);
    await page.getByRole('button', { name: 'Set notify secret' }).click();
    await page.locator('[data-notify-own-secret]').waitFor(wait);
    expect(await field.inputValue()).toBe('');
    expect(await page.content()).not.toContain(own);
    publish('1.2.0');
    const res = await fetch(hookUrl, { method: 'POST', headers: { authorization: `Bearer ${hookSecret}`, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(202);
    await expect.poll(() => received.find((r) => r.body.includes('1.2.0')), { timeout: 30_000, interval: 500 }).toBeDefined();
    const got = received.find((r) => r.body.includes('1.2.0'))!;
    expect(got.signature).toBe(`sha256=${createHmac('sha256', own).update(got.body).digest('hex')}`);
  }, 120_000);

  it('sets how automatic upgrades move, refusing a bad value by name and storing nothing, and goes back to the defaults', async () => {
    const form = page.locator('[data-app-continuous]');
    const show = async () => ok<{ continuous: Record<string, unknown> }>(await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/applications/crm`)).continuous;
    await form.getByLabel('Batch').fill('0');
    await form.getByLabel('At once').fill('3');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByText('SLW_VALIDATION').waitFor(wait);
    await form.getByText(/--continuous-batch 0 moves no site/).waitFor(wait);
    expect(await show()).toMatchObject({ batch: '25%', parallel: 5, custom: false });
    await form.getByLabel('Canaries').fill('2');
    await form.getByLabel('Batch').fill('10%');
    await form.getByLabel('Bake').fill('1m');
    await form.getByLabel('Failure budget').fill('1');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved' }).waitFor(wait);
    expect(await show()).toEqual({ canary: 2, batch: '10%', parallel: 3, bakeSeconds: 60, failureBudget: '1', custom: true });
    // The form is filled again from the application as read back, a moment after the API answers.
    await expect.poll(() => form.getByLabel('Bake').inputValue(), wait).toBe('60s');
    await form.getByRole('button', { name: 'Back to the defaults' }).click();
    await expect.poll(show, { timeout: 30_000 }).toEqual({ canary: 1, batch: '25%', parallel: 5, bakeSeconds: 10, failureBudget: '0', custom: false });
    // The form is filled again once the page has read the application back: a moment after the API answers.
    await expect.poll(() => form.getByLabel('Canaries').inputValue(), wait).toBe('1');
  }, 120_000);
});
