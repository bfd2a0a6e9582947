/**
 * Custom services and image upgrades in the panel (Debian's Chromium) against a real `slipway
 * server` with the Docker engine and Caddy: an admin runs a custom image through the form (port,
 * HTTP health check, volume, and a variable holding a canary, write-only: cleared once sent, in
 * no page and no API answer), sees on its page the variable's name, the digest and "never"
 * upgraded, upgrades it (refused until "without a backup" is ticked, since Slipway cannot back a
 * custom service up) and finds the upgrade in the table; sees the services list's health badge
 * turn `stopped` when its container is stopped with `docker stop`, and `ready` when it is started
 * again, without a reload (the change stream's `health` changes); attaches it in an environment, where its
 * row shows KV_HOST, KV_PORT, KV_URL, no credentials, no Rotate and no backups; detaches it; then
 * removes the service with its data volume, which the dialog allows only once the name is typed
 * again (the Docker volume is gone after).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient } from '../support/api.js';
import { launchBrowser, recordApiResponses, screenshot, type ResponseRecorder, screenshotOnFailure } from '../support/browser.js';
import { pushCustomImage } from '../support/custom-image.js';
import { deployWorld, type DeployWorld } from '../support/deploy.js';
import { cleanup } from '../support/server-process.js';

const wait = { timeout: 60_000 };
const canary = `canary-panel-custom-${process.pid}-${Date.now().toString(36)}`;
let w: DeployWorld;
let browser: Browser;
let page: Page;
let recorder: ResponseRecorder;
let volume = '';

beforeAll(async () => {
  w = await deployWorld({ workspace: 'pcustom' });
  await pushCustomImage(w.docker, `${w.host}/${w.ws}/base:kv1`, 1);
  await pushCustomImage(w.docker, `${w.host}/${w.ws}/base:kv2`, 2);
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  recorder = await recordApiResponses(page);
}, 300_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await w?.dispose();
  if (volume) await w.docker(['volume', 'rm', '-f', volume]).catch(() => undefined);
  if (volume) await w.docker(['network', 'rm', volume]).catch(() => undefined);
  await cleanup();
}, 120_000);

afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'custom-services-'));

describe('custom services in the panel', () => {
  it('runs a custom image through the form; its variable is write-only', async () => {
    await page.goto(w.server.url);
    await page.getByLabel('API token').fill(w.server.adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.goto(`${w.server.url}/w/${w.ws}/services`);
    await page.getByText('No services yet').waitFor();
    await page.getByLabel('Run one (provisioned PostgreSQL or a custom image)').check();
    await page.getByLabel('Name').fill('kv');
    await page.getByLabel('Kind').selectOption('custom');
    await page.getByLabel('Image (PROJECT:TAG of this workspace)').fill('base:kv1');
    expect(await page.getByRole('button', { name: 'Run service' }).isDisabled()).toBe(true);
    await page.getByLabel('Port').fill('8080');
    await page.getByLabel('Health check (optional)').fill('http:/healthz');
    await page.getByLabel('Volume path (optional)').fill('/data');
    await page.getByLabel('Variables, KEY=VALUE per line (write-only)').fill(`GREETING=${canary}`);
    await page.getByRole('button', { name: 'Run service' }).click();
    await page.getByRole('status').filter({ hasText: 'Running custom service kv from' }).waitFor(wait);
    expect(await page.getByLabel('Variables, KEY=VALUE per line (write-only)').inputValue()).toBe('');
    expect(await page.content()).not.toContain(canary);
    await screenshot(page, 'custom-services');
  }, 120_000);

  it("shows the variable's name, the digest and 'never' upgraded; upgrades only without a backup", async () => {
    await page.getByRole('link', { name: 'kv', exact: true }).click();
    await page.getByText('GREETING (values never shown)').waitFor(wait);
    await page.getByText('no credentials of their own', { exact: false }).waitFor();
    const facts = page.locator('dl.facts');
    const lastUpgraded = facts.locator('dt:text-is("Last upgraded") + dd');
    expect(await lastUpgraded.textContent()).toBe('never');
    volume = (await facts.locator('dd code').filter({ hasText: /^slw-svc-/ }).first().textContent()) ?? '';
    await page.getByLabel('New image (PROJECT:TAG of this workspace)').fill('base:kv2');
    const upgrade = page.getByRole('button', { name: 'Upgrade' });
    expect(await upgrade.isDisabled()).toBe(true);
    await page.getByLabel('Without a backup (I saved the volume)').check();
    await upgrade.click();
    await page.getByRole('status').filter({ hasText: 'Upgraded kv to sha256:' }).waitFor(wait);
    await page.locator('tr[data-upgrade="succeeded"]').waitFor(wait);
    expect(await lastUpgraded.textContent()).toBe('just now');
    await screenshot(page, 'custom-service-upgraded');
  }, 120_000);

  it('shows its health change in the services list live: stopped, then ready again, without a reload', async () => {
    await page.goto(`${w.server.url}/w/${w.ws}/services`);
    const row = page.locator('tr[data-service="kv"]');
    await row.getByText('ready', { exact: true }).waitFor(wait);
    await page.getByText('live', { exact: true }).waitFor(wait);
    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    await w.docker(['stop', `${volume}-1`]);
    await row.getByText('stopped', { exact: true }).waitFor(wait);
    await screenshot(page, 'service-health-stopped');
    await w.docker(['start', `${volume}-1`]);
    await row.getByText('ready', { exact: true }).waitFor(wait);
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
  }, 120_000);

  it("attaches it in an environment: KV_HOST, KV_PORT, KV_URL, no credentials, no Rotate, no backups", async () => {
    await page.goto(`${w.server.url}/w/${w.ws}/p/shop/e/dev/services`);
    await page.getByLabel('Service', { exact: true }).selectOption('kv');
    await page.getByRole('button', { name: 'Attach' }).click();
    const row = page.locator('tr[data-attachment="kv as KV"]');
    await row.waitFor(wait);
    expect(await row.getByRole('list', { name: 'Injected variables' }).textContent()).toBe('KV_HOSTKV_PORTKV_URL');
    expect(await row.textContent()).toContain('none (custom)');
    expect(await row.getByRole('button', { name: /Rotate/ }).count()).toBe(0);
    expect(await page.locator('section[data-backups]').count()).toBe(0);
    await page.getByText('Custom services have no per-attachment credentials and no backups').waitFor();
    await row.getByRole('button', { name: 'Detach kv as KV' }).click();
    const dialog = page.getByRole('dialog', { name: 'Detach kv from dev?' });
    await dialog.getByRole('button', { name: 'Detach', exact: true }).click();
    await page.getByText('No services attached to dev.').waitFor(wait);
  }, 90_000);

  it('removes it with its data volume only once its name is typed again; the volume is gone', async () => {
    expect(volume).toMatch(/^slw-svc-/);
    const volumes = async () => (await w.docker(['volume', 'ls', '-q', '--filter', `name=^${volume}$`])).trim();
    expect(await volumes()).toBe(volume);
    await page.goto(`${w.server.url}/w/${w.ws}/services/kv`);
    await page.getByText('Not attached to any environment').waitFor(wait);
    await page.getByRole('button', { name: 'Remove service' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove service kv?' });
    await dialog.getByText(`Its data volume ${volume} stays on local unless you delete it.`).waitFor();
    await dialog.getByLabel(`Also delete its data volume (${volume}), for good`).check();
    const go = dialog.getByRole('button', { name: 'Remove and delete the data' });
    expect(await go.isDisabled()).toBe(true);
    await dialog.getByLabel('Type the service name (kv) to confirm').fill('k');
    expect(await go.isDisabled()).toBe(true);
    await dialog.getByLabel('Type the service name (kv) to confirm').fill('kv');
    await screenshot(page, 'service-remove-drop-data');
    await go.click();
    await page.waitForURL(new RegExp(`/w/${w.ws}/services$`), wait);
    await page.getByText('No services yet').waitFor(wait);
    expect(await volumes()).toBe('');
    expect((await apiClient(w.server.url, w.server.adminToken).get(`/api/v1/workspaces/${w.ws}/services/kv`)).status).toBe(404);
  }, 120_000);

  it('no API answer the browser received held the variable', async () => {
    const responses = await recorder.responses();
    expect(responses.some((r) => r.url.includes('/services'))).toBe(true);
    for (const r of responses) expect(r.body, r.url).not.toContain(canary);
  });
});
