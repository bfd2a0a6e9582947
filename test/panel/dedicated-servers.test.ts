/**
 * A workspace owner's dedicated servers from the panel alone (`server add -w` and `list`, `show`,
 * `token`, `rotate`, `revoke`, `remove` of them), in Debian's Chromium against a real `slipway
 * server` with its agent gateway and a real agent joined in this process (the machine's Docker
 * engine): the owner (a workspace token, not an instance admin) adds a server on the workspace's
 * page and gets its join token once; asks for a new one on its page; the agent joins with it, the
 * owner rotates its certificate, revokes it (the agent is dropped) and removes it. Another
 * workspace's owner sees none of it; a developer of the workspace sees no action, and the API
 * refuses them. Each change is read back from the API as the instance admin.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startAgent } from '../../src/agent/main.js';
import { apiClient, errorCode, ok, type Api } from '../support/api.js';
import { addMember, workspaceToken } from '../support/fixtures.js';
import { launchBrowser, recordApiResponses, screenshot, type ResponseRecorder, screenshotOnFailure, signIn as signInAt } from '../support/browser.js';
import { cleanup, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';

const ws = 'dedi';
const rival = 'rival';
const wait = { timeout: 60_000 };
let server: ServerProcess;
let admin: Api;
let owner: Api;
let rivalOwner: Api;
let developer: Api;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let recorder: ResponseRecorder;
let firstToken = '';
let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
let agentEnded: Promise<string> | undefined;

const row = (p: Page, name: string) => p.locator(`tr[data-server="${name}"]`);
const signIn = (p: Page, token: string) => signInAt(p, server.url, token);
const asAdmin = async (name: string) => ok<{ workspace: string | null; state: string; certificateExpiresAt: string | null }>(await admin.get(`/api/v1/servers/${name}`));

/** Runs `fn` in a browser context of its own, signed in with `token`. */
async function signedIn(token: string, fn: (p: Page) => Promise<void>): Promise<void> {
  const other = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const p = await other.newPage();
  try {
    await signIn(p, token);
    await fn(p);
  } catch (error) {
    await screenshot(p, 'dedicated-failed-other').catch(() => undefined);
    throw error;
  } finally {
    await other.close();
  }
}

beforeAll(async () => {
  server = await startServerProcess({ args: ['--gateway-listen', '127.0.0.1:0'], env: { SLIPWAY_AGENT_HEARTBEAT: '1' } });
  admin = apiClient(server.url, server.adminToken);
  for (const name of [ws, rival]) ok(await admin.post('/api/v1/workspaces', { name, tier: 'high' }));
  await addMember(admin, ws, 'olga@example.com', 'owner');
  await addMember(admin, ws, 'dave@example.com', 'developer');
  await addMember(admin, rival, 'oscar@example.com', 'owner');
  owner = (await workspaceToken(admin, ws, 'owner', 'olga@example.com')).api;
  developer = (await workspaceToken(admin, ws, 'developer', 'dave@example.com')).api;
  rivalOwner = (await workspaceToken(admin, rival, 'owner', 'oscar@example.com')).api;
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  recorder = await recordApiResponses(page);
}, 120_000);

afterAll(async () => {
  agent?.stop();
  await agentEnded;
  await browser?.close().catch(() => undefined);
  await server?.stop();
  await cleanup();
}, 60_000);

afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'dedicated-'));

