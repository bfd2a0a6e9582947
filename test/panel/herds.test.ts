/**
 * Herd upgrades in the panel (Debian's Chromium against a real `slipway server`, Docker and
 * Caddy): an application made from a project with two versions of a small static site (1.0.0 and
 * 1.1.0), three sites on 1.0.0. In the application's page the versions × sites matrix counts
 * them and lists their names; a preview of an upgrade to 1.1.0 shows its waves and starts
 * nothing; started (1 canary, batches of 2, no bake), its page follows it without a page load to
 * `succeeded` with every site done, each wave's bar full, and stops reading the status once it is
 * finished; a site's step log shows its steps. The matrix then has the three sites on 1.1.0. A
 * second upgrade back to 1.0.0 is refused without "allow a downgrade" (the API's code shown);
 * with it and a window that is closed now it stays pending: Pause and Resume each show their
 * state; while nothing moves the page reads nothing (no polling), and a pause made through the
 * CLI shows up pushed by the change stream; Abort (with "revert finished sites", confirmed in a
 * dialog) shows its state, and no site moved. Then a staged site: its upgrade waits for approval
 * with the clone named, and Approve cuts it over; another is rejected after a confirmation (its
 * clone goes, it stays on 1.0.0), then removed from the application's page after a confirmation
 * (its environment and route go). Last, the list of upgrades shows one started and aborted
 * through the CLI as it happens, and reads nothing while it waits. */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient, ok } from '../support/api.js';
import { launchBrowser, screenshot, screenshotOnFailure } from '../support/browser.js';
import { deployWorld, viaProxy, type DeployWorld } from '../support/deploy.js';
import { buildSite, pushBase } from '../support/images.js';
import { cleanup, tempDir } from '../support/server-process.js';

interface Upgrade {
  id: string;
  state: string;
  finishedAt: string | null;
  options: { revertOnAbort?: boolean };
  sites: { site: string; step: string; fromVersion: string | null }[];
}

let w: DeployWorld;
let browser: Browser;
let page: Page;
let loads = 0;
const wait = { timeout: 180_000 };
const app = 'saas-app';
const domain = (site: string) => `${site}.saas.${w.ws}.localhost`;
const api = () => apiClient(w.server.url, w.server.adminToken);
const appUrl = () => `/api/v1/workspaces/${w.ws}/applications/${app}`;
const upgrades = async () => ok<{ upgrades: Upgrade[] }>(await api().get(`${appUrl()}/upgrades`)).upgrades;
const siteVersions = async () => ok<{ sites: { name: string; version: string | null }[] }>(await api().get(`${appUrl()}/sites`)).sites.map((s) => [s.name, s.version]);

async function cli(args: string[]): Promise<void> {
  const r = await w.run([...args, '-w', w.ws, '--json']);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
}

const state = () => page.locator('.upgrade-state');
/** The New herd upgrade form (the application's Automatic upgrades form has fields of the same names). */
const upgradeForm = () => page.getByRole('form', { name: 'New herd upgrade' });
const upgradeId = () => decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);

beforeAll(async () => {
  w = await deployWorld({ workspace: 'herdpanel' });
  await pushBase(w.docker, 'static', `${w.host}/${w.ws}/base:static`);
  ok(await api().post(`/api/v1/workspaces/${w.ws}/projects`, { name: 'saas' }));
  const work = tempDir('slipway-herd-panel-');
  for (const version of ['1.0.0', '1.1.0']) {
    const site = await buildSite(join(work, version), `saas ${version}`);
    await cli(['build', site, '-p', 'saas', '--version', version, '--runtime', 'static', '--base', `${w.host}/${w.ws}/base:static`]);
  }
  await cli(['app', 'create', app, '--from-project', 'saas']);
  for (const site of ['s1', 's2', 's3']) await cli(['site', 'create', site, '-a', app, '--version', '1.0.0', '--label', 'plan=gold']);
  expect(await siteVersions()).toEqual([
    ['s1', '1.0.0'],
    ['s2', '1.0.0'],
    ['s3', '1.0.0'],
  ]);
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('load', () => (loads += 1));
  await page.goto(w.server.url);
  await page.getByLabel('API token').fill(w.server.adminToken);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.getByRole('link', { name: w.ws, exact: true }).click();
  await page.getByRole('link', { name: 'Applications', exact: true }).click();
  await page.locator(`tr[data-application="${app}"] a`).click();
  await page.getByRole('heading', { name: `Application ${app}` }).waitFor();
}, 600_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await w?.dispose();
  await cleanup();
});

afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'herds-'));

