/**
 * The panel's services views in Debian's Chromium against a real `slipway server` and the
 * machine's real Redis: an admin adopts Redis through the form (its admin URL, with a canary
 * password, is write-only: cleared after submit, in no page HTML and no API answer), attaches it
 * to an environment that never deployed (stored without rolling a release), sees the injected
 * variable names, rotates (generation 2), backs the prefix up and restores it (a key written
 * after the backup is gone, the one before is back; a developer's restore is refused with
 * SLW_FORBIDDEN), is refused removing the attached service (the API's
 * code shown in the confirmation), detaches with drop data after typing the name (the sweep
 * finishes it: the ACL users and the keys under the prefix are gone; the tab hears it on the
 * change stream), attaches it again and restores the detached attachment's backup into the new
 * attachment from the service's page (Restore into…: the key is back under the new prefix), finds
 * the detached attachment's backup on the service's page and removes it,
 * removes the service, and finds each action in the audit log. A backup, and a
 * service adopted and removed, through the API show up in the open page without a load (the
 * change stream).
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient, ok } from '../support/api.js';
import { workspaceToken } from '../support/fixtures.js';
import { launchBrowser, recordApiResponses, screenshot, type ResponseRecorder, screenshotOnFailure } from '../support/browser.js';
import { cleanup, startServerProcess, type ServerProcess } from '../support/server-process.js';

const ws = 'svcpanel';
const adminUser = `slwpanel_${process.pid}`;
const canary = `canary-redis-${process.pid}-${Date.now().toString(36)}`;
const adminUrl = `redis://${adminUser}:${canary}@127.0.0.1:6379`;
const wait = { timeout: 60_000 };
let server: ServerProcess;
let browser: Browser;
let page: Page;
let recorder: ResponseRecorder;
let redis: Redis;
let developerToken: string;

/** The page's HTML holds neither the admin URL nor its password. */
async function expectNoSecretInPage(): Promise<void> {
  const html = await page.content();
  expect(html).not.toContain(canary);
  expect(html).not.toContain(adminUrl);
}

beforeAll(async () => {
  // An admin user of its own, so the admin URL carries a password to look for.
  redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
  await redis.connect();
  await redis.call('ACL', 'SETUSER', adminUser, 'reset', 'on', `>${canary}`, '~*', '&*', '+@all');
  server = await startServerProcess({ args: ['--allow-service-host', '127.0.0.1'] });
  const admin = apiClient(server.url, server.adminToken);
  ok(await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
  ok(await admin.post(`/api/v1/workspaces/${ws}/projects`, { name: 'shop' }));
  ok(await admin.post(`/api/v1/workspaces/${ws}/members`, { email: 'dave@example.com', role: 'developer' }));
  developerToken = (await workspaceToken(admin, ws, 'developer', 'dave@example.com')).api.token;
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  recorder = await recordApiResponses(page);
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  await redis?.call('ACL', 'DELUSER', adminUser).catch(() => undefined);
  redis?.disconnect();
  await cleanup();
}, 60_000);

afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'services-'));

const row = () => page.locator('tr[data-attachment="cache"]');

