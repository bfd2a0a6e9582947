/**
 * An environment's volumes in the panel's Settings tab (Debian's Chromium against a real
 * `slipway server`, no Docker needed): none at first; one added as NAME:/PATH is listed with its
 * path and the Docker volume Slipway derived; a system path is refused by the API with
 * SLW_INVALID_VOLUME and nothing changes; a ticked volume is removed. Each change is read back
 * from the API.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { EnvironmentSettingsView } from '../../src/api/settings.js';
import { apiClient, ok, type Api } from '../support/api.js';
import { launchBrowser, screenshot, screenshotOnFailure, signIn } from '../support/browser.js';
import { cleanup, startServerProcess, type ServerProcess } from '../support/server-process.js';

const ws = 'envvols';
const wait = { timeout: 30_000 };
const settingsPath = `/api/v1/workspaces/${ws}/projects/shop/environments/dev/settings`;
let server: ServerProcess;
let admin: Api;
let browser: Browser;
let page: Page;

const settings = async () => ok<EnvironmentSettingsView>(await admin.get(settingsPath));
const save = () => page.getByRole('button', { name: 'Save settings' }).click();

beforeAll(async () => {
  server = await startServerProcess();
  admin = apiClient(server.url, server.adminToken);
  ok(await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
  ok(await admin.post(`/api/v1/workspaces/${ws}/projects`, { name: 'shop' }));
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  await cleanup();
}, 60_000);

afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'env-volumes-'));

describe("an environment's volumes in the panel", () => {
  it('adds a volume, refuses a system path with its code, and removes a ticked one', async () => {
    await signIn(page, `${server.url}/w/${ws}/p/shop/e/dev/settings`, server.adminToken);
    await page.getByRole('form', { name: 'Settings of dev' }).waitFor(wait);
    await page.locator('[data-volumes="none"]').waitFor(wait);

    await page.getByLabel('Add a volume', { exact: true }).fill('data:/var/lib/app');
    await page.getByText('To save: volume data at /var/lib/app.').waitFor(wait);
    await save();
    await page.locator('[data-settings-saved]').getByText('Saved: volume data at /var/lib/app.').waitFor(wait);
    await page.locator('[data-volumes-saved]').waitFor(wait);
    const s = await settings();
    expect(s.volumes).toHaveLength(1);
    expect(s.volumes[0]).toMatchObject({ name: 'data', path: '/var/lib/app' });
    const row = page.locator('[data-volume="data"]');
    await row.waitFor(wait);
    expect(await row.innerText()).toContain(s.volumes[0]!.volume);
    await screenshot(page, 'env-volumes');

    await page.getByLabel('Add a volume', { exact: true }).fill('logs:/proc/self');
    await save();
    await page.getByText('SLW_INVALID_VOLUME').first().waitFor(wait);
    expect((await settings()).volumes.map((v) => v.name)).toEqual(['data']);

    await page.getByLabel('Add a volume', { exact: true }).fill('');
    await page.getByLabel('Remove data').check();
    await page.getByText('To save: no volume data (its data stays).').waitFor(wait);
    await save();
    await page.locator('[data-settings-saved]').getByText('Saved: no volume data (its data stays).').waitFor(wait);
    expect((await settings()).volumes).toEqual([]);
    await page.locator('[data-volumes="none"]').waitFor(wait);
  }, 120_000);
});