describe('herd upgrades in the panel', () => {
  it('counts the sites of each version, and lists their names when opened', async () => {
    await expect.poll(() => page.locator('tr[data-version="1.0.0"]').innerText(), wait).toMatch(/^1\.0\.0\s+first\s+stable\s+[0-9a-f]{12}\s+3 sites/);
    expect(await page.locator('tr[data-version="1.1.0"]').innerText()).toMatch(/^1\.1\.0\s+latest\s+minor\s+stable\s+[0-9a-f]{12}\s+0\s/);
    expect(await page.locator('[data-summary="sites"]').innerText()).toBe('3 sites: 0 on the latest (1.1.0), 3 on other versions.');
    const names = page.locator('tr[data-version="1.0.0"] .names');
    expect(await names.isVisible()).toBe(false);
    await page.locator('tr[data-version="1.0.0"] summary').click();
    await names.waitFor();
    expect(await names.locator('li').allInnerTexts()).toEqual(['s1', 's2', 's3']);
    expect(await names.locator('a').first().getAttribute('href')).toBe(`/w/${w.ws}/p/saas/e/s1`);
    await page.getByText('No herd upgrades yet.').waitFor();
  }, 60_000);

  it('previews an upgrade (its waves, nothing started), starts it and follows it live to succeeded', async () => {
    expect(await upgradeForm().getByLabel('Upgrade to').inputValue()).toBe('1.1.0');
    await upgradeForm().getByLabel('Canaries').fill('1');
    await upgradeForm().getByLabel('Batch').fill('2');
    await upgradeForm().getByLabel('Bake').fill('0');
    await page.getByRole('button', { name: 'Preview' }).click();
    const plan = page.getByRole('status', { name: 'Preview of the upgrade' });
    await plan.waitFor();
    expect(await plan.locator('p').innerText()).toMatch(/^3 sites in 2 waves to 1\.1\.0; 0 failures tolerated; 5 at once; bake 0s\. Nothing has started\.$/);
    expect(await plan.locator('tr[data-plan-wave="0"]').innerText()).toMatch(/^0\s+canary\s+1\s+s1$/);
    expect(await plan.locator('tr[data-plan-wave="1"]').innerText()).toMatch(/^1\s+batch\s+2\s+s2, s3$/);
    expect(await upgrades()).toEqual([]);
    await screenshot(page, 'herd-preview');

    const loadsBefore = loads;
    await page.getByRole('button', { name: 'Start upgrade' }).click();
    await page.getByRole('heading', { name: /^Herd upgrade hup_\S+ of saas-app to 1\.1\.0$/ }).waitFor();
    const id = upgradeId();
    expect(page.url()).toBe(`${w.server.url}/w/${w.ws}/apps/${app}/upgrades/${id}`);
    // Read while it moves: running first, then succeeded, the page never reloaded.
    await state().and(page.locator('[data-state="running"]')).waitFor();
    const seen = new Set<string>();
    await expect
      .poll(async () => {
        for (const s of await page.locator('tr[data-site]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-step')))) seen.add(s ?? '');
        return state().getAttribute('data-state');
      }, wait)
      .toBe('succeeded');
    await page.locator('.upgrade-state[data-finished="yes"]').waitFor(wait);
    expect(loads).toBe(loadsBefore);
    // The sites were seen moving (not only pending and done) while the page followed.
    expect([...seen].some((s) => s !== 'pending' && s !== 'done')).toBe(true);
    expect(await page.locator('[data-failures]').innerText()).toBe('0 of 0 tolerated');
    expect(await page.locator('li[data-wave="0"] .wave-head').innerText()).toMatch(/Wave 0 · canary\s+1 site · 1 of 1 done/);
    expect(await page.locator('li[data-wave="1"] .wave-head').innerText()).toMatch(/Wave 1 · batch\s+2 sites · 2 of 2 done/);
    expect(await page.locator('li[data-wave="1"] [data-steps]').innerText()).toBe('2 done');
    expect(await page.locator('li[data-wave="1"] svg').getAttribute('aria-label')).toBe('Wave 1: 2 done');
    expect(await page.locator('li[data-wave="1"] svg rect.bar-done').getAttribute('width')).toBe('100');
    const rows = (await page.locator('tr[data-site]').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    expect(rows).toEqual(['s1 0 done 1.0.0 Step log of s1', 's2 1 done 1.0.0 Step log of s2', 's3 1 done 1.0.0 Step log of s3']);

    // Finished: the page reads the status no more.
    const reads: string[] = [];
    const count = (r: { url(): string }) => void (r.url().includes(`/upgrades/${id}`) && reads.push(r.url()));
    page.on('request', count);
    await page.waitForTimeout(3500);
    page.off('request', count);
    expect(reads).toEqual([]);

    // A site's step log.
    await page.getByRole('button', { name: 'Step log of s2' }).click();
    const log = page.getByRole('list', { name: 'Steps of s2' });
    await log.waitFor();
    const lines = await log.locator('li').allInnerTexts();
    expect(lines[0]).toMatch(/backup started in wave 1: backing up its services/);
    expect(lines.some((l) => /deploy(ing)? .*1\.1\.0/.test(l))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/done 1\.1\.0 serves/);
    await screenshot(page, 'herd-upgrade-succeeded');
    for (const site of ['s1', 's2', 's3']) expect((await viaProxy(w.proxyPort, domain(site), '/index.html')).body).toContain('saas 1.1.0');

    // Step filter.
    await page.getByLabel('Show sites at step').selectOption('done');
    expect(await page.locator('tr[data-site]').count()).toBe(3);
    expect(await page.getByLabel('Show sites at step').locator('option').allTextContents()).toEqual(['every step (3)', 'done (3)']);
  }, 300_000);

  it('shows the sites on the new version in the matrix and the upgrade in the list', async () => {
    await page.getByRole('link', { name: `Back to ${app}` }).click();
    await page.getByRole('heading', { name: `Application ${app}` }).waitFor();
    await expect.poll(() => page.locator('tr[data-version="1.1.0"]').innerText(), wait).toMatch(/3 sites/);
    expect(await page.locator('tr[data-version="1.0.0"]').innerText()).toMatch(/\s0\s/);
    expect(await page.locator('[data-summary="sites"]').innerText()).toBe('3 sites: 3 on the latest (1.1.0), 0 on other versions.');
    const [first] = await upgrades();
    expect(await page.locator(`tr[data-upgrade="${first!.id}"]`).innerText()).toMatch(new RegExp(`^${first!.id}\\s+succeeded\\s+1\\.1\\.0\\s+3 of 3 done\\s+0 of 0 tolerated\\s+manual\\s+`));
    expect(await siteVersions()).toEqual([
      ['s1', '1.1.0'],
      ['s2', '1.1.0'],
      ['s3', '1.1.0'],
    ]);
  }, 60_000);

  it('refuses a downgrade unless allowed; a pending upgrade (window closed) is paused, resumed and aborted, each state shown', async () => {
    const minute = (new Date().getUTCMinutes() + 30) % 60;
    const closed = `${minute} * * * *`;
    await upgradeForm().getByLabel('Upgrade to').selectOption('1.0.0');
    await upgradeForm().getByLabel('Bake').fill('0');
    await upgradeForm().getByLabel('Window').fill(closed);
    await page.getByRole('button', { name: 'Start upgrade' }).click();
    await page.getByText('SLW_DOWNGRADE').waitFor();
    expect(await upgrades()).toHaveLength(1);
    await upgradeForm().getByLabel('Allow a downgrade').check();
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('status', { name: 'Preview of the upgrade' }).getByText(`window ${closed} (UTC)`).waitFor();
    await page.getByRole('button', { name: 'Start upgrade' }).click();
    await page.getByRole('heading', { name: /^Herd upgrade hup_\S+ of saas-app to 1\.0\.0$/ }).waitFor();
    const id = upgradeId();
    await page.locator('.upgrade-state[data-state="running"]').waitFor();
    await page.locator('[data-window-note]').getByText(`Sites start only inside its window ${closed} (UTC); none has started yet.`).waitFor();
    expect(await page.getByLabel('Show sites at step').locator('option').allTextContents()).toEqual(['every step (3)', 'pending (3)']);
    await screenshot(page, 'herd-upgrade-pending');

    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('.upgrade-state[data-state="paused"]').waitFor();
    expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(0);
    expect((await upgrades()).find((u) => u.id === id)?.state).toBe('paused');

    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('.upgrade-state[data-state="running"]').waitFor();
    expect((await upgrades()).find((u) => u.id === id)?.state).toBe('running');

    // It runs but nothing moves (the window is closed): once the change its own Resume made has
    // come back on the stream (and been read), the page reads nothing, no polling.
    await page.waitForTimeout(1000);
    const reads: string[] = [];
    const count = (r: { url(): string }) => void (r.url().includes(`/upgrades/${id}`) && reads.push(r.url()));
    page.on('request', count);
    await page.waitForTimeout(3500);
    expect(reads).toEqual([]);
    // Paused through the CLI: the change stream tells the page, which reads the upgrade then, without a page load.
    const loadsBefore = loads;
    await cli(['herd', 'pause', id]);
    await page.locator('.upgrade-state[data-state="paused"]').waitFor();
    page.off('request', count);
    expect(loads).toBe(loadsBefore);
    expect(reads.length).toBeGreaterThanOrEqual(1);

    await page.getByRole('button', { name: 'Abort…' }).click();
    const dialog = page.getByRole('dialog', { name: `Abort herd upgrade ${id}?` });
    await dialog.waitFor();
    // Cancel first: nothing changes.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await upgrades()).find((u) => u.id === id)?.state).toBe('paused');
    await page.getByRole('button', { name: 'Abort…' }).click();
    await dialog.getByLabel(/Also revert the 0 sites it finished/).check();
    await dialog.getByRole('button', { name: 'Abort and revert' }).click();
    await page.locator('.upgrade-state[data-state="aborted"]').waitFor();
    await page.locator('[data-reason]').getByText('aborted, finished sites reverted').waitFor();
    await page.locator('.upgrade-state[data-finished="yes"]').waitFor(wait);
    for (const name of ['Pause', 'Resume', 'Abort…']) expect(await page.getByRole('button', { name, exact: true }).count()).toBe(0);
    expect(await page.locator('.upgrade-facts').innerText()).toMatch(/On abort\s+finished sites reverted/);
    await screenshot(page, 'herd-upgrade-aborted');

    const aborted = ok<Upgrade>(await api().get(`/api/v1/workspaces/${w.ws}/upgrades/${id}`));
    expect(aborted).toMatchObject({ state: 'aborted', options: { revertOnAbort: true } });
    expect(aborted.sites.map((s) => s.step)).toEqual(['pending', 'pending', 'pending']);
    expect(await siteVersions()).toEqual([
      ['s1', '1.1.0'],
      ['s2', '1.1.0'],
      ['s3', '1.1.0'],
    ]);
  }, 300_000);

  it('a staged site waits for approval with its clone named, and Approve cuts it over', async () => {
    await cli(['site', 'create', 'st1', '-a', app, '--version', '1.0.0', '--policy', 'staged']);
    await page.getByRole('link', { name: `Back to ${app}` }).click();
    await page.getByRole('heading', { name: `Application ${app}` }).waitFor();
    await upgradeForm().getByLabel('Upgrade to').selectOption('1.1.0');
    await upgradeForm().getByRole('textbox', { name: 'Sites', exact: true }).fill('name=st1');
    await upgradeForm().getByLabel('Bake').fill('0');
    await page.getByRole('button', { name: 'Start upgrade' }).click();
    await page.getByRole('heading', { name: /^Herd upgrade hup_\S+ of saas-app to 1\.1\.0$/ }).waitFor();
    const row = page.locator('tr[data-site="st1"]');
    await page.locator('tr[data-site="st1"][data-step="awaiting-approval"]').waitFor(wait);
    expect(await row.innerText()).toMatch(/st1\s+0\s+awaiting-approval\s+1\.0\.0\s+clone\s*st1-next/);
    expect((await viaProxy(w.proxyPort, `st1-next.saas.${w.ws}.localhost`, '/index.html')).body).toContain('saas 1.1.0');
    await screenshot(page, 'herd-upgrade-awaiting-approval');
    await row.getByRole('button', { name: 'Approve st1' }).click();
    await page.locator('.upgrade-state[data-state="succeeded"][data-finished="yes"]').waitFor(wait);
    expect(await row.getAttribute('data-step')).toBe('done');
    expect((await viaProxy(w.proxyPort, domain('st1'), '/index.html')).body).toContain('saas 1.1.0');
  }, 300_000);

  it('a staged site: Reject (confirmed; Cancel first) removes its clone and leaves it on its version; Remove (confirmed) takes the site off its domain', async () => {
    const environments = async () => ok<{ environments: { name: string }[] }>(await api().get(`/api/v1/workspaces/${w.ws}/projects/saas/environments`)).environments.map((e) => e.name);
    await cli(['site', 'create', 'st2', '-a', app, '--version', '1.0.0', '--policy', 'staged']);
    await page.getByRole('link', { name: `Back to ${app}` }).click();
    await page.getByRole('heading', { name: `Application ${app}` }).waitFor();
    await upgradeForm().getByLabel('Upgrade to').selectOption('1.1.0');
    await upgradeForm().getByRole('textbox', { name: 'Sites', exact: true }).fill('name=st2');
    await upgradeForm().getByLabel('Bake').fill('0');
    await page.getByRole('button', { name: 'Start upgrade' }).click();
    await page.getByRole('heading', { name: /^Herd upgrade hup_\S+ of saas-app to 1\.1\.0$/ }).waitFor();
    const id = upgradeId();
    const step = async () => ok<Upgrade>(await api().get(`/api/v1/workspaces/${w.ws}/upgrades/${id}`)).sites.find((s) => s.site === 'st2')?.step;
    const row = page.locator('tr[data-site="st2"]');
    await page.locator('tr[data-site="st2"][data-step="awaiting-approval"]').waitFor(wait);
    expect(await environments()).toContain('st2-next');
    await row.getByRole('button', { name: 'Reject st2' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reject 1.1.0 for st2?' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/st2 stays on 1\.0\.0; its clone st2-next is removed with the copy of its data\./);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await step()).toBe('awaiting-approval');
    await row.getByRole('button', { name: 'Reject st2' }).click();
    await dialog.getByRole('button', { name: 'Reject st2' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('tr[data-site="st2"][data-step="rejected"]').waitFor(wait);
    await page.locator('.upgrade-state[data-finished="yes"]').waitFor(wait);
    expect(await step()).toBe('rejected');
    expect(await environments()).not.toContain('st2-next');
    expect(await siteVersions()).toContainEqual(['st2', '1.0.0']);
    expect((await viaProxy(w.proxyPort, domain('st2'), '/index.html')).body).toContain('saas 1.0.0');

    // The site removed from its application's page: its environment and its route go.
    await page.getByRole('link', { name: `Back to ${app}` }).click();
    await page.getByRole('heading', { name: `Application ${app}` }).waitFor();
    await page.locator('tr[data-site="st2"]').getByRole('button', { name: 'Remove site st2' }).click();
    const remove = page.getByRole('dialog', { name: 'Remove site st2?' });
    await remove.getByRole('button', { name: 'Remove st2' }).click();
    await remove.waitFor({ state: 'hidden', ...wait });
    await page.getByRole('status').filter({ hasText: 'Removed site st2.' }).waitFor();
    expect((await siteVersions()).map(([name]) => name)).not.toContain('st2');
    expect(await environments()).not.toContain('st2');
    await expect.poll(async () => (await viaProxy(w.proxyPort, domain('st2'), '/index.html')).body, wait).not.toContain('saas 1.0.0');
    expect((await viaProxy(w.proxyPort, domain('st1'), '/index.html')).body).toContain('saas 1.1.0');
  }, 300_000);

  it('lists an upgrade started and aborted through the CLI as it happens, reading the list only then', async () => {
    await page.getByRole('heading', { name: `Application ${app}` }).waitFor();
    const listPath = `${appUrl()}/upgrades`;
    const reads: string[] = [];
    const count = (r: { url(): string }) => void (new URL(r.url()).pathname === listPath && reads.push(r.url()));
    page.on('request', count);
    const loadsBefore = loads;
    const closed = `${(new Date().getUTCMinutes() + 30) % 60} * * * *`;
    const r = await w.run(['herd', 'upgrade', '-a', app, '--to', '1.0.0', '--allow-downgrade', '--sites', 'name=s1', '--window', closed, '-w', w.ws, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const id = r.json<Upgrade>().id;
    await page.locator(`tr[data-upgrade="${id}"][data-state="running"]`).waitFor();
    // It waits for its window: nothing changes, nothing is read.
    const seen = reads.length;
    await page.waitForTimeout(3500);
    expect(reads).toHaveLength(seen);
    await cli(['herd', 'abort', id]);
    await page.locator(`tr[data-upgrade="${id}"][data-state="aborted"]`).waitFor();
    page.off('request', count);
    expect(loads).toBe(loadsBefore);
    expect(await page.locator(`tr[data-upgrade="${id}"]`).innerText()).toMatch(new RegExp(`^${id}\\s+aborted\\s+aborted\\s+1\\.0\\.0\\s+0 of 1 done`));
  }, 120_000);

  it('fits a 390 px phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const [last] = await upgrades();
    await page.goto(`${w.server.url}/w/${w.ws}/apps/${app}/upgrades/${last!.id}`);
    await page.locator('.upgrade-state[data-finished="yes"]').waitFor();
    await screenshot(page, 'herd-upgrade-phone');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await page.getByRole('link', { name: `Back to ${app}` }).click();
    await page.getByRole('heading', { name: `Application ${app}` }).waitFor();
    await page.locator('tr[data-version="1.1.0"]').waitFor();
    await screenshot(page, 'herd-application-phone');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
  }, 60_000);
});