describe('services in the panel', () => {
  it('adopts Redis through the form; the admin URL is cleared and never shown', async () => {
    await page.goto(server.url);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: ws, exact: true }).click();
    await page.getByRole('link', { name: 'Services', exact: true }).click();
    await page.getByText('No services yet').waitFor();
    // The "run one" choice asks for an image and limits instead of an admin URL (not submitted here: it needs an image in the registry).
    await page.getByLabel('Run one (provisioned PostgreSQL or a custom image)').check();
    await page.getByLabel('Image (PROJECT:TAG of this workspace)').waitFor();
    expect(await page.getByLabel('Admin URL (write-only)').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Run service' }).isDisabled()).toBe(true);
    await page.getByLabel('Adopt a server').check();
    await page.getByLabel('Name').fill('cache');
    await page.getByLabel('Kind').selectOption('redis');
    await page.getByLabel('Admin URL (write-only)').fill(adminUrl);
    await page.getByRole('button', { name: 'Adopt service' }).click();
    const listed = page.locator('tr[data-service="cache"]');
    await listed.waitFor(wait);
    expect(await listed.textContent()).toMatch(/redis.*adopted.*127\.0\.0\.1:6379.*127\.0\.0\.1:6379.*7\.\d+\.\d+.*0/);
    await page.getByRole('status').filter({ hasText: 'Adopted redis service cache' }).waitFor();
    expect(await page.getByLabel('Admin URL (write-only)').inputValue()).toBe('');
    await expectNoSecretInPage();
    await screenshot(page, 'services');
  }, 120_000);

  it("attaches it in an environment's Services tab and lists the variable names", async () => {
    await page.goto(`${server.url}/w/${ws}/p/shop/e/dev`);
    await page.getByRole('link', { name: 'Services' }).click();
    await page.getByText('No services attached to dev.').waitFor();
    await page.getByLabel('Service', { exact: true }).selectOption('cache');
    await page.getByRole('button', { name: 'Attach' }).click();
    await row().waitFor(wait);
    const vars = await row().getByRole('list', { name: 'Injected variables' }).textContent();
    expect(vars).toContain('REDIS_URL');
    expect(vars).toContain('REDIS_KEY_PREFIX');
    expect(await row().textContent()).toContain('generation 1');
    await page.getByRole('status').filter({ hasText: 'Attached cache to shop/dev' }).filter({ hasText: 'No release rolled' }).waitFor();
  }, 60_000);

  it('rotates the credentials: generation 2', async () => {
    await row().getByRole('button', { name: 'Rotate cache' }).click();
    await row().getByText('generation 2').waitFor(wait);
    await page.getByRole('status').filter({ hasText: 'Rotated the credentials of cache in shop/dev (credentials generation 2)' }).waitFor();
    await screenshot(page, 'environment-services');
  }, 60_000);

  it('backs the attachment up, lists the backup and restores it after a confirmation', async () => {
    const resource = (await row().locator('td code').first().textContent()) ?? '';
    expect(resource).toMatch(/^slw_/);
    const card = page.locator('section[data-backups="cache"]');
    await card.getByText('Last backup: none yet').waitFor();
    await redis.set(`${resource}:before`, 'kept');
    await card.getByRole('button', { name: 'Back up cache' }).click();
    await card.getByRole('status').filter({ hasText: /Backed up cache: \d+(\.\d)? (B|KiB)/ }).waitFor(wait);
    const backups = card.locator('tr[data-backup]');
    await backups.first().waitFor();
    expect(await backups.count()).toBe(1);
    expect(await backups.first().textContent()).toMatch(/\d+(\.\d)? (B|KiB)[0-9a-f]{12}/);
    await card.getByText(/Last backup: just now, \d/).waitFor();
    await redis.set(`${resource}:after`, 'lost');
    await backups.first().getByRole('button', { name: 'Restore this backup' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore cache in dev?' });
    await dialog.getByText(`every key under the prefix ${resource}`).waitFor();
    await screenshot(page, 'restore-dialog');
    await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
    await card.getByRole('status').filter({ hasText: 'Restored cache from the backup' }).waitFor(wait);
    expect(await redis.exists(`${resource}:after`)).toBe(0);
    expect(await redis.get(`${resource}:before`)).toBe('kept');
  }, 90_000);

  it("refuses a developer's restore and shows SLW_FORBIDDEN", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    try {
      const dave = await context.newPage();
      await dave.goto(server.url);
      await dave.getByLabel('API token').fill(developerToken);
      await dave.keyboard.press('Enter');
      await dave.getByRole('button', { name: 'Sign out' }).waitFor();
      await dave.goto(`${server.url}/w/${ws}/p/shop/e/dev/services`);
      const card = dave.locator('section[data-backups="cache"]');
      await card.locator('tr[data-backup]').first().getByRole('button', { name: 'Restore this backup' }).click();
      const dialog = dave.getByRole('dialog', { name: 'Restore cache in dev?' });
      await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
      await dialog.getByRole('alert').filter({ hasText: 'SLW_FORBIDDEN' }).waitFor(wait);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('removes a backup after a confirmation naming it; the list and the API no longer have it', async () => {
    const card = page.locator('section[data-backups="cache"]');
    const backups = card.locator('tr[data-backup]');
    await card.getByRole('button', { name: 'Back up cache' }).click();
    await card.getByRole('status').filter({ hasText: /Backed up cache/ }).waitFor(wait);
    await expect.poll(() => backups.count(), wait).toBe(2);
    const older = (await backups.nth(1).getAttribute('data-backup')) ?? '';
    await backups.nth(1).getByRole('button', { name: 'Remove this backup' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove a backup of cache?' });
    await dialog.getByText('can no longer be restored').waitFor();
    await dialog.getByRole('button', { name: 'Remove backup' }).click();
    await card.getByRole('status').filter({ hasText: 'Removed the backup of cache' }).waitFor(wait);
    await expect.poll(() => backups.count(), wait).toBe(1);
    // A backup taken elsewhere (the CLI, another tab) appears in the card without a page load.
    const taken = ok<{ id: string }>(await apiClient(server.url, server.adminToken).post(`/api/v1/workspaces/${ws}/projects/shop/environments/dev/attachments/cache/backups`, {}));
    await card.locator(`tr[data-backup="${taken.id}"]`).waitFor(wait);
    ok(await apiClient(server.url, server.adminToken).delete(`/api/v1/workspaces/${ws}/projects/shop/environments/dev/attachments/cache/backups/${taken.id}`));
    await expect.poll(() => backups.count(), wait).toBe(1);
    const listed = ok<{ backups: Array<{ id: string }> }>(await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/projects/shop/environments/dev/attachments/cache/backups`));
    expect(listed.backups.map((b) => b.id)).not.toContain(older);
    expect(listed.backups).toHaveLength(1);
  }, 90_000);

  it('schedules backups of the attachment: a bad cron shows the API code, a good one its next slot; removed again', async () => {
    const card = page.locator('section[data-backups="cache"]');
    const schedule = card.locator('[data-schedule="cache"]');
    await schedule.getByText('No backup schedule').waitFor();
    const form = schedule.getByRole('form', { name: 'Backup schedule of cache' });
    await form.getByLabel(/^Cron/).fill('0 3 * *');
    await form.getByRole('button', { name: 'Schedule backups of cache' }).click();
    await schedule.getByRole('alert').filter({ hasText: 'SLW_VALIDATION' }).filter({ hasText: 'it has 4 fields, not 5' }).waitFor(wait);
    // Once a year, so the server's scheduler never takes a slot during the test.
    await form.getByLabel(/^Cron/).fill('0 3 1 1 *');
    await form.getByLabel(/^Keep the newest/).fill('5');
    await form.getByRole('button', { name: 'Schedule backups of cache' }).click();
    await schedule.getByText(/Scheduled: 0 3 1 1 \* \(UTC\), the newest 5 scheduled backups kept\. Next: \d{4}-01-01 03:00 UTC\. Last: none yet/).waitFor(wait);
    await screenshot(page, 'backup-schedule');
    const detail = ok<{ attachments: Array<{ schedule: { cron: string; keep: number | null } | null }> }>(await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/services/cache`));
    expect(detail.attachments[0]?.schedule).toMatchObject({ cron: '0 3 1 1 *', keep: 5 });
    await schedule.getByRole('button', { name: 'Remove schedule of cache' }).click();
    await schedule.getByText('No backup schedule').waitFor(wait);
    expect(ok<{ schedule: unknown }>(await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/projects/shop/environments/dev/attachments/cache/backup-schedule`)).schedule).toBeNull();
  }, 60_000);

  it('refuses to remove an attached service and shows the code; the detail lists the attachment', async () => {
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: ws, exact: true }).click();
    await page.getByRole('link', { name: 'Services', exact: true }).click();
    await page.getByRole('link', { name: 'cache', exact: true }).click();
    await page.locator('tr[data-attachment="shop/dev"]', { hasText: 'generation 2' }).waitFor();
    await page.getByRole('button', { name: 'Remove service' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove service cache?' });
    // An adopted server has no volume of Slipway's: nothing to delete with it.
    await dialog.getByText('the server and its data are left as they are').waitFor();
    expect(await dialog.getByLabel(/Also delete its data volume/).count()).toBe(0);
    await dialog.getByRole('button', { name: 'Remove service' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'SLW_SERVICE_ATTACHED' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
  }, 60_000);

  it('detaches with drop data only after the name is typed; the sweep drops the keys and users', async () => {
    await page.getByRole('link', { name: 'shop / dev' }).click();
    const resource = (await row().locator('td code').first().textContent()) ?? '';
    expect(resource).toMatch(/^slw_/);
    await redis.set(`${resource}:left-behind`, 'x');
    await redis.del(`${resource}:before`);
    await row().getByRole('button', { name: 'Detach cache' }).click();
    const dialog = page.getByRole('dialog', { name: 'Detach cache from dev?' });
    await dialog.getByLabel(/Drop the data too/).check();
    const go = dialog.getByRole('button', { name: 'Detach and drop data' });
    expect(await go.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type the service name/).fill('cach');
    expect(await go.isDisabled()).toBe(true);
    await dialog.getByLabel(/Type the service name/).fill('cache');
    await screenshot(page, 'detach-dialog');
    await go.click();
    await page.getByRole('status').filter({ hasText: `Its data (${resource}) is dropped` }).waitFor();
    // The server's sweep finishes the detach within seconds; the tab hears it on the change stream (it has no timer).
    await page.getByText('No services attached to dev.').waitFor(wait);
    expect(await redis.exists(`${resource}:left-behind`)).toBe(0);
    const users = (await redis.call('ACL', 'USERS')) as string[];
    expect(users.filter((u) => u.startsWith(`${resource}_`))).toEqual([]);
  }, 90_000);

  it("restores the detached attachment's backup into the environment's new attachment from the service's page", async () => {
    const api = apiClient(server.url, server.adminToken);
    const envUrl = `/api/v1/workspaces/${ws}/projects/shop/environments/dev`;
    const fresh = ok<{ attachment: { resource: string } }>(await api.post(`${envUrl}/attachments`, { service: 'cache' })).attachment.resource;
    expect(await redis.exists(`${fresh}:before`)).toBe(0);
    await page.goto(`${server.url}/w/${ws}/services/cache`);
    const card = page.locator('section[data-service-backups="cache"]');
    const gone = card.locator('tr[data-attachment-state="detached"]');
    await gone.first().waitFor(wait);
    await gone.first().getByRole('button', { name: /Restore into… the backup of shop \/ dev/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore a backup of cache into an attachment?' });
    await dialog.getByText('of an attachment that is gone').waitFor();
    expect(await dialog.getByLabel('Restore into').locator('option').allTextContents()).toEqual([`shop / dev (${fresh})`]);
    await dialog.getByText(`every key under its prefix ${fresh} in shop / dev`).waitFor();
    await screenshot(page, 'restore-detached-dialog');
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/restore'));
    await dialog.getByRole('button', { name: 'Restore into this attachment' }).click();
    expect((await sent).postDataJSON()).toEqual({ fromDetached: true });
    await card.getByRole('status').filter({ hasText: 'Restored the backup of shop / dev' }).filter({ hasText: 'into shop / dev' }).waitFor(wait);
    // The key of the backup, under the new attachment's prefix.
    expect(await redis.get(`${fresh}:before`)).toBe('kept');
    // Detached again (dropping the keys), for the tests below.
    ok(await api.post(`${envUrl}/attachments/cache/detach`, { dropData: true, confirm: 'cache' }));
    await expect.poll(async () => ok<{ attachments: unknown[] }>(await api.get(`/api/v1/workspaces/${ws}/services/cache`)).attachments.length, wait).toBe(0);
  }, 90_000);

  it("lists the detached attachment's backup on the service's page and removes it after a confirmation", async () => {
    await page.goto(`${server.url}/w/${ws}/services/cache`);
    const card = page.locator('section[data-service-backups="cache"]');
    const gone = card.locator('tr[data-attachment-state="detached"]');
    await gone.first().waitFor(wait);
    expect(await gone.count()).toBe(1);
    expect(await gone.first().textContent()).toContain('shop / dev');
    const id = (await gone.first().getAttribute('data-backup')) ?? '';
    // While it has a backup the service is not removed without its backups (they would be out of reach).
    await page.getByRole('button', { name: 'Remove service' }).click();
    const removal = page.getByRole('dialog', { name: 'Remove service cache?' });
    await removal.getByRole('button', { name: 'Remove service' }).click();
    await removal.getByRole('alert').filter({ hasText: 'SLW_SERVICE_HAS_BACKUPS' }).filter({ hasText: 'still has 1 backup(s)' }).waitFor(wait);
    await removal.getByRole('button', { name: 'Cancel' }).click();
    await card.getByLabel('Only those whose attachment is gone').check();
    await card.getByText(/1 backup\(s\)/).waitFor(wait);
    await gone.first().getByRole('button', { name: /Remove the backup of shop \/ dev/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove a backup of cache?' });
    await dialog.getByText('this is the only place it can be removed').waitFor();
    await screenshot(page, 'detached-backup-remove');
    await dialog.getByRole('button', { name: 'Remove backup' }).click();
    await card.getByRole('status').filter({ hasText: 'Removed the backup of shop / dev' }).waitFor(wait);
    await card.getByText('No backups of attachments that are gone.').waitFor(wait);
    const listed = ok<{ backups: Array<{ id: string }> }>(await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/services/cache/backups`));
    expect(listed.backups.map((b) => b.id)).not.toContain(id);
    expect(listed.backups).toEqual([]);
  }, 60_000);

  it('removes the detached service', async () => {
    await page.goto(`${server.url}/w/${ws}/services/cache`);
    await page.getByText('Not attached to any environment').waitFor();
    await page.getByRole('button', { name: 'Remove service' }).click();
    const removal = page.getByRole('dialog', { name: 'Remove service cache?' });
    await removal.getByLabel(/Also remove its backups/).check();
    const sent = page.waitForRequest((r) => r.method() === 'DELETE' && r.url().endsWith(`/services/cache?dropBackups=true`));
    await removal.getByRole('button', { name: 'Remove service' }).click();
    await sent;
    await page.waitForURL(new RegExp(`/w/${ws}/services$`));
    await page.getByText('No services yet').waitFor();
    // A service adopted and removed through the API (the CLI, another tab) shows up and goes
    // without a page load: the list reads again on the change stream's announcements.
    const api = apiClient(server.url, server.adminToken);
    ok(await api.post(`/api/v1/workspaces/${ws}/services`, { name: 'queue', kind: 'redis', adopt: 'redis://127.0.0.1:6379' }));
    await page.getByRole('link', { name: 'queue', exact: true }).waitFor(wait);
    ok(await api.delete(`/api/v1/workspaces/${ws}/services/queue`));
    await page.getByText('No services yet').waitFor(wait);
  }, 60_000);

  it('the audit log shows every service action', async () => {
    await page.goto(`${server.url}/w/${ws}/audit`);
    await page.getByLabel('Action').fill('service.*');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    for (const action of ['service.create', 'service.attach', 'service.rotate', 'service.backup', 'service.restore', 'service.backup.delete', 'service.detach', 'service.detached', 'service.remove']) {
      await page.locator('tbody tr', { has: page.getByText(action, { exact: true }) }).first().waitFor();
    }
    await expectNoSecretInPage();
  }, 60_000);

  it('no API answer the browser received held the admin URL or its password', async () => {
    const responses = await recorder.responses();
    expect(responses.some((r) => r.url.includes('/services'))).toBe(true);
    for (const r of responses) expect(r.body, r.url).not.toContain(canary);
  });
});
