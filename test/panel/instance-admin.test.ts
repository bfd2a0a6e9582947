/**
 * What `workspace set --tier`, `admin tokens` and `registry gc` do, from the panel alone, in
 * Debian's Chromium against a real `slipway server` (no Docker needed). An owner changes a
 * workspace's tier down (nothing removed, custom environments refused after) and up (the default
 * environments added, named in the answer); an owner demoted since the page was read gets the
 * API's SLW_FORBIDDEN; a developer sees the tier and no form. An instance admin, on the Instance
 * page (the header's Instance link), creates an instance token shown once that works against the
 * API, and revokes it; a workspace token has no Instance link and, at the URL, the API's refusal.
 * The admin runs a registry garbage collection dry (what would go, nothing gone) and for real
 * (what went). Each change is read back from the API.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, errorCode, ok, type Api } from '../support/api.js';
import { workspaceToken } from '../support/fixtures.js';
import { pushBlob, pushImage, randomBlob } from '../support/oci-push.js';
import { launchBrowser, recordApiResponses, screenshot, type ResponseRecorder, screenshotOnFailure, signIn as signInAt } from '../support/browser.js';
import { cleanup, startServerProcess, type ServerProcess } from '../support/server-process.js';

const ws = 'tiers';
const wait = { timeout: 30_000 };
let server: ServerProcess;
let admin: Api;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let recorder: ResponseRecorder;
let developerToken = '';
let ownerToken = '';

const signIn = (p: Page, token: string) => signInAt(p, server.url, token);
const tier = async () => ok<{ tier: string }>(await admin.get(`/api/v1/workspaces/${ws}`)).tier;
const environments = async (project: string) => ok<{ environments: { name: string }[] }>(await admin.get(`/api/v1/workspaces/${ws}/projects/${project}/environments`)).environments.map((e) => e.name);
const images = async () => ok<{ images: { version: string }[] }>(await admin.get(`/api/v1/workspaces/${ws}/projects/reg/images`)).images.map((i) => i.version).sort();

beforeAll(async () => {
  server = await startServerProcess();
  admin = apiClient(server.url, server.adminToken);
  ok(await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
  ok(await admin.post(`/api/v1/workspaces/${ws}/projects`, { name: 'shop' }));
  ok(await admin.post(`/api/v1/workspaces/${ws}/projects/shop/environments`, { name: 'qa' }));
  ok(await admin.post(`/api/v1/workspaces/${ws}/members`, { email: 'owner2@example.com', role: 'owner' }));
  ok(await admin.post(`/api/v1/workspaces/${ws}/members`, { email: 'dev@example.com', role: 'developer' }));
  ownerToken = (await workspaceToken(admin, ws, 'owner', 'owner2@example.com')).api.token;
  developerToken = (await workspaceToken(admin, ws, 'developer', 'dev@example.com')).api.token;
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  page = await context.newPage();
  recorder = await recordApiResponses(page);
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  await cleanup();
}, 60_000);

afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'instance-'));

describe("a workspace's tier from the panel", () => {
  it('an owner moves down (nothing removed, custom environments refused after) and up (defaults added)', async () => {
    await signIn(page, server.adminToken);
    await page.getByRole('link', { name: ws, exact: true }).click();
    const section = page.getByRole('region', { name: 'Tier' });
    await section.getByText("This workspace's tier is high: dev, staging, prod and custom environments.").waitFor(wait);
    const form = section.getByRole('form', { name: 'Change the tier' });
    expect(await form.getByRole('button', { name: 'Change tier' }).isDisabled()).toBe(true);
    await form.getByLabel('New tier').selectOption('low');
    await form.getByRole('button', { name: 'Change tier' }).click();
    await section
      .getByRole('status')
      .filter({ hasText: 'The tier is now low: no environment added; every environment stays, and new custom environments are refused (SLW_TIER_NO_CUSTOM_ENVIRONMENTS).' })
      .waitFor(wait);
    await section.getByText("This workspace's tier is low: prod only.").waitFor(wait);
    expect(await tier()).toBe('low');
    expect(await environments('shop')).toEqual(['dev', 'staging', 'prod', 'qa']);
    expect(errorCode(await admin.post(`/api/v1/workspaces/${ws}/projects/shop/environments`, { name: 'qa2' }))).toBe('SLW_TIER_NO_CUSTOM_ENVIRONMENTS');

    // A project made on the low tier has prod only; moving up adds the rest, named in the answer.
    ok(await admin.post(`/api/v1/workspaces/${ws}/projects`, { name: 'site' }));
    await page.reload();
    await page.locator('[data-project="site"]').getByText('prod', { exact: true }).waitFor(wait);
    await form.getByLabel('New tier').selectOption('business');
    await form.getByRole('button', { name: 'Change tier' }).click();
    await section.getByRole('status').filter({ hasText: 'The tier is now business: added site/dev, site/staging.' }).waitFor(wait);
    await page.locator('[data-project="site"]').getByText('dev → staging → prod').waitFor(wait);
    await screenshot(page, 'instance-tier');
    expect(await tier()).toBe('business');
    expect(await environments('site')).toEqual(['dev', 'staging', 'prod']);
  }, 60_000);

  it("an owner demoted since the page was read gets the API's SLW_FORBIDDEN; a developer sees no form", async () => {
    const other = await browser.newContext({ viewport: { width: 390, height: 844 } });
    try {
      const p = await other.newPage();
      await signIn(p, ownerToken);
      await p.goto(`${server.url}/w/${ws}`);
      const form = p.getByRole('form', { name: 'Change the tier' });
      await form.waitFor(wait);
      ok(await admin.patch(`/api/v1/workspaces/${ws}/members/owner2@example.com`, { role: 'admin' }));
      await form.getByLabel('New tier').selectOption('mid');
      await form.getByRole('button', { name: 'Change tier' }).click();
      const section = p.getByRole('region', { name: 'Tier' });
      await section.getByRole('alert').filter({ hasText: 'SLW_FORBIDDEN' }).waitFor(wait);
      // The role is read again: the form goes, the refusal stays.
      await section.getByText('Only the workspace\'s owners change its tier; your role here is admin.').waitFor(wait);
      expect(await form.count()).toBe(0);
      expect(await tier()).toBe('business');
      expect(await p.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);

      await p.getByRole('button', { name: 'Sign out' }).click();
      await signIn(p, developerToken);
      await p.goto(`${server.url}/w/${ws}`);
      await p.getByRole('region', { name: 'Tier' }).getByText("This workspace's tier is business").waitFor(wait);
      await p.getByText('your role here is developer').waitFor(wait);
      expect(await p.getByRole('form', { name: 'Change the tier' }).count()).toBe(0);
    } finally {
      await other.close();
    }
  }, 60_000);
});

describe('instance tokens from the panel', () => {
  it('an instance admin creates one shown once with Copy; it works against the API until it is revoked', async () => {
    await page.getByRole('banner').getByRole('link', { name: 'Instance' }).click();
    await page.getByRole('heading', { name: 'Instance', exact: true }).waitFor(wait);
    const section = page.getByRole('region', { name: 'Instance tokens' });
    const me = ok<{ token: { id: string } }>(await admin.get('/api/v1/whoami'));
    await section.locator(`[data-instance-token="${me.token.id}"]`).getByText('signed in with it').waitFor(wait);
    const form = page.getByRole('form', { name: 'Create an instance token' });
    await form.getByLabel('Token name (optional)').fill('ops');
    await form.getByLabel('Expires in (optional)').fill('1y');
    await form.getByRole('button', { name: 'Create instance token' }).click();
    await form.getByRole('alert').filter({ hasText: 'SLW_USAGE' }).waitFor(wait);
    expect(await form.getByLabel('Token name (optional)').inputValue()).toBe('ops');
    await form.getByLabel('Expires in (optional)').fill('30d');
    await form.getByRole('button', { name: 'Create instance token' }).click();
    const card = page.getByRole('region', { name: 'New instance token ops' });
    await card.getByText('Shown only now.').waitFor(wait);
    const token = await card.getByLabel('New instance token').inputValue();
    await card.getByRole('button', { name: 'Copy new instance token' }).click();
    await card.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(token);
    await screenshot(page, 'instance-token-once');

    // An instance token of the admin, no workspace scope.
    const who = ok<{ user: { email: string; instanceAdmin: boolean }; token: { id: string; scope: string } }>(await apiClient(server.url, token).get('/api/v1/whoami'));
    expect(who.user).toMatchObject({ email: 'admin@slipway.local', instanceAdmin: true });
    expect(who.token.scope).toBe('instance');
    const row = section.locator(`[data-instance-token="${who.token.id}"]`);
    await row.waitFor(wait);
    await card.getByRole('button', { name: 'I have copied it, hide the token' }).click();
    await card.waitFor({ state: 'detached' });
    await page.reload();
    await row.waitFor(wait);
    expect(await page.content()).not.toContain(token);
    expect(await row.innerText()).toMatch(new RegExp(`^ops\\s+${token.slice(0, 12)}…\\s+admin@slipway\\.local\\s+just now\\s+in 30 d\\s+just now\\s+active`));
    const holding = (await recorder.responses()).filter((r) => r.body.includes(token));
    expect(holding.map((r) => `${r.status} ${new URL(r.url).pathname}`)).toEqual(['201 /api/v1/instance/tokens']);

    await row.getByRole('button', { name: 'Revoke instance token ops' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke instance token ops?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(ok<{ tokens: { id: string; revokedAt: string | null }[] }>(await admin.get('/api/v1/instance/tokens')).tokens.find((t) => t.id === who.token.id)?.revokedAt).toBeNull();
    await row.getByRole('button', { name: 'Revoke instance token ops' }).click();
    await dialog.getByRole('button', { name: 'Revoke instance token' }).click();
    await section.getByRole('status').filter({ hasText: `Revoked instance token ops (${token.slice(0, 12)}…).` }).waitFor(wait);
    await row.getByText('revoked').waitFor(wait);
    expect(errorCode(await apiClient(server.url, token).get('/api/v1/whoami'))).toBe('SLW_TOKEN_REVOKED');
  }, 60_000);

  it("a workspace token has no Instance link and, at the URL, the API's refusal", async () => {
    const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const p = await other.newPage();
      await signIn(p, developerToken);
      await p.getByRole('heading', { name: 'Workspaces' }).waitFor(wait);
      expect(await p.getByRole('banner').getByRole('link', { name: 'Instance' }).count()).toBe(0);
      await p.goto(`${server.url}/instance`);
      await p.getByRole('region', { name: 'Instance tokens' }).getByRole('alert').filter({ hasText: 'SLW_WORKSPACE_TOKEN_SCOPE' }).waitFor(wait);
      for (const name of ['Create an instance token', 'Collect garbage']) expect(await p.getByRole('form', { name }).count()).toBe(0);
      expect(await p.getByRole('button', { name: /Revoke/ }).count()).toBe(0);
    } finally {
      await other.close();
    }
  }, 60_000);
});

describe('registry garbage collection from the panel', () => {
  it('a dry run shows what would go and removes nothing; a real run shows what went', async () => {
    ok(await admin.post(`/api/v1/workspaces/${ws}/projects`, { name: 'reg' }));
    ok(await admin.patch(`/api/v1/workspaces/${ws}/projects/reg/registry-policy`, { keepVersions: 1 }));
    const target = { url: server.url, token: server.adminToken };
    const digests: string[] = [];
    for (const version of ['1.0.0', '1.1.0']) {
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', version }));
      const layer = randomBlob(2048);
      await pushBlob(target, `${ws}/reg`, config);
      await pushBlob(target, `${ws}/reg`, layer);
      digests.push(await pushImage(target, `${ws}/reg`, version, config, [layer]));
    }
    expect(await images()).toEqual(['1.0.0', '1.1.0']);

    await page.reload();
    const section = page.getByRole('region', { name: 'Registry garbage collection' });
    const form = section.getByRole('form', { name: 'Collect garbage' });
    await form.getByLabel('Grace period (nothing younger is collected)').fill('soon');
    await form.getByRole('button', { name: 'Dry run: show what would go' }).click();
    await form.getByRole('alert').filter({ hasText: 'SLW_USAGE' }).waitFor(wait);
    await form.getByLabel('Grace period (nothing younger is collected)').fill('0s');
    await form.getByRole('button', { name: 'Dry run: show what would go' }).click();
    const result = section.getByRole('region', { name: 'What a collection would remove now (dry run: nothing changed)' });
    await result.getByRole('status').filter({ hasText: /^Would remove 1 image\(s\), [1-9]\d* blob\(s\)/ }).waitFor(wait);
    expect(await result.locator(`[data-gc-image="${digests[0]}"]`).innerText()).toMatch(new RegExp(`^${ws}/reg\\s+${digests[0]!.slice(7, 19)}\\s+1\\.0\\.0$`));
    expect(await images()).toEqual(['1.0.0', '1.1.0']);

    await form.getByRole('button', { name: 'Collect now…' }).click();
    const dialog = page.getByRole('dialog', { name: "Collect the registry's garbage now?" });
    await dialog.getByText('older than 0s, are deleted for good').waitFor(wait);
    await dialog.getByRole('button', { name: 'Collect now' }).click();
    const done = section.getByRole('region', { name: 'What the collection removed' });
    await done.getByRole('status').filter({ hasText: /^Removed 1 image\(s\), [1-9]\d* blob\(s\)/ }).waitFor(wait);
    await done.locator(`[data-gc-image="${digests[0]}"]`).waitFor(wait);
    await screenshot(page, 'instance-gc');
    expect(await images()).toEqual(['1.1.0']);

    // Nothing left to collect.
    await form.getByRole('button', { name: 'Dry run: show what would go' }).click();
    await result.getByRole('status').filter({ hasText: 'Would remove 0 image(s), 0 blob(s) (0 B)' }).waitFor(wait);
  }, 60_000);
});
