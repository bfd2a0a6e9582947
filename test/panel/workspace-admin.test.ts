/**
 * Creating and deleting what the CLI creates and deletes, from the panel alone, in Debian's
 * Chromium against a real `slipway server` (no Docker needed): an instance admin creates a
 * workspace, a project and an environment, and deletes the environment and a project after
 * typing their names (a bad or taken name shows the API's code, keeps what was typed and creates
 * nothing); adds members, changes a role and removes one; creates an API token, shown once with
 * a Copy button, that works against the API, and revokes it. A developer's token (made in the
 * panel for a member) sees the members, no management forms, and the API's SLW_FORBIDDEN where
 * its role may not look. Each change is read back from the API.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { apiClient, errorCode, ok, type Api } from '../support/api.js';
import { launchBrowser, recordApiResponses, screenshot, type ResponseRecorder, screenshotOnFailure, signIn as signInAt } from '../support/browser.js';
import { cleanup, startServerProcess, type ServerProcess } from '../support/server-process.js';

const ws = 'wsadmin';
const wait = { timeout: 30_000 };
let server: ServerProcess;
let admin: Api;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let recorder: ResponseRecorder;
let developerToken = '';

const names = <T extends { name: string }>(list: T[]) => list.map((x) => x.name);
const workspaces = async () => names(ok<{ workspaces: { name: string }[] }>(await admin.get('/api/v1/workspaces')).workspaces);
const projects = async () => names(ok<{ projects: { name: string }[] }>(await admin.get(`/api/v1/workspaces/${ws}/projects`)).projects);
const environments = async () => names(ok<{ environments: { name: string }[] }>(await admin.get(`/api/v1/workspaces/${ws}/projects/shop/environments`)).environments);
const members = async () => ok<{ members: { email: string; role: string }[] }>(await admin.get(`/api/v1/workspaces/${ws}/members`)).members.map((m) => `${m.email}:${m.role}`);

const signIn = (p: Page, token: string) => signInAt(p, server.url, token);

/** Submits a form whose field labelled `label` (inside `form`) gets `value`; waits for the API's `code` and checks the value is kept. */
async function refused(form: ReturnType<Page['locator']>, label: string, value: string, button: string, code: string): Promise<void> {
  await form.getByLabel(label, { exact: true }).fill(value);
  await form.getByRole('button', { name: button }).click();
  await form.getByRole('alert').filter({ hasText: code }).waitFor(wait);
  expect(await form.getByLabel(label, { exact: true }).inputValue()).toBe(value);
}

beforeAll(async () => {
  server = await startServerProcess();
  admin = apiClient(server.url, server.adminToken);
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

afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'wsadmin-'));

