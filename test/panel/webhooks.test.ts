/**
 * The project view's webhook in Debian's Chromium against a real `slipway server`: create the
 * hook (its secret shown once, in no later API answer), deliveries signed as GitHub signs them
 * listed with what each did, a replay from the panel, and the preview environment a pull
 * request made listed apart from the promotion pipeline. Its settings (image source, branch
 * patterns, preview lifetime, previews off: a new request makes none) set in the form and read
 * back; deleted after a confirmation, its URL answers 404. (The server runs without an edge proxy:
 * the preview's deploy itself is not what this test looks at; test/webhooks covers it.)
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient, ok } from '../support/api.js';
import { launchBrowser, recordApiResponses, screenshot, type ResponseRecorder, screenshotOnFailure } from '../support/browser.js';
import { withSqliteStore } from '../support/fixtures.js';
import { cleanup, startServerProcess, type ServerProcess } from '../support/server-process.js';
import { delivery, pullRequestPayload, pushPayload, send, zeroSha } from '../support/webhook-sender.js';
import { commitImageTag } from '../../src/core/webhooks.js';
import { repositoryOfProject } from '../../src/registry/repositories.js';

const ws = 'hookpanel';
const wait = { timeout: 60_000 };
const head = 'a1'.repeat(20);
let server: ServerProcess;
let browser: Browser;
let page: Page;
let recorder: ResponseRecorder;

beforeAll(async () => {
  server = await startServerProcess();
  const admin = apiClient(server.url, server.adminToken);
  ok(await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
  ok(await admin.post(`/api/v1/workspaces/${ws}/projects`, { name: 'shop' }));
  // What CI would have pushed for the request's head commit: a tag in the project's repository.
  await withSqliteStore(join(server.dataDir, 'slipway.db'), async (db) => {
    const w = await db.selectFrom('workspaces').selectAll().where('name', '=', ws).executeTakeFirstOrThrow();
    const p = await db.selectFrom('projects').selectAll().where('name', '=', 'shop').executeTakeFirstOrThrow();
    const repo = await repositoryOfProject(db, w, p);
    const now = new Date().toISOString();
    await db.insertInto('registry_tags').values({ repository_id: repo.id, tag: commitImageTag(head), digest: `sha256:${'ab'.repeat(32)}`, created_at: now, updated_at: now }).execute();
  });
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
  recorder = await recordApiResponses(page);
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  await cleanup();
}, 60_000);

afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'webhooks-'));

describe('the webhook in the panel', () => {
  it('creates the hook, shows its secret once, lists deliveries, replays one, and lists the preview apart', async () => {
    await page.goto(server.url);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: ws, exact: true }).click();
    await page.getByRole('link', { name: 'shop', exact: true }).click();
    const section = page.locator('[data-webhook]');
    await section.getByLabel('Provider').selectOption('github');
    await section.getByRole('button', { name: 'Create webhook' }).click();
    const secret = (await section.locator('[data-hook-secret] code').textContent({ timeout: 60_000 })) ?? '';
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const url = (await section.locator('[data-hook-url]').textContent()) ?? '';
    expect(url).toMatch(/\/hooks\/hook_/);
    // Previews from the images CI pushes, set in the hook's settings (as git hook --from image --branch-envs).
    await section.getByText('Webhook settings', { exact: true }).click();
    expect(await section.getByLabel('Image of a push').inputValue()).toBe('build');
    await section.getByLabel('Image of a push').selectOption('image');
    await section.getByLabel('Branch environments for (patterns)').fill('feature/*, fix/*');
    await section.getByLabel('A preview lives (hours after its last update)').fill('24');
    await section.getByRole('button', { name: 'Save webhook settings' }).click();
    await section.getByRole('status').filter({ hasText: 'Webhook settings saved.' }).waitFor(wait);
    await section.getByText('images from CI (tag git-<12 hex>)').waitFor(wait);
    const hookUrl = `/api/v1/workspaces/${ws}/projects/shop/hook`;
    const stored = async () => ok<{ hook: { source: string; branchEnvs: string[]; previews: boolean; previewTtlSeconds: number } | null }>(await apiClient(server.url, server.adminToken).get(hookUrl)).hook;
    expect(await stored()).toMatchObject({ source: 'image', branchEnvs: ['feature/*', 'fix/*'], previews: true, previewTtlSeconds: 86_400 });
    // The secret shown once is still on screen after saving the settings.
    expect(await section.locator('[data-hook-secret] code').textContent()).toBe(secret);
    await section.getByRole('button', { name: 'Rotate secret' }).click();
    await expect.poll(async () => section.locator('[data-hook-secret] code').textContent(), wait).not.toBe(secret);
    const rotated = (await section.locator('[data-hook-secret] code').textContent()) ?? '';
    expect(rotated).toMatch(/^[0-9a-f]{64}$/);

    // Deliveries signed with the current secret: a push to an unused branch (ignored) and a pull request.
    const push = pushPayload('github', 'chore/x', zeroSha, 'b'.repeat(40));
    expect((await send(url, delivery('github', push.event, push.payload, rotated))).status).toBe(202);
    const pr = pullRequestPayload('github', 'opened', 5, 'feature/p', head);
    expect((await send(url, delivery('github', pr.event, pr.payload, rotated))).status).toBe(202);
    expect((await send(url, delivery('github', pr.event, pr.payload, secret))).status).toBe(401);

    await section.getByRole('button', { name: 'Refresh' }).click();
    await section.locator('tr[data-delivery]').getByText('processed').waitFor(wait);
    await section.locator('tr[data-delivery]').getByText('ignored').waitFor(wait);
    await page.getByRole('list', { name: 'Branch and preview environments' }).locator('[data-environment="pr-5"]').waitFor(wait);
    await section.locator('tr[data-following="pr-5"]').getByText('preview').waitFor(wait);
    expect(await page.getByRole('list', { name: 'Environments in promotion order' }).locator('[data-environment="pr-5"]').count()).toBe(0);

    const ignoredRow = section.locator('tr[data-delivery]', { hasText: 'chore/x' });
    await ignoredRow.getByRole('button', { name: /Replay delivery/ }).click();
    const admin = apiClient(server.url, server.adminToken);
    const until = Date.now() + 30_000;
    for (;;) {
      const list = ok<{ deliveries: Array<{ ref: string | null; attempts: number; status: string }> }>(await admin.get(`/api/v1/workspaces/${ws}/projects/shop/deliveries`));
      const d = list.deliveries.find((x) => x.ref === 'chore/x');
      if (d?.attempts === 2 && d.status === 'ignored') break;
      if (Date.now() > until) throw new Error(`replay not processed: ${JSON.stringify(d)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await screenshot(page, 'webhooks');
    await page.reload();
    await page.locator('[data-webhook]').getByText('Rotate secret').waitFor(wait);
    expect(await page.content()).not.toContain(rotated);
    // Only the answer of the rotation itself (it has `created`) holds the secret.
    for (const r of await recorder.responses()) if (!r.body.includes('"created"')) expect(r.body, r.url).not.toContain(rotated);
  }, 180_000);

  it('turns previews off (a new request makes none), then deletes the hook after a confirmation: its URL answers 404', async () => {
    const section = page.locator('[data-webhook]');
    const url = (await section.locator('[data-hook-url]').textContent()) ?? '';
    const hookUrl = `/api/v1/workspaces/${ws}/projects/shop/hook`;
    await section.getByText('Webhook settings', { exact: true }).click();
    expect(await section.getByLabel('Image of a push').inputValue()).toBe('image');
    await section.getByLabel('Preview environments for pull and merge requests').uncheck();
    expect(await section.getByLabel('A preview lives (hours after its last update)').isDisabled()).toBe(true);
    await section.getByRole('button', { name: 'Save webhook settings' }).click();
    await section.getByRole('status').filter({ hasText: 'Webhook settings saved.' }).waitFor(wait);
    await section.getByText('previews off').waitFor(wait);
    expect(ok<{ hook: { previews: boolean } }>(await apiClient(server.url, server.adminToken).get(hookUrl)).hook.previews).toBe(false);
    // The secret is not on the page any more: rotate to sign one more request.
    await section.getByRole('button', { name: 'Rotate secret' }).click();
    const secret = (await section.locator('[data-hook-secret] code').textContent({ timeout: 60_000 })) ?? '';
    const pr = pullRequestPayload('github', 'opened', 6, 'feature/q', head);
    expect((await send(url, delivery('github', pr.event, pr.payload, secret))).status).toBe(202);
    await section.getByRole('button', { name: 'Refresh' }).click();
    await section.locator('tr[data-delivery]', { hasText: 'feature/q' }).getByText('ignored').waitFor(wait);
    expect(await page.locator('[data-environment="pr-6"]').count()).toBe(0);

    await section.getByRole('button', { name: 'Delete webhook…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the webhook?' });
    await dialog.getByText('Its URL answers 404 from then on').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(ok<{ hook: unknown }>(await apiClient(server.url, server.adminToken).get(hookUrl)).hook).not.toBeNull();
    await section.getByRole('button', { name: 'Delete webhook…' }).click();
    await dialog.getByRole('button', { name: 'Delete webhook' }).click();
    await section.getByRole('button', { name: 'Create webhook' }).waitFor(wait);
    expect(ok<{ hook: unknown }>(await apiClient(server.url, server.adminToken).get(hookUrl)).hook).toBeNull();
    expect((await send(url, delivery('github', pr.event, pr.payload, secret))).status).toBe(404);
    // The preview environment it made stays.
    await page.locator('[data-environment="pr-5"]').waitFor(wait);
  }, 120_000);
});
