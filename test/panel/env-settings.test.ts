/**
 * An environment's settings edited in the panel (Debian's Chromium against a real `slipway
 * server` with the Docker engine and Caddy), each change read back from the API: a bad domain,
 * a domain another environment holds and an unknown target are refused with the API's codes and
 * change nothing (nor the replica count typed with them); an admin changes the domain, the
 * replica count (the running release is scaled, its live log linked and followed to its end),
 * approval, a required promotion and both gates, then removes a gate and the requirement; a
 * developer changes an ordinary setting and finds the protection settings disabled, with a note;
 * an admin whose role is lowered to developer while the page is open gets SLW_FORBIDDEN for a
 * protection setting, and nothing changes; the rest of what was typed is kept and saved then.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { EnvironmentSettingsView } from '../../src/api/settings.js';
import { apiClient, ok, type Api } from '../support/api.js';
import { launchBrowser, screenshot, screenshotOnFailure } from '../support/browser.js';
import { deployWorld, type DeployWorld } from '../support/deploy.js';
import { cleanup } from '../support/server-process.js';

let w: DeployWorld;
let owner: Api;
let browser: Browser;
const contexts: BrowserContext[] = [];
const pages: Page[] = [];
const wait = { timeout: 60_000 };
const settingsPath = (env: string) => `/api/v1/workspaces/${w.ws}/projects/shop/environments/${env}/settings`;
const settingsOf = async (env: string) => ok<EnvironmentSettingsView>(await owner.get(settingsPath(env)));

/** A new browser on `env`'s settings tab, signed in with `token`. */
async function openSettings(token: string, env: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  pages.push(page);
  await page.goto(`${w.server.url}/w/${w.ws}/p/shop/e/${env}/settings`);
  await page.getByLabel('API token').waitFor(wait);
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.getByRole('form', { name: `Settings of ${env}` }).waitFor(wait);
  return page;
}

const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });
const save = (page: Page) => page.getByRole('button', { name: 'Save settings' }).click();
const now = (page: Page, id: string) => page.locator(`[data-now="${id}"]`).innerText();

beforeAll(async () => {
  w = await deployWorld({ workspace: 'envsetpanel' });
  owner = apiClient(w.server.url, w.server.adminToken);
  const dev = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--version', '1.0.0', '--json']);
  expect(dev.code, dev.stderr).toBe(0);
  ok(await owner.patch(settingsPath('staging'), { domain: 'staging.shop.example.com' }));
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await w?.dispose();
  await cleanup();
}, 120_000);

afterEach((ctx) => screenshotOnFailure(ctx, pages, 'env-settings-'));

