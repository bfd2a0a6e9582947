/**
 * The web panel end to end: Debian's Chromium (headless, playwright-core) against a real
 * `slipway server` with the Docker engine and Caddy. A developer and an admin sign in in two
 * browsers; the developer promotes dev → staging and asks to promote to prod, the admin
 * approves and watches the live log reach "succeeded", changes prod's config and rolls prod
 * back; every state change shows up in the other browser without a reload. A token of another
 * workspace sees none of it, and no API response the browsers received holds a secret value.
 * Screenshots go to test-results/panel/ (not committed).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient } from '../support/api.js';
import { launchBrowser, recordApiResponses, screenshot, type ResponseRecorder, screenshotOnFailure } from '../support/browser.js';
import { deployWorld, viaProxy, type DeployWorld } from '../support/deploy.js';
import { workspaceToken } from '../support/fixtures.js';
import { cleanup } from '../support/server-process.js';

let w: DeployWorld;
let browser: Browser;
const contexts: BrowserContext[] = [];
const recorders: ResponseRecorder[] = [];
const loads = new Map<Page, number>();
const cliSecret = `cli-secret-${randomBytes(12).toString('hex')}`;
const panelSecret = `panel-secret-${randomBytes(12).toString('hex')}`;
const domain = (env: string) => `${env}.shop.${w.ws}.localhost`;
const wait = { timeout: 60_000 };

/** A new browser (own session storage) on the panel, its responses recorded, its page loads counted. */
async function openPanel(viewport = { width: 1280, height: 860 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  contexts.push(context);
  const page = await context.newPage();
  recorders.push(await recordApiResponses(page));
  loads.set(page, 0);
  page.on('load', () => loads.set(page, (loads.get(page) ?? 0) + 1));
  await page.goto(w.server.url);
  return page;
}

async function signIn(page: Page, token: string): Promise<void> {
  // Keyboard only: the token field has focus on arrival, Enter submits.
  await page.getByLabel('API token').waitFor();
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

async function openPipeline(page: Page): Promise<void> {
  await page.getByRole('link', { name: w.ws, exact: true }).click();
  await page.getByRole('link', { name: 'shop', exact: true }).click();
  await page.locator('[data-environment="dev"]').waitFor();
}

const card = (page: Page, env: string) => page.locator(`[data-environment="${env}"]`);

async function waitForSucceeded(page: Page): Promise<void> {
  await page.waitForURL(/\/deployments\//, wait);
  await page.locator('.deploy-status', { hasText: 'succeeded' }).waitFor(wait);
  await page.getByRole('list', { name: 'Deploy log' }).getByText(/is live/).waitFor(wait);
}

beforeAll(async () => {
  w = await deployWorld({ workspace: 'panel' });
  for (const env of ['dev', 'staging', 'prod']) {
    const set = await w.run(['config', 'set', `GREETING=hello from ${env}`, '-w', w.ws, '-p', 'shop', '-e', env, '--no-restart', '--json']);
    expect(set.code, set.stderr).toBe(0);
  }
  const secret = await w.cli(['secret', 'set', 'API_KEY', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--no-restart', '--json'], cliSecret);
  expect(secret.code, secret.stderr).toBe(0);
  const dev = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--version', '1.0.0', '--json'], w.developer);
  expect(dev.code, dev.stderr).toBe(0);
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await w?.dispose();
  await cleanup();
}, 120_000);

// A failed step leaves a screenshot of every open page, to see what the browser showed.
afterEach((ctx) => screenshotOnFailure(ctx, loads.keys()));

describe('the web panel', () => {
  let dave: Page; // developer: asks for promotions
  let ada: Page; // admin: approves, changes config, rolls back

  it('signs in with an API token and shows dev, staging and prod of a project side by side', async () => {
    ada = await openPanel();
    await signIn(ada, w.approver);
    await openPipeline(ada);
    dave = await openPanel();
    await signIn(dave, w.developer);
    await openPipeline(dave);
    expect(await dave.locator('.pipeline > li').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-environment')))).toEqual(['dev', 'staging', 'prod']);
    await card(dave, 'dev').locator('.version', { hasText: '1.0.0' }).waitFor();
    await card(dave, 'dev').getByText('healthy').waitFor();
    expect(await card(dave, 'staging').textContent()).toContain('Nothing deployed yet');
    expect(await card(dave, 'staging').textContent()).toContain('dev has a release, this has none');
  }, 120_000);

  it('promotes dev → staging after showing what changes; the other browser sees it without a reload', async () => {
    await card(dave, 'dev').getByRole('button', { name: 'Promote to staging →' }).click();
    const dialog = dave.getByRole('dialog', { name: 'Promote dev → staging' });
    await dialog.getByText('GREETING').waitFor();
    expect(await dialog.textContent()).toContain('1.0.0');
    await dialog.getByRole('button', { name: 'Promote to staging' }).click();
    await waitForSucceeded(dave);
    await card(ada, 'staging').locator('.version', { hasText: '1.0.0' }).waitFor(wait);
    expect((await viaProxy(w.proxyPort, domain('staging'))).body).toBe('hello from staging | built once\n');
  }, 120_000);

  it('asks to promote to prod; the admin sees who asked, approves, and watches the live log reach succeeded', async () => {
    await dave.getByRole('link', { name: 'Back to the pipeline' }).click();
    await card(dave, 'staging').getByRole('button', { name: 'Promote to prod →' }).click();
    const dialog = dave.getByRole('dialog', { name: 'Promote staging → prod' });
    await dialog.getByText('requires approval').waitFor();
    expect(await dialog.textContent()).toContain('API_KEY');
    await dialog.getByRole('button', { name: 'Ask to promote to prod' }).click();
    await dialog.getByText('Asked for approval').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    // The developer may not approve their own request: the API's error is shown with its code.
    await dave.getByRole('button', { name: 'Approve prod' }).click();
    await dave.getByRole('alert').filter({ hasText: 'SLW_FORBIDDEN' }).waitFor();

    const pending = ada.locator('[data-promotion]');
    await pending.filter({ hasText: 'dave@example.com' }).waitFor(wait);
    await card(ada, 'prod').getByText('promotion waits for approval').waitFor();
    await screenshot(ada, 'pipeline-waiting-for-approval');
    await pending.getByRole('button', { name: 'Approve prod' }).click();
    await ada.waitForURL(/\/deployments\//, wait);
    await ada.getByRole('list', { name: 'Steps' }).waitFor(wait);
    await waitForSucceeded(ada);
    await screenshot(ada, 'deploy-live-log');
    expect((await viaProxy(w.proxyPort, domain('prod'))).body).toBe('hello from prod | built once\n');
    await card(dave, 'prod').locator('.version', { hasText: '1.0.0' }).waitFor(wait);
    await card(dave, 'prod').getByText('healthy').waitFor(wait);
    await screenshot(dave, 'pipeline');
  }, 180_000);

  it("edits prod's config (a new release rolls) and rolls prod back to release #1 after a confirmation", async () => {
    await ada.getByRole('link', { name: 'Back to the pipeline' }).click();
    await card(ada, 'prod').getByRole('link', { name: 'Config' }).click();
    const greeting = ada.locator('tr[data-key="GREETING"]');
    await greeting.waitFor();
    expect(await greeting.textContent()).toContain('hello from prod');
    await greeting.getByRole('button', { name: /^Edit/ }).click();
    await ada.getByLabel('Value').fill('hello again from prod');
    await ada.getByRole('button', { name: 'Save' }).click();
    await ada.getByRole('link', { name: 'watch the live log' }).click();
    await waitForSucceeded(ada);
    expect((await viaProxy(w.proxyPort, domain('prod'))).body).toBe('hello again from prod | built once\n');
    await card(dave, 'prod').getByText('#2').waitFor(wait);

    await ada.getByRole('link', { name: 'releases of prod' }).click();
    await ada.getByRole('button', { name: 'Roll back to #1' }).click();
    const dialog = ada.getByRole('dialog', { name: 'Roll prod back to release #1?' });
    expect(await dialog.textContent()).toMatch(/image 1\.0\.0.*config version \d+.*API_KEY v1/s);
    // prod requires approval: an admin may roll back at once, and says so.
    await dialog.getByLabel(/Roll back at once/).check();
    await dialog.getByRole('button', { name: 'Roll back to #1' }).click();
    await waitForSucceeded(ada);
    expect((await viaProxy(w.proxyPort, domain('prod'))).body).toBe('hello from prod | built once\n');
    // Dave's page follows on its own: release #3, the rollback (its card says "running release #3" while it rolls: wait for the end).
    await expect.poll(async () => (await card(dave, 'prod').textContent()) ?? '', wait).toMatch(/Release#3 ·.*\(rollback\)/s);
  }, 180_000);

  it('scales prod now, without a new release', async () => {
    await ada.getByRole('link', { name: 'releases of prod' }).click();
    const form = ada.getByRole('form', { name: 'Scale prod' });
    await form.getByLabel('Replicas').fill('2');
    await form.getByRole('button', { name: 'Scale now' }).click();
    await waitForSucceeded(ada);
    await card(dave, 'prod').getByText('2/2 ready').waitFor(wait);
    const running = (await w.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.environment=prod'])).split('\n').filter(Boolean);
    expect(running).toHaveLength(2);
  }, 180_000);

  it('sets a secret write-only, and lists images, releases and the audit log', async () => {
    await ada.getByRole('link', { name: 'releases of prod' }).click();
    await ada.getByRole('link', { name: 'Secrets' }).click();
    await ada.locator('tr[data-secret="API_KEY"]', { hasText: 'v1' }).waitFor();
    await ada.getByRole('link', { name: 'shop', exact: true }).click();
    await card(ada, 'staging').getByRole('link', { name: 'staging', exact: true }).click();
    await ada.getByRole('link', { name: 'Secrets' }).click();
    await ada.getByLabel('Name').fill('PAYMENT_KEY');
    await ada.getByLabel('Value (write-only)').fill(panelSecret);
    await ada.getByLabel(/Roll a new release now/).uncheck();
    await ada.getByRole('button', { name: 'Save secret' }).click();
    await ada.locator('tr[data-secret="PAYMENT_KEY"]', { hasText: 'v1' }).waitFor();
    expect(await ada.getByLabel('Value (write-only)').inputValue()).toBe('');

    await ada.goto(`${w.server.url}/w/${w.ws}/p/shop/images`);
    const image = ada.locator('tr[data-digest]', { hasText: '1.0.0' });
    await image.waitFor();
    for (const env of ['dev', 'staging', 'prod']) await image.locator('.badge', { hasText: env }).waitFor();
    // Deploying a version, as `slipway deploy --version` does.
    await image.getByRole('button', { name: 'Deploy…' }).click();
    const deploy = ada.getByRole('dialog', { name: 'Deploy 1.0.0' });
    await deploy.getByLabel('Environment').selectOption('dev');
    await deploy.getByRole('button', { name: 'Deploy to dev' }).click();
    await waitForSucceeded(ada);

    await ada.goto(`${w.server.url}/w/${w.ws}/audit`);
    await ada.getByLabel('Action').fill('promotion.*');
    await ada.getByRole('button', { name: 'Apply filters' }).click();
    await ada.locator('tbody tr', { hasText: 'promotion.approve' }).waitFor();
    expect(await ada.locator('tbody tr', { hasText: 'secret.' }).count()).toBe(0);
  }, 120_000);

  it('rejects a promotion with a reason, which the requester sees without a reload', async () => {
    await card(dave, 'staging').getByRole('button', { name: 'Promote to prod →' }).click();
    const dialog = dave.getByRole('dialog', { name: 'Promote staging → prod' });
    await dialog.getByRole('button', { name: 'Ask to promote to prod' }).click();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await ada.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: w.ws, exact: true }).click();
    await ada.getByRole('link', { name: 'shop', exact: true }).click();
    await ada.locator('[data-promotion]').getByRole('button', { name: 'Reject' }).click();
    const reject = ada.getByRole('dialog', { name: /^Reject/ });
    await reject.getByLabel(/Reason/).fill('freeze until Monday');
    await reject.getByRole('button', { name: 'Reject promotion' }).click();
    await dave.getByRole('listitem').filter({ hasText: 'freeze until Monday' }).filter({ hasText: 'rejected' }).waitFor(wait);
    expect(await dave.locator('[data-promotion]').count()).toBe(0);
  }, 120_000);

  it('changed state in place: neither browser reloaded the page while following the pipeline', () => {
    expect(loads.get(dave)).toBe(1);
  });

  it('is labelled for screen readers and fits a phone', async () => {
    const phone = await openPanel({ width: 390, height: 844 });
    await signIn(phone, w.developer);
    await openPipeline(phone);
    // In the page (a string: this file is compiled without the DOM types).
    const unlabelled = await phone.evaluate(`[...document.querySelectorAll('button, input, a')].filter((el) =>
      el.textContent.trim() === '' && !el.getAttribute('aria-label') && !(el.labels && el.labels.length > 0)).length`);
    expect(unlabelled).toBe(0);
    expect(await phone.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(phone, 'pipeline-phone');
  }, 120_000);

  it("a token of another workspace sees none of this workspace", async () => {
    const admin = apiClient(w.server.url, w.server.adminToken);
    await admin.post('/api/v1/workspaces', { name: 'elsewhere', tier: 'high' });
    const other = (await workspaceToken(admin, 'elsewhere', 'owner')).api.token!;
    const page = await openPanel();
    const recorder = recorders[recorders.length - 1]!;
    await signIn(page, other);
    await page.getByRole('link', { name: 'elsewhere', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: w.ws, exact: true }).count()).toBe(0);
    await page.goto(`${w.server.url}/w/${w.ws}/p/shop`);
    await page.getByRole('alert').filter({ hasText: 'SLW_' }).first().waitFor();
    expect(await page.locator('[data-environment]').count()).toBe(0);
    const seen = (await recorder.responses()).map((r) => r.body).join('\n');
    expect(seen).not.toContain(domain('prod'));
    expect(seen).not.toContain('1.0.0');
    expect(seen).not.toContain('dave@example.com');
  }, 120_000);

  it('no API response any browser received held a secret value', async () => {
    const responses = (await Promise.all(recorders.map((r) => r.responses()))).flat();
    expect(responses.length).toBeGreaterThan(50);
    expect(responses.some((r) => r.mimeType === 'text/event-stream' && r.body.includes('event: change'))).toBe(true);
    expect(responses.some((r) => r.url.includes('/secrets'))).toBe(true);
    for (const r of responses) {
      expect(r.body, r.url).not.toContain(cliSecret);
      expect(r.body, r.url).not.toContain(panelSecret);
    }
  });
});
