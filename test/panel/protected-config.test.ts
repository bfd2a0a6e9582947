/**
 * Config and secrets of an environment that requires approval in the panel (Debian's Chromium
 * against a real `slipway server`, no Docker needed): a developer finds prod's Config and Secrets
 * tabs, and the project's base layer that feeds prod, with their edit controls disabled and a
 * note saying who changes them, and its Services tab's Attach, Rotate and Detach disabled the same
 * way, while dev's stay theirs to edit (a change saved and read back from the API); an admin whose role is lowered to developer while prod's Config tab is open gets
 * the API's SLW_FORBIDDEN with its code, nothing changes, and the tab then says why it is disabled.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ResolvedConfig } from '../../src/api/config.js';
import { apiClient, ok, type Api } from '../support/api.js';
import { join } from 'node:path';
import { addMember, paths, seedService, workspaceToken } from '../support/fixtures.js';
import { launchBrowser, screenshot, screenshotOnFailure, signIn } from '../support/browser.js';
import { cleanup, startServerProcess, type ServerProcess } from '../support/server-process.js';

const ws = 'protcfg';
const wait = { timeout: 30_000 };
let server: ServerProcess;
let owner: Api;
let developerToken: string;
let adminToken: string;
let browser: Browser;
const contexts: BrowserContext[] = [];
const pages: Page[] = [];

const configOf = async (env: string) => ok<ResolvedConfig>(await owner.get(`${paths.environment(ws, 'shop', env)}/config`));

async function open(token: string, path: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  pages.push(page);
  await signIn(page, `${server.url}${path}`, token);
  return page;
}

beforeAll(async () => {
  server = await startServerProcess();
  owner = apiClient(server.url, server.adminToken);
  ok(await owner.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
  ok(await owner.post(`${paths.workspace(ws)}/projects`, { name: 'shop' }));
  ok(await owner.patch(`${paths.environment(ws, 'shop', 'prod')}/config?restart=false`, { set: { DATABASE_URL: 'postgres://db.prod/shop' } }));
  ok(await owner.put(`${paths.environment(ws, 'shop', 'prod')}/secrets/DB_PASSWORD?restart=false`, { value: 'prod-secret' }));
  await addMember(owner, ws, 'dave@example.com', 'developer');
  await addMember(owner, ws, 'ada@example.com', 'admin');
  developerToken = (await workspaceToken(owner, ws, 'developer', 'dave@example.com')).api.token;
  adminToken = (await workspaceToken(owner, ws, 'admin', 'ada@example.com')).api.token;
  // An adopted service attached to prod, stored directly (listing it contacts nothing).
  await seedService(join(server.dataDir, 'slipway.db'), ws, 'cache', 'shop', 'prod');
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await server?.stop();
  await cleanup();
}, 60_000);

afterEach((ctx) => screenshotOnFailure(ctx, pages, 'protected-config-'));

describe('config and secrets of an environment that requires approval, in the panel', () => {
  it("shows a developer prod's Config and Secrets, and the base layer, with the edit controls disabled and a note", async () => {
    const dave = await open(developerToken, `/w/${ws}/p/shop/e/prod/config`);
    const note = dave.locator('[data-protected-note]');
    await note.waitFor(wait);
    expect(await note.innerText()).toBe('prod requires approval, so only an admin or owner changes what it runs with (your role here: developer); ask one to make the change.');
    // Reading stays: the value is there; every control that would change it is disabled.
    await dave.locator('tr[data-key="DATABASE_URL"]').getByText('postgres://db.prod/shop').waitFor(wait);
    for (const control of [dave.getByLabel('Key', { exact: true }), dave.getByLabel('Value', { exact: true }), dave.getByRole('button', { name: 'Save' }), dave.getByRole('button', { name: 'Edit DATABASE_URL' }), dave.getByRole('button', { name: 'Remove DATABASE_URL' })]) {
      expect(await control.isDisabled()).toBe(true);
    }
    await screenshot(dave, 'protected-config-developer');

    await dave.getByRole('link', { name: 'Secrets' }).click();
    await dave.locator('tr[data-secret="DB_PASSWORD"]').waitFor(wait);
    await dave.locator('[data-protected-note]').getByText('prod requires approval').waitFor(wait);
    for (const control of [dave.getByLabel('Name', { exact: true }), dave.getByLabel('Value (write-only)'), dave.getByRole('button', { name: 'Save secret' }), dave.getByRole('button', { name: 'Replace DB_PASSWORD' }), dave.getByRole('button', { name: 'Delete DB_PASSWORD' })]) {
      expect(await control.isDisabled()).toBe(true);
    }

    await dave.goto(`${server.url}/w/${ws}/p/shop/config`);
    const notes = dave.locator('[data-protected-note]');
    await expect.poll(() => notes.count(), wait).toBe(2);
    for (const text of await notes.allInnerTexts()) expect(text).toBe("This layer feeds prod, which requires approval, so only an admin or owner changes it (your role here: developer); set the key on another environment's own layer, or ask one.");
    expect(await dave.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);
    expect(await dave.getByRole('button', { name: 'Save secret' }).isDisabled()).toBe(true);
  }, 120_000);

  it("shows a developer prod's Services tab with Attach, Rotate and Detach disabled and the note", async () => {
    const dave = await open(developerToken, `/w/${ws}/p/shop/e/prod/services`);
    await dave.locator('tr[data-attachment="cache"]').waitFor(wait);
    await dave.locator('[data-protected-note]').getByText('prod requires approval').waitFor(wait);
    for (const control of [dave.getByRole('button', { name: 'Rotate cache' }), dave.getByRole('button', { name: 'Detach cache' }), dave.getByRole('button', { name: 'Attach', exact: true }), dave.getByLabel('Service', { exact: true })]) {
      expect(await control.isDisabled()).toBe(true);
    }
    // dev's stays theirs.
    await dave.goto(`${server.url}/w/${ws}/p/shop/e/dev/services`);
    await dave.getByRole('button', { name: 'Attach', exact: true }).waitFor(wait);
    await expect.poll(() => dave.getByRole('button', { name: 'Attach', exact: true }).isEnabled(), wait).toBe(true);
    expect(await dave.locator('[data-protected-note]').count()).toBe(0);
  }, 120_000);

  it("leaves dev's Config tab to the developer: a key saved there is read back from the API", async () => {
    const dave = await open(developerToken, `/w/${ws}/p/shop/e/dev/config`);
    await dave.getByRole('form', { name: 'Set a key in dev' }).waitFor(wait);
    await dave.getByLabel('Key', { exact: true }).fill('DATABASE_URL');
    await dave.getByLabel('Value', { exact: true }).fill('postgres://db.dev/shop');
    await dave.getByRole('button', { name: 'Save' }).click();
    await dave.getByRole('status').getByText(/Saved as version \d+\./).waitFor(wait);
    expect(await dave.locator('[data-protected-note]').count()).toBe(0);
    expect((await configOf('dev')).entries).toContainEqual({ key: 'DATABASE_URL', value: 'postgres://db.dev/shop', layer: 'environment' });
  }, 120_000);

  it('shows SLW_FORBIDDEN to an admin lowered to developer since the tab was read, changes nothing, then disables the controls with the note', async () => {
    const ada = await open(adminToken, `/w/${ws}/p/shop/e/prod/config`);
    await ada.locator('tr[data-key="DATABASE_URL"]').waitFor(wait);
    // The tab may show before it has read Ada's role (admin): the form stays enabled then too.
    await expect.poll(() => ada.getByLabel('Key', { exact: true }).isEnabled(), wait).toBe(true);
    expect(await ada.locator('[data-protected-note]').count()).toBe(0);
    const before = await configOf('prod');
    ok(await owner.patch(`${paths.workspace(ws)}/members/ada@example.com`, { role: 'developer' }));
    try {
      await ada.getByLabel('Key', { exact: true }).fill('DATABASE_URL');
      await ada.getByLabel('Value', { exact: true }).fill('postgres://attacker.example/shop');
      await ada.getByRole('button', { name: 'Save' }).click();
      const alert = ada.getByRole('alert');
      await alert.getByText('SLW_FORBIDDEN').waitFor(wait);
      expect(await alert.innerText()).toContain('shop/prod requires approval, so only an admin or owner may change its config (your role: developer)');
      await ada.locator('[data-protected-note]').getByText('your role here: developer').waitFor(wait);
      expect(await ada.getByLabel('Key', { exact: true }).isDisabled()).toBe(true);
      expect(await configOf('prod')).toEqual(before);
      await screenshot(ada, 'protected-config-role-lowered');
    } finally {
      ok(await owner.patch(`${paths.workspace(ws)}/members/ada@example.com`, { role: 'admin' }));
    }
  }, 120_000);
});