describe("an environment's settings in the panel", () => {
  let ada: Page; // admin

  it("refuses a bad domain and a taken one with the API's code, and changes nothing", async () => {
    ada = await openSettings(w.approver, 'dev');
    expect(await now(ada, 'setting-domain')).toBe(`dev.shop.${w.ws}.localhost`);
    expect(await now(ada, 'setting-replicas')).toBe('1');
    await field(ada, 'Domain').fill('not a domain!');
    await field(ada, 'Replicas').fill('2');
    await ada.getByText('To save: domain not a domain!; replicas 2.').waitFor(wait);
    await save(ada);
    await ada.getByRole('alert').getByText('SLW_INVALID_DOMAIN').waitFor(wait);
    await field(ada, 'Domain').fill('staging.shop.example.com');
    await save(ada);
    await ada.getByRole('alert').getByText('SLW_ALREADY_EXISTS').waitFor(wait);
    expect(await ada.getByRole('alert').innerText()).toContain('domain staging.shop.example.com is already used by another environment');
    // A target no server of the workspace is: the API's code.
    await field(ada, 'Domain').fill('');
    await field(ada, 'Target').fill('no-such-server');
    await save(ada);
    await ada.getByRole('alert').getByText('SLW_TARGET_UNKNOWN').waitFor(wait);
    // Two placements, and text that is no size, are refused in the browser with the CLI's codes, before anything is sent.
    await field(ada, 'Server label').fill('zone=a');
    await save(ada);
    await ada.getByRole('alert').getByText('SLW_USAGE').waitFor(wait);
    await field(ada, 'Target').fill('');
    await field(ada, 'Server label').fill('');
    await field(ada, 'Memory limit').fill('lots');
    await save(ada);
    await ada.getByRole('alert').getByText('SLW_VALIDATION').waitFor(wait);
    const s = await settingsOf('dev');
    expect([s.domain, s.replicas, s.memoryBytes, s.target]).toEqual([`dev.shop.${w.ws}.localhost`, 1, null, 'local']);
    await ada.getByRole('button', { name: 'Clear' }).click();
    expect(await field(ada, 'Replicas').inputValue()).toBe('');
  }, 120_000);

  it('changes the domain, the replica count (scaling the running release), approval and gates, then removes a gate', async () => {
    await field(ada, 'Domain').fill('dev.shop.example.com');
    await field(ada, 'Replicas').fill('2');
    await field(ada, 'Require approval').selectOption({ label: 'required' });
    await field(ada, 'Require promotion').selectOption({ label: 'only images that ran in staging' });
    await field(ada, 'Pipeline gate').fill('tests');
    await field(ada, 'Health gate bake').fill('30s');
    await save(ada);
    const saved = ada.locator('[data-settings-saved]');
    await saved.waitFor(wait);
    expect(await saved.locator('p').first().innerText()).toBe('Saved: domain dev.shop.example.com; replicas 2; approval required; only images that ran in staging; pipeline gate tests; health gate 30 s bake, at most 5% errors on /.');
    expect(await saved.locator('[data-scaling]').innerText()).toMatch(/^Scaling the running release to 2 replicas now: watch the live log\.$/);
    let s = await settingsOf('dev');
    expect({ domain: s.domain, replicas: s.replicas, requireApproval: s.requireApproval, requirePromotionFrom: s.requirePromotionFrom, gatePipeline: s.gatePipeline, gateHealth: s.gateHealth }).toEqual({ domain: 'dev.shop.example.com', replicas: 2, requireApproval: true, requirePromotionFrom: 'staging', gatePipeline: 'tests', gateHealth: { bakeSeconds: 30, maxErrorRate: 0.05, path: '/' } });
    // The form is emptied and says what each setting is now.
    await expect.poll(() => now(ada, 'setting-replicas'), wait).toBe('2');
    expect(await now(ada, 'setting-domain')).toBe('dev.shop.example.com');
    expect(await now(ada, 'setting-gatePipeline')).toBe('tests');
    expect(await field(ada, 'Domain').inputValue()).toBe('');
    await screenshot(ada, 'env-settings-saved');
    await saved.getByRole('link', { name: 'watch the live log' }).click();
    await ada.waitForURL(/\/deployments\//, wait);
    await ada.locator('.deploy-status', { hasText: 'succeeded' }).waitFor(wait);
    await ada.goBack();
    await ada.getByRole('form', { name: 'Settings of dev' }).waitFor(wait);
    await ada.getByLabel('Remove the pipeline gate').check();
    expect(await field(ada, 'Pipeline gate').isDisabled()).toBe(true);
    await field(ada, 'Require promotion').selectOption({ label: 'any image' });
    await save(ada);
    await ada.locator('[data-settings-saved]').getByText('Saved: any image (no required promotion); no pipeline gate of its own.').waitFor(wait);
    s = await settingsOf('dev');
    expect([s.gatePipeline, s.requirePromotionFrom, s.gateHealth?.bakeSeconds, s.replicas]).toEqual([null, null, 30, 2]);
    await expect.poll(() => now(ada, 'setting-gatePipeline'), wait).toBe('none');
  }, 180_000);

  it('lets a developer change an ordinary setting and shows the protection settings disabled, with a note', async () => {
    const dave = await openSettings(w.developer, 'dev');
    const note = dave.locator('[data-protection-note]');
    await note.getByText('your role here: developer').waitFor(wait);
    expect(await note.innerText()).toBe('Only an admin or owner changes these (your role here: developer); ask one, or change the other settings.');
    for (const label of ['Require approval', 'Require promotion', 'Pipeline gate', 'Health gate bake']) expect(await field(dave, label).isDisabled(), label).toBe(true);
    await field(dave, 'Max surge').fill('2');
    await save(dave);
    await dave.locator('[data-settings-saved]').getByText('Saved: max surge 2.').waitFor(wait);
    expect((await settingsOf('dev')).maxSurge).toBe(2);
    // Every field labelled; the page fits a phone.
    await dave.setViewportSize({ width: 390, height: 844 });
    const unlabelled = await dave.evaluate(`[...document.querySelectorAll('button, input, select, textarea, a')].filter((el) =>
      el.textContent.trim() === '' && !el.getAttribute('aria-label') && !(el.labels && el.labels.length > 0)).length`);
    expect(unlabelled).toBe(0);
    expect(await dave.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(dave, 'env-settings-developer-phone');
  }, 120_000);

  it('shows SLW_FORBIDDEN when a protection setting is sent by someone who is only a developer now, and changes nothing', async () => {
    await ada.reload();
    await ada.getByRole('form', { name: 'Settings of dev' }).waitFor(wait);
    // The form may show before the page has read Ada's role (admin): the field turns enabled then.
    await expect.poll(() => field(ada, 'Require approval').isEnabled(), wait).toBe(true);
    ok(await owner.patch(`/api/v1/workspaces/${w.ws}/members/ada@example.com`, { role: 'developer' }));
    try {
      await field(ada, 'Require approval').selectOption({ label: 'not required' });
      await field(ada, 'Health gate bake').fill('45s');
      await field(ada, 'Port').fill('9090');
      await save(ada);
      const alert = ada.getByRole('alert');
      await alert.getByText('SLW_FORBIDDEN').waitFor(wait);
      expect(await alert.innerText()).toContain('only an admin or owner may change requireApproval and gateHealth (your role: developer)');
      // The panel reads the role again: the group says why it is disabled, its fields are emptied, the rest is kept and can be saved.
      await ada.locator('[data-protection-note]').getByText('your role here: developer').waitFor(wait);
      await screenshot(ada, 'env-settings-forbidden');
      let s = await settingsOf('dev');
      expect([s.requireApproval, s.gateHealth?.bakeSeconds, s.port]).toEqual([true, 30, 8080]);
      await ada.getByText('To save: port 9090.').waitFor(wait);
      expect(await field(ada, 'Health gate bake').inputValue()).toBe('');
      await save(ada);
      await ada.locator('[data-settings-saved]').getByText('Saved: port 9090.').waitFor(wait);
      s = await settingsOf('dev');
      expect([s.requireApproval, s.gateHealth?.bakeSeconds, s.port]).toEqual([true, 30, 9090]);
    } finally {
      ok(await owner.patch(`/api/v1/workspaces/${w.ws}/members/ada@example.com`, { role: 'admin' }));
    }
  }, 120_000);
});