describe("a workspace owner's dedicated servers in the panel", () => {
  it('the owner adds one on the workspace page; its join token is shown once', async () => {
    await signIn(page, owner.token);
    expect(await page.getByRole('banner').getByRole('link', { name: 'Servers' }).count()).toBe(0);
    await page.getByRole('link', { name: ws, exact: true }).click();
    await page.getByRole('link', { name: 'Dedicated servers' }).click();
    await page.waitForURL(/\/w\/dedi\/servers$/);
    await page.getByText(`No servers dedicated to ${ws} yet`).waitFor(wait);
    // The workspace is this page's: nothing to pick.
    expect(await page.getByLabel('Dedicated to').count()).toBe(0);
    await page.getByLabel('Name').fill('edge-d');
    await page.getByLabel('Labels (optional)').fill('zone=b');
    await page.getByLabel('Join token valid for').selectOption({ label: '1 hour' });
    await page.getByRole('button', { name: 'Add server' }).click();
    const card = page.locator('section[data-join-token="edge-d"]');
    await card.getByText('Shown only now.').waitFor(wait);
    firstToken = await card.getByLabel('Join token').inputValue();
    expect(firstToken.length).toBeGreaterThan(40);
    expect(await card.getByLabel('Join command (run it on the server)').inputValue()).toBe(`slipway agent --join ${firstToken} --data-dir /var/lib/slipway-agent`);
    await row(page, 'edge-d').and(page.locator('[data-state="pending"]')).waitFor(wait);
    expect(await row(page, 'edge-d').innerText()).toMatch(/^edge-d\s+pending[\s\S]*zone=b/);
    await screenshot(page, 'dedicated-servers-join-token');
    expect((await asAdmin('edge-d')).workspace).toBe(ws);
    // Hidden, or after a reload, the token is nowhere on the page; only the add's answer held it.
    await card.getByRole('button', { name: 'I have copied it, hide the token' }).click();
    expect(await page.content()).not.toContain(firstToken);
    await page.reload();
    await row(page, 'edge-d').waitFor(wait);
    expect(await page.content()).not.toContain(firstToken);
    const holding = (await recorder.responses()).filter((r) => r.body.includes(firstToken));
    expect(holding.map((r) => `${r.status} ${new URL(r.url).pathname}`)).toEqual(['201 /api/v1/servers']);
    // A taken name is the API's to refuse, and nothing is added.
    await page.getByLabel('Name').fill('edge-d');
    await page.getByRole('button', { name: 'Add server' }).click();
    await page.getByRole('alert').filter({ hasText: 'SLW_ALREADY_EXISTS' }).waitFor(wait);
    expect(ok<{ servers: unknown[] }>(await admin.get('/api/v1/servers')).servers).toHaveLength(1);
  }, 90_000);

  it("the server's page gives a new join token; the agent joins with it; the owner rotates its certificate", async () => {
    await row(page, 'edge-d').getByRole('link', { name: 'edge-d' }).click();
    await page.waitForURL(/\/w\/dedi\/servers\/edge-d$/);
    await page.getByRole('heading', { name: /Server edge-d/ }).getByText('pending').waitFor(wait);
    await page.locator('dl.server-facts').getByText(`workspace ${ws} (only its environments run here)`).waitFor();
    await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'dedicated servers' }).waitFor();
    await page.getByLabel('Valid for').selectOption({ label: '15 minutes' });
    await page.getByRole('button', { name: 'New join token' }).click();
    const card = page.locator('section[data-join-token="edge-d"]');
    await card.getByText('Shown only now.').waitFor(wait);
    const second = await card.getByLabel('Join token').inputValue();
    expect(second.length).toBeGreaterThan(40);
    expect(second).not.toBe(firstToken);
    agent = await startAgent({ dataDir: tempDir('slipway-agent-'), joinToken: second, advertiseAddress: '127.0.0.1' });
    agentEnded = agent.done.then(
      () => 'stopped',
      (e: unknown) => String((e as { code?: string }).code),
    );
    expect(agent.serverName).toBe('edge-d');
    await page.getByRole('heading', { name: /Server edge-d/ }).getByText('connected').waitFor(wait);
    expect(await page.getByRole('button', { name: 'New join token' }).count()).toBe(0);
    const before = await asAdmin('edge-d');
    // Certificates carry whole seconds: a later one must be told apart.
    await new Promise((r) => setTimeout(r, 1100));
    await page.getByRole('button', { name: 'Rotate certificate' }).click();
    await page.getByRole('status').filter({ hasText: 'Asked the agent of edge-d for a new key and certificate' }).waitFor(wait);
    await expect.poll(async () => (await asAdmin('edge-d')).certificateExpiresAt, wait).not.toBe(before.certificateExpiresAt);
    expect((await asAdmin('edge-d')).state).toBe('connected');
    await screenshot(page, 'dedicated-server');
  }, 90_000);

  it("another workspace's owner sees none of it", async () => {
    await signedIn(rivalOwner.token, async (p) => {
      await p.goto(`${server.url}/w/${rival}/servers`);
      await p.getByText(`No servers dedicated to ${rival} yet`).waitFor(wait);
      expect(await row(p, 'edge-d').count()).toBe(0);
      await p.goto(`${server.url}/w/${rival}/servers/edge-d`);
      await p.getByRole('alert').filter({ hasText: 'SLW_NOT_FOUND' }).waitFor(wait);
      expect(await p.getByRole('button', { name: /Revoke|Remove|Rotate/ }).count()).toBe(0);
      await p.goto(`${server.url}/w/${ws}/servers`);
      await p.getByRole('alert').filter({ hasText: 'SLW_NOT_FOUND' }).waitFor(wait);
      expect(await p.content()).not.toContain('edge-d');
    });
    expect(ok<{ servers: unknown[] }>(await rivalOwner.get('/api/v1/servers')).servers).toEqual([]);
    expect(errorCode(await rivalOwner.post('/api/v1/servers/edge-d/revoke'))).toBe('SLW_NOT_FOUND');
  }, 60_000);

  it('a developer of the workspace sees no action, and the API refuses them', async () => {
    await signedIn(developer.token, async (p) => {
      await p.goto(`${server.url}/w/${ws}`);
      // The role has been read once the developer's form shows.
      await p.getByRole('button', { name: 'Create project' }).waitFor(wait);
      expect(await p.getByRole('link', { name: 'Dedicated servers' }).count()).toBe(0);
      await p.goto(`${server.url}/w/${ws}/servers`);
      await p.getByText(`Only the owners of ${ws} see and manage the servers dedicated to it (your role here: developer)`).waitFor(wait);
      await p.getByRole('alert').filter({ hasText: 'SLW_FORBIDDEN' }).waitFor(wait);
      expect(await p.getByRole('button', { name: 'Add server' }).count()).toBe(0);
      await p.goto(`${server.url}/w/${ws}/servers/edge-d`);
      await p.getByRole('alert').filter({ hasText: 'SLW_FORBIDDEN' }).waitFor(wait);
      await p.getByText(`Only the owners of ${ws} see and manage`).waitFor();
      expect(await p.getByRole('button', { name: /Revoke|Remove|Rotate|join token/ }).count()).toBe(0);
      await screenshot(p, 'dedicated-server-developer');
    });
    expect(errorCode(await developer.post('/api/v1/servers/edge-d/revoke'))).toBe('SLW_FORBIDDEN');
    expect(errorCode(await developer.delete('/api/v1/servers/edge-d'))).toBe('SLW_FORBIDDEN');
    expect(errorCode(await developer.post('/api/v1/servers', { name: 'sneaky', workspace: ws }))).toBe('SLW_FORBIDDEN');
    expect((await asAdmin('edge-d')).state).toBe('connected');
  }, 60_000);

  it('the owner revokes it (the agent is dropped) and removes it', async () => {
    await page.getByRole('button', { name: 'Revoke', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke server edge-d?' });
    await dialog.getByRole('button', { name: 'Revoke edge-d' }).click();
    await page.getByRole('heading', { name: /Server edge-d/ }).getByText('revoked').waitFor(wait);
    expect(await agentEnded).toBe('SLW_SERVER_REVOKED');
    expect((await asAdmin('edge-d')).state).toBe('revoked');
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await page.getByRole('dialog', { name: 'Remove server edge-d?' }).getByRole('button', { name: 'Remove edge-d' }).click();
    await page.waitForURL(/\/w\/dedi\/servers$/);
    await page.getByText(`No servers dedicated to ${ws} yet`).waitFor(wait);
    expect(errorCode(await admin.get('/api/v1/servers/edge-d'))).toBe('SLW_NOT_FOUND');
  }, 60_000);
});