describe('creating and deleting from the panel', () => {
  it('an instance admin creates a workspace; a bad or taken name shows its code and creates nothing', async () => {
    await signIn(page, server.adminToken);
    await page.getByText('This token reaches no workspace yet: create one below.').waitFor(wait);
    const form = page.getByRole('form', { name: 'Create a workspace' });
    await refused(form, 'Name', 'Bad_Name', 'Create workspace', 'SLW_INVALID_NAME');
    expect(await workspaces()).toEqual([]);
    await form.getByLabel('Name').fill(ws);
    await form.getByLabel('Tier').selectOption('high');
    await form.getByRole('button', { name: 'Create workspace' }).click();
    await form.getByRole('status').filter({ hasText: `Created workspace ${ws} (tier high); you are its owner.` }).waitFor(wait);
    expect(await page.locator(`[data-workspace="${ws}"]`).innerText()).toMatch(/tier high\s+your role: owner/);
    await refused(form, 'Name', ws, 'Create workspace', 'SLW_ALREADY_EXISTS');
    expect(await workspaces()).toEqual([ws]);
  }, 60_000);

  it('creates a project (bad and taken names refused with their codes) and deletes one after its name is typed', async () => {
    await page.getByRole('link', { name: ws, exact: true }).click();
    await page.getByText('No projects yet: create one below.').waitFor(wait);
    const form = page.getByRole('form', { name: 'Create a project' });
    await refused(form, 'Name', 'Shop!', 'Create project', 'SLW_INVALID_NAME');
    expect(await projects()).toEqual([]);
    for (const name of ['shop', 'scratch']) {
      await form.getByLabel('Name').fill(name);
      await form.getByRole('button', { name: 'Create project' }).click();
      await page.locator(`[data-project="${name}"]`).waitFor(wait);
    }
    await form.getByRole('status').filter({ hasText: 'Created project scratch with environments dev, staging, prod.' }).waitFor(wait);
    expect(await page.locator('[data-project="shop"]').innerText()).toContain('dev → staging → prod');
    await refused(form, 'Name', 'shop', 'Create project', 'SLW_ALREADY_EXISTS');
    expect(await projects()).toEqual(['scratch', 'shop']);

    // Cancel first changes nothing; Delete waits for the name typed again.
    await page.getByRole('button', { name: 'Delete project scratch' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete project scratch?' });
    await dialog.getByText('its environments (dev, staging, prod)').waitFor(wait);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await projects()).toEqual(['scratch', 'shop']);
    await page.getByRole('button', { name: 'Delete project scratch' }).click();
    const confirm = dialog.getByRole('button', { name: 'Delete scratch' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type the project name (scratch) to confirm').fill('scratc');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type the project name (scratch) to confirm').fill('scratch');
    await screenshot(page, 'wsadmin-delete-project');
    await confirm.click();
    await page.getByRole('status').filter({ hasText: 'Deleted project scratch.' }).waitFor(wait);
    await page.locator('[data-project="scratch"]').waitFor({ state: 'detached' });
    expect(await projects()).toEqual(['shop']);
    expect(errorCode(await admin.get(`/api/v1/workspaces/${ws}/projects/scratch`))).toBe('SLW_NOT_FOUND');
  }, 60_000);

  it('adds an environment on the pipeline page and deletes it after its name is typed; tier defaults have no Delete', async () => {
    await page.getByRole('link', { name: 'shop', exact: true }).click();
    const section = page.getByRole('region', { name: 'Environments' });
    await section.locator('[data-environment-row="prod"]').waitFor(wait);
    for (const env of ['dev', 'staging', 'prod']) expect(await section.locator(`[data-environment-row="${env}"]`).innerText()).toMatch(/standard\s*tier default/);
    expect(await section.getByRole('button', { name: /^Delete/ }).count()).toBe(0);
    const form = page.getByRole('form', { name: 'Add an environment' });
    await refused(form, 'Name', 'QA env', 'Add environment', 'SLW_INVALID_NAME');
    expect(await environments()).toEqual(['dev', 'staging', 'prod']);
    await form.getByLabel('Name').fill('qa');
    await form.getByRole('button', { name: 'Add environment' }).click();
    await form.getByRole('status').filter({ hasText: 'Created custom environment qa.' }).waitFor(wait);
    // The pipeline shows it too, without a page load.
    await page.locator('[data-environment="qa"]').waitFor(wait);
    expect(await section.locator('[data-environment-row="qa"]').innerText()).toMatch(/qa\s+custom/);
    await refused(form, 'Name', 'qa', 'Add environment', 'SLW_ALREADY_EXISTS');
    await screenshot(page, 'wsadmin-environments');
    expect(await environments()).toEqual(['dev', 'staging', 'prod', 'qa']);

    await section.getByRole('button', { name: 'Delete environment qa' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete environment qa?' });
    const confirm = dialog.getByRole('button', { name: 'Delete qa' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type the environment name (qa) to confirm').fill('qa');
    await confirm.click();
    await section.getByRole('status').filter({ hasText: 'Deleted environment qa.' }).waitFor(wait);
    await page.locator('[data-environment="qa"]').waitFor({ state: 'detached' });
    expect(await environments()).toEqual(['dev', 'staging', 'prod']);
    // The API's rule stands behind the hidden button.
    expect(errorCode(await admin.delete(`/api/v1/workspaces/${ws}/projects/shop/environments/prod`))).toBe('SLW_ENVIRONMENT_PROTECTED');
  }, 60_000);

  it('adds members (a bad e-mail refused with its code), changes a role and removes one after a confirmation', async () => {
    await page.getByRole('link', { name: ws, exact: true }).click();
    await page.getByRole('link', { name: 'Members & tokens' }).click();
    await page.getByRole('heading', { name: `Members and tokens of ${ws}` }).waitFor(wait);
    await page.locator('[data-member="admin@slipway.local"]').waitFor(wait);
    const form = page.getByRole('form', { name: 'Add a member' });
    await refused(form, 'E-mail', 'not-an-email', 'Add member', 'SLW_VALIDATION');
    expect(await members()).toEqual(['admin@slipway.local:owner']);
    for (const [email, role] of [['dev@example.com', 'developer'], ['ops@example.com', 'viewer']] as const) {
      await form.getByLabel('E-mail').fill(email);
      await form.getByLabel('Role').selectOption(role);
      await form.getByRole('button', { name: 'Add member' }).click();
      await page.getByRole('status').filter({ hasText: `Added ${email} as ${role}.` }).waitFor(wait);
    }
    await refused(form, 'E-mail', 'dev@example.com', 'Add member', 'SLW_ALREADY_EXISTS');

    const ops = page.locator('[data-member="ops@example.com"]');
    expect(await ops.getByRole('button', { name: 'Change role of ops@example.com' }).isDisabled()).toBe(true);
    await ops.getByLabel('Role of ops@example.com').selectOption('admin');
    await ops.getByRole('button', { name: 'Change role of ops@example.com' }).click();
    await page.getByRole('status').filter({ hasText: 'ops@example.com is now admin.' }).waitFor(wait);
    expect(await members()).toEqual(['admin@slipway.local:owner', 'dev@example.com:developer', 'ops@example.com:admin']);

    await ops.getByRole('button', { name: 'Remove ops@example.com' }).click();
    const dialog = page.getByRole('dialog', { name: `Remove ops@example.com from ${ws}?` });
    await dialog.getByRole('button', { name: 'Remove ops@example.com' }).click();
    await page.getByRole('status').filter({ hasText: 'Removed ops@example.com; revoked 0 token(s).' }).waitFor(wait);
    await ops.waitFor({ state: 'detached' });
    expect(await members()).toEqual(['admin@slipway.local:owner', 'dev@example.com:developer']);
  }, 60_000);

  it('creates a token shown once with Copy; it works against the API until it is revoked', async () => {
    const form = page.getByRole('form', { name: 'Create a token' });
    await form.getByLabel('Token name (optional)').fill('ci');
    await form.getByLabel('Token role').selectOption('developer');
    await refused(form, 'Expires in (optional)', '1y', 'Create token', 'SLW_USAGE');
    await form.getByLabel('Expires in (optional)').fill('30d');
    await form.getByRole('button', { name: 'Create token' }).click();
    const card = page.getByRole('region', { name: 'New token ci' });
    await card.getByText('Shown only now.').waitFor(wait);
    const token = await card.getByLabel('New API token').inputValue();
    await card.getByRole('button', { name: 'Copy new api token' }).click();
    await card.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(token);
    await screenshot(page, 'wsadmin-token-once');

    // The token acts as its creator with the role asked for, in this workspace only.
    const me = ok<{ user: { email: string }; token: { id: string; scope: string; role: string } }>(await apiClient(server.url, token).get('/api/v1/whoami'));
    expect(me.user.email).toBe('admin@slipway.local');
    expect(me.token).toMatchObject({ scope: 'workspace', role: 'developer' });
    const row = page.locator(`[data-token="${me.token.id}"]`);
    await row.waitFor(wait);

    // Hidden, or after a reload, it is nowhere on the page; only the answer to the create held it.
    await card.getByRole('button', { name: 'I have copied it, hide the token' }).click();
    await card.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(token);
    await page.reload();
    await row.waitFor(wait);
    expect(await page.content()).not.toContain(token);
    // Listed by its first characters, never its value; used once (the whoami above).
    expect(await row.innerText()).toMatch(new RegExp(`^ci\\s+${token.slice(0, 12)}…\\s+developer\\s+admin@slipway\\.local\\s+just now\\s+in 30 d\\s+just now\\s+active`));
    const holding = (await recorder.responses()).filter((r) => r.body.includes(token));
    expect(holding.map((r) => `${r.status} ${new URL(r.url).pathname}`)).toEqual([`201 /api/v1/workspaces/${ws}/tokens`]);

    await row.getByRole('button', { name: 'Revoke token ci' }).click();
    await page.getByRole('dialog', { name: 'Revoke token ci?' }).getByRole('button', { name: 'Revoke token' }).click();
    await row.getByText('revoked').waitFor(wait);
    expect(errorCode(await apiClient(server.url, token).get('/api/v1/whoami'))).toBe('SLW_TOKEN_REVOKED');
  }, 60_000);

  it("an instance admin makes a member's token in the panel; with it a developer sees the forbidden code and no management forms", async () => {
    const form = page.getByRole('form', { name: 'Create a token' });
    await form.getByLabel('Token name (optional)').fill('dev laptop');
    await form.getByLabel('Token role').selectOption('owner');
    await form.getByLabel('Acts as').selectOption('dev@example.com');
    // Above the member's own role: refused with the API's code, the form keeps its values.
    await form.getByRole('button', { name: 'Create token' }).click();
    await form.getByRole('alert').filter({ hasText: 'SLW_ROLE_TOO_HIGH' }).waitFor(wait);
    expect(await form.getByLabel('Acts as').inputValue()).toBe('dev@example.com');
    await form.getByLabel('Token role').selectOption('developer');
    await form.getByRole('button', { name: 'Create token' }).click();
    const card = page.getByRole('region', { name: 'New token dev laptop' });
    developerToken = await card.getByLabel('New API token').inputValue();
    await card.getByText('It acts as dev@example.com with the role developer and does not expire').waitFor(wait);

    const dev = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    await signIn(dev, developerToken);
    expect(await dev.getByRole('form', { name: 'Create a workspace' }).count()).toBe(0);
    await dev.getByRole('link', { name: ws, exact: true }).click();
    await dev.locator('[data-project="shop"]').waitFor(wait);
    // A developer creates projects but deletes none.
    await dev.getByRole('form', { name: 'Create a project' }).waitFor(wait);
    expect(await dev.getByRole('button', { name: /^Delete/ }).count()).toBe(0);
    await dev.getByRole('link', { name: 'Members & tokens' }).click();
    await dev.locator('[data-member="dev@example.com"]').waitFor(wait);
    await dev.getByText('Your role here is developer').waitFor(wait);
    await dev.getByRole('region', { name: 'API tokens' }).getByRole('alert').filter({ hasText: 'SLW_FORBIDDEN' }).waitFor(wait);
    for (const name of ['Add a member', 'Create a token']) expect(await dev.getByRole('form', { name }).count()).toBe(0);
    expect(await dev.getByRole('button', { name: /^(Change role|Remove)/ }).count()).toBe(0);
    expect(await dev.locator('[data-member="admin@slipway.local"]').innerText()).toContain('owner');
    // Labelled for screen readers, and fits a phone: nothing widens the page.
    const unlabelled = await dev.evaluate(`[...document.querySelectorAll('button, input, select, a')].filter((el) =>
      el.textContent.trim() === '' && !el.getAttribute('aria-label') && !(el.labels && el.labels.length > 0)).length`);
    expect(unlabelled).toBe(0);
    expect(await dev.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await screenshot(dev, 'wsadmin-developer-members-phone');
    await dev.context().close();
  }, 60_000);
});
