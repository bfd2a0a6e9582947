/**
 * What the CLI did and the panel now does too, in Debian's Chromium against a real `slipway
 * server` with the Docker engine and Caddy:
 *
 * - the project's base layer (`config set` / `secret set` without `-e`): a key and a secret set
 *   on the project's Base config page (the secret write-only: cleared once sent, in no page and no
 *   API answer), read back from the API, inherited by dev (no release rolled), overridden in dev
 *   (a release rolls and serves the value), removed from the base;
 * - config history (`config history`): both layers' versions with the keys each touched, paged
 *   back to older versions and forward again;
 * - runtime output (`logs --runtime`): dev's Logs tab shows its container's output with its
 *   replica, follows a new release's containers by itself, stops and follows again, and
 *   reconnects after a restart of the server, both times without showing a line a second time;
 * - promoting without approval (`promote --skip-approval`): a developer who ticks it is refused
 *   with SLW_FORBIDDEN and nothing deploys; an admin's promotion deploys at once and the audit log
 *   records the skipped approval.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, ok } from '../support/api.js';
import { launchBrowser, recordApiResponses, screenshot, type ResponseRecorder, screenshotOnFailure, signIn as signInAt } from '../support/browser.js';
import { deployWorld, viaProxy, type DeployWorld } from '../support/deploy.js';
import { cleanup } from '../support/server-process.js';

const wait = { timeout: 60_000 };
const canary = `canary-base-secret-${process.pid}-${Date.now().toString(36)}`;
let w: DeployWorld;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let recorder: ResponseRecorder;

const api = () => apiClient(w.server.url, w.server.adminToken);
const project = () => `/api/v1/workspaces/${w.ws}/projects/shop`;
const domain = (env: string) => `${env}.shop.${w.ws}.localhost`;

const signIn = (p: Page, token: string) => signInAt(p, w.server.url, token);

beforeAll(async () => {
  w = await deployWorld({ workspace: 'pconf' });
  const first = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--version', '1.0.0', '--json']);
  expect(first.code, first.stderr).toBe(0);
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  recorder = await recordApiResponses(page);
  await signIn(page, w.server.adminToken);
}, 300_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await w?.dispose();
  await cleanup();
}, 120_000);

afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'config-logs-'));

describe('base config, history, runtime output and promoting without approval in the panel', () => {
  it("sets a key and a secret in the project's base layer; dev inherits them without a release", async () => {
    await page.goto(`${w.server.url}/w/${w.ws}/p/shop`);
    await page.getByRole('link', { name: 'Base config' }).click();
    await page.getByRole('heading', { name: 'shop: base config and secrets' }).waitFor();
    await page.getByText('No config keys.').waitFor(wait);
    await page.getByText('No release rolls now').first().waitFor();
    await page.getByLabel('Key', { exact: true }).fill('GREETING');
    await page.getByLabel('Value', { exact: true }).fill('hello from base');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: /Saved as version \d+\./ }).waitFor(wait);
    const row = page.locator('tr[data-key="GREETING"]');
    await row.waitFor();
    expect(await row.innerText()).toMatch(/GREETING\s+hello from base\s+project base/);

    await page.getByLabel('Name').fill('BASE_TOKEN');
    await page.getByLabel('Value (write-only)').fill(canary);
    await page.getByRole('button', { name: 'Save secret' }).click();
    await page.locator('tr[data-secret="BASE_TOKEN"]', { hasText: 'project base' }).waitFor(wait);
    expect(await page.getByLabel('Value (write-only)').inputValue()).toBe('');
    expect(await page.content()).not.toContain(canary);
    await screenshot(page, 'base-config');

    const base = ok<{ entries: Array<{ key: string; value: string; layer: string }> }>(await api().get(`${project()}/config`));
    expect(base.entries).toEqual([{ key: 'GREETING', value: 'hello from base', layer: 'base' }]);
    const secrets = ok<{ secrets: Array<{ name: string; layer: string }> }>(await api().get(`${project()}/secrets`));
    expect(secrets.secrets.map((s) => [s.name, s.layer])).toEqual([['BASE_TOKEN', 'base']]);
    // No release rolled: dev still runs its first.
    const releases = ok<{ releases: unknown[] }>(await api().get(`${project()}/environments/dev/releases`));
    expect(releases.releases).toHaveLength(1);

    await page.goto(`${w.server.url}/w/${w.ws}/p/shop/e/dev/config`);
    await page.locator('tr[data-key="GREETING"]', { hasText: 'project base' }).getByRole('button', { name: 'Override in dev GREETING' }).waitFor(wait);
    await page.getByRole('link', { name: 'Secrets' }).click();
    await page.locator('tr[data-secret="BASE_TOKEN"]', { hasText: 'project base' }).waitFor(wait);
  }, 120_000);

  it('overrides the key in dev (a release rolls and serves it); the history shows both layers and pages back', async () => {
    await page.getByRole('link', { name: 'Config' }).click();
    await page.locator('tr[data-key="GREETING"]').getByRole('button', { name: 'Override in dev GREETING' }).click();
    await page.getByLabel('Value', { exact: true }).fill('hello from dev');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'is rolling out' }).waitFor(wait);
    await page.locator('tr[data-key="GREETING"]', { hasText: 'hello from dev' }).waitFor(wait);
    await expect.poll(async () => (await viaProxy(w.proxyPort, domain('dev'))).body, { timeout: 60_000, interval: 500 }).toBe('hello from dev | built once\n');

    const history = page.locator('section[data-config-history]');
    const rows = history.locator('tr[data-config-version]');
    await expect.poll(() => rows.count(), wait).toBe(2);
    expect(await rows.nth(0).innerText()).toMatch(/dev\s+just now\s+admin@slipway\.local\s+added GREETING/);
    expect(await rows.nth(1).innerText()).toMatch(/project base\s+just now\s+admin@slipway\.local\s+added GREETING/);
    expect(await history.getByRole('button', { name: 'Older versions' }).count()).toBe(0);

    // 20 more base versions: the newest page holds those 20, the two GREETING versions are on the next one.
    for (let i = 0; i < 20; i++) ok(await api().patch(`${project()}/config`, { set: { [`K${i}`]: String(i) } }));
    await page.reload();
    await history.locator('tr', { hasText: 'added K19' }).waitFor(wait);
    expect(await rows.count()).toBe(20);
    expect(await rows.nth(0).innerText()).toMatch(/project base.*added K19/s);
    expect(await rows.nth(19).innerText()).toMatch(/project base.*added K0/s);
    await history.getByRole('button', { name: 'Older versions' }).click();
    await history.locator('tr', { hasText: 'added K19' }).waitFor({ state: 'detached', ...wait });
    await expect.poll(() => rows.count(), wait).toBe(2);
    expect(await rows.nth(0).innerText()).toMatch(/dev.*added GREETING/s);
    expect(await rows.nth(1).innerText()).toMatch(/project base.*added GREETING/s);
    expect(await history.getByRole('button', { name: 'Older versions' }).count()).toBe(0);
    await screenshot(page, 'config-history-older');
    await history.getByRole('button', { name: 'Newest versions' }).click();
    await history.locator('tr', { hasText: 'added K19' }).waitFor(wait);
  }, 180_000);

  it('removes the key from the base layer; its history says so and dev keeps its own value', async () => {
    await page.getByRole('link', { name: 'edit the base layer' }).click();
    await page.getByRole('heading', { name: 'shop: base config and secrets' }).waitFor();
    await page.locator('tr[data-key="GREETING"]').getByRole('button', { name: 'Remove GREETING' }).click();
    await page.locator('section[data-config-history] tr', { hasText: 'removed GREETING' }).first().waitFor(wait);
    // The history and the table are read again separately: wait for the table too.
    await expect.poll(() => page.locator('tr[data-key="GREETING"]').count(), wait).toBe(0);
    const dev = ok<{ entries: Array<{ key: string; value: string; layer: string }> }>(await api().get(`${project()}/environments/dev/config`));
    expect(dev.entries.find((e) => e.key === 'GREETING')).toEqual({ key: 'GREETING', value: 'hello from dev', layer: 'environment' });
  }, 60_000);

  it("follows dev's container output, and a new release's containers by itself", async () => {
    await page.goto(`${w.server.url}/w/${w.ws}/p/shop/e/dev/logs`);
    const output = page.getByRole('list', { name: 'Output of dev' });
    const listening = output.locator('li[data-replica]', { hasText: 'listening on 8080' });
    await listening.first().waitFor(wait);
    const first = (await listening.first().getAttribute('data-replica')) ?? '';
    expect(first).toMatch(new RegExp(`^slw-${w.ws}-shop-dev-r\\d+-1$`));
    await page.getByRole('status').filter({ hasText: 'Following live.' }).waitFor();
    await screenshot(page, 'runtime-logs');

    // A config change rolls a new release: the tab moves on to its container by itself.
    ok(await api().patch(`${project()}/environments/dev/config?restart=true`, { set: { GREETING: 'hello again' } }));
    await output.getByText('a new release rolled out: following its containers').waitFor(wait);
    await expect.poll(async () => new Set(await listening.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-replica')))).size, wait).toBe(2);
    const replicas = await listening.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-replica')));
    expect(replicas.at(-1)).not.toBe(first);
    expect(replicas.at(-1)).toMatch(new RegExp(`^slw-${w.ws}-shop-dev-r\\d+-1$`));

    // The tab fits a 390 px phone: long lines wrap inside the log, the page does not widen.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(page, 'runtime-logs-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('button', { name: 'Stop following' }).click();
    await page.getByRole('status').filter({ hasText: 'Not following.' }).waitFor();
    await page.getByRole('button', { name: 'Follow again' }).click();
    await output.getByText('following again').waitFor();
    await page.getByRole('status').filter({ hasText: 'Following live.' }).waitFor(wait);
    // Following again starts with the container's last lines (as a reconnect does): those shown already are not shown twice.
    const latest = replicas.at(-1)!;
    const shownBefore = await output.locator(`li[data-replica="${latest}"]`).allInnerTexts();
    await page.waitForTimeout(2000);
    expect(await output.locator(`li[data-replica="${latest}"]`).allInnerTexts()).toEqual(shownBefore);
    expect(await output.locator(`li[data-replica="${latest}"]`, { hasText: 'listening on 8080' }).count()).toBe(1);

    // A real reconnect: the server restarts (its streams end without their end; the containers keep
    // running). The tab reconnects, the server sends the container's last lines again, none shows twice.
    await w.server.stop();
    await page.getByRole('status').filter({ hasText: 'Connection lost, reconnecting…' }).waitFor(wait);
    await w.restart();
    await output.getByText('reconnected: resuming after the last line shown').waitFor(wait);
    await page.getByRole('status').filter({ hasText: 'Following live.' }).waitFor(wait);
    await page.waitForTimeout(2000);
    expect(await output.locator(`li[data-replica="${latest}"]`).allInnerTexts()).toEqual(shownBefore);
    expect(await output.locator(`li[data-replica="${latest}"]`, { hasText: 'listening on 8080' }).count()).toBe(1);
  }, 240_000);

  it("a developer's promotion without approval is refused; an admin's deploys at once and is audited", async () => {
    const promoted = ok<{ deployment: { id: string } | null }>(await api().post(`${project()}/promotions`, { from: 'dev', to: 'staging' }));
    expect(promoted.deployment).not.toBeNull();
    expect((await w.run(['logs', promoted.deployment!.id, '-w', w.ws, '--follow'])).code).toBe(0);

    const dave = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    try {
      await signIn(dave, w.developer);
      await dave.goto(`${w.server.url}/w/${w.ws}/p/shop`);
      await dave.locator('[data-environment="staging"]').getByRole('button', { name: 'Promote to prod →' }).click();
      const dialog = dave.getByRole('dialog', { name: 'Promote staging → prod' });
      await dialog.getByText('requires approval').waitFor(wait);
      expect(await dialog.getByRole('button', { name: 'Ask to promote to prod' }).count()).toBe(1);
      await dialog.getByLabel(/Promote at once without approval/).check();
      await dialog.getByRole('button', { name: 'Promote to prod' }).click();
      await dialog.getByRole('alert').filter({ hasText: 'SLW_FORBIDDEN' }).waitFor(wait);
    } finally {
      await dave.context().close();
    }
    const nothing = ok<{ releases: unknown[] }>(await api().get(`${project()}/environments/prod/releases`));
    expect(nothing.releases).toHaveLength(0);

    await page.goto(`${w.server.url}/w/${w.ws}/p/shop`);
    await page.locator('[data-environment="staging"]').getByRole('button', { name: 'Promote to prod →' }).click();
    const dialog = page.getByRole('dialog', { name: 'Promote staging → prod' });
    await dialog.getByText('requires approval').waitFor(wait);
    await dialog.getByLabel(/Promote at once without approval/).check();
    await screenshot(page, 'promote-skip-approval');
    await dialog.getByRole('button', { name: 'Promote to prod' }).click();
    await page.waitForURL(/\/deployments\//, wait);
    await page.locator('.deploy-status', { hasText: 'succeeded' }).waitFor(wait);
    // prod has no GREETING of its own and the base layer's is gone: the app's default.
    expect((await viaProxy(w.proxyPort, domain('prod'))).body).toBe('hello | built once\n');
    const audit = ok<{ events: Array<{ action: string; actor: { email: string | null } }> }>(await api().get(`/api/v1/workspaces/${w.ws}/audit?action=promotion.skip-approval`));
    expect(audit.events.map((e) => [e.action, e.actor.email])).toEqual([['promotion.skip-approval', 'admin@slipway.local']]);
  }, 180_000);

  it('no API answer the browser received held the base secret', async () => {
    const responses = await recorder.responses();
    expect(responses.some((r) => r.url.includes('/secrets'))).toBe(true);
    for (const r of responses) expect(r.body, r.url).not.toContain(canary);
  });
});
