/**
 * An environment's domain, memory and CPU limits put back to their defaults in the panel's
 * Settings tab (Debian's Chromium against a real `slipway server`, no Docker needed): with a
 * custom domain and both limits set, the tab offers *Use the default domain (…)*, *No memory
 * limit* and *No CPU limit*; checked, they send null, and the API then answers the default domain
 * and no limits, which the tab shows (the checkboxes gone). The limits typed as the CLI takes them
 * (`1g`, then `unlimited`) do the same; text that is neither is refused with SLW_VALIDATION before
 * anything is sent. An approval of its own goes back to the default (none for dev). Each change is
 * read back from the API.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { EnvironmentSettingsView } from '../../src/api/settings.js';
import { apiClient, ok, type Api } from '../support/api.js';
import { launchBrowser, screenshot, screenshotOnFailure, signIn } from '../support/browser.js';
import { cleanup, startServerProcess, type ServerProcess } from '../support/server-process.js';

const ws = 'envreset';
const wait = { timeout: 30_000 };
const settingsPath = `/api/v1/workspaces/${ws}/projects/shop/environments/dev/settings`;
let server: ServerProcess;
let admin: Api;
let browser: Browser;
let page: Page;

const settings = async () => ok<EnvironmentSettingsView>(await admin.get(settingsPath));
const field = (label: string) => page.getByLabel(label, { exact: true });
const now = (id: string) => page.locator(`[data-now="${id}"]`).innerText();
const save = () => page.getByRole('button', { name: 'Save settings' }).click();

beforeAll(async () => {
  server = await startServerProcess();
  admin = apiClient(server.url, server.adminToken);
  ok(await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
  ok(await admin.post(`/api/v1/workspaces/${ws}/projects`, { name: 'shop' }));
  ok(await admin.patch(settingsPath, { domain: 'shop-reset.example.com', memoryBytes: 512 * 1024 ** 2, nanoCpus: 500_000_000 }));
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  await cleanup();
}, 60_000);

afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'env-settings-reset-'));

describe("an environment's settings back to their defaults in the panel", () => {
  it('puts a custom domain, a memory limit and a CPU limit back to the defaults with their checkboxes', async () => {
    await signIn(page, `${server.url}/w/${ws}/p/shop/e/dev/settings`, server.adminToken);
    await page.getByRole('form', { name: 'Settings of dev' }).waitFor(wait);
    expect([await now('setting-domain'), await now('setting-memory'), await now('setting-cpus')]).toEqual(['shop-reset.example.com', '512 MiB', '0.5']);
    await page.getByLabel(`Use the default domain (dev.shop.${ws}.localhost)`).check();
    expect(await field('Domain').isDisabled()).toBe(true);
    await page.getByLabel('No memory limit').check();
    await page.getByLabel('No CPU limit').check();
    await page.getByText('To save: the default domain; no memory limit; no CPU limit.').waitFor(wait);
    await screenshot(page, 'env-settings-reset');
    await save();
    await page.locator('[data-settings-saved]').getByText('Saved: the default domain; no memory limit; no CPU limit.').waitFor(wait);
    const s = await settings();
    expect([s.domain, s.memoryBytes, s.nanoCpus]).toEqual([`dev.shop.${ws}.localhost`, null, null]);
    // The tab reads them again: the defaults, and nothing left to put back.
    await expect.poll(() => now('setting-domain'), wait).toBe(`dev.shop.${ws}.localhost`);
    expect([await now('setting-memory'), await now('setting-cpus')]).toEqual(['unlimited', 'unlimited']);
    for (const label of ['Use the default domain', 'No memory limit', 'No CPU limit']) expect(await page.getByLabel(label).count(), label).toBe(0);
    expect(await field('Domain').isEnabled()).toBe(true);
    // The freed domain is another environment's to take.
    ok(await admin.patch(`/api/v1/workspaces/${ws}/projects/shop/environments/staging/settings`, { domain: 'shop-reset.example.com' }));
  }, 120_000);

  it('takes a limit typed as the CLI takes it, unlimited included, and refuses text that is neither before sending', async () => {
    await field('Memory limit').fill('1g');
    await save();
    await page.locator('[data-settings-saved]').getByText('Saved: memory 1.0 GiB.').waitFor(wait);
    expect((await settings()).memoryBytes).toBe(1024 ** 3);
    await expect.poll(() => now('setting-memory'), wait).toBe('1.0 GiB');
    await field('CPU limit').fill('none');
    await save();
    const alert = page.getByRole('alert');
    await alert.getByText('SLW_VALIDATION').waitFor(wait);
    expect(await alert.innerText()).toContain("cpus 'none' is not a positive number like 0.5 or 2; or give unlimited to remove the limit");
    await field('CPU limit').fill('');
    await field('Memory limit').fill('unlimited');
    await page.getByText('To save: no memory limit.').waitFor(wait);
    await save();
    await page.locator('[data-settings-saved]').getByText('Saved: no memory limit.').waitFor(wait);
    const s = await settings();
    expect([s.memoryBytes, s.nanoCpus]).toEqual([null, null]);
    await expect.poll(() => now('setting-memory'), wait).toBe('unlimited');
  }, 120_000);

  it("gives approval back to its default: dev's own required approval is dropped", async () => {
    ok(await admin.patch(settingsPath, { requireApproval: true }));
    await page.reload();
    await page.getByRole('form', { name: 'Settings of dev' }).waitFor(wait);
    await expect.poll(() => now('setting-approval'), wait).toBe('required for promotions, deploys and rollbacks');
    await expect.poll(() => field('Require approval').isEnabled(), wait).toBe(true);
    await field('Require approval').selectOption({ label: "the default (prod: required; else the project manifest's)" });
    await page.getByText('To save: approval back to its default.').waitFor(wait);
    await save();
    await page.locator('[data-settings-saved]').getByText('Saved: approval back to its default.').waitFor(wait);
    const s = await settings();
    expect([s.requireApproval, s.gates?.source.approval]).toEqual([false, 'default']);
    await expect.poll(() => now('setting-approval'), wait).toBe('not required');
  }, 120_000);
});
