/**
 * The project view's git source in Debian's Chromium against a real `slipway server` and a real
 * git server: link the repository with a token through the form (cleared after submit, in no
 * page HTML and no API answer: the view says `credential set`), build the default branch now
 * (a Dockerfile `FROM scratch`, built by buildah), see the build in the recent builds, unlink.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient, ok } from '../support/api.js';
import { launchBrowser, recordApiResponses, screenshot, type ResponseRecorder } from '../support/browser.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { cleanup, startServerProcess, type ServerProcess } from '../support/server-process.js';

const ws = 'gitpanel';
const wait = { timeout: 60_000 };
let server: ServerProcess;
let git: GitServer;
let browser: Browser;
let page: Page;
let recorder: ResponseRecorder;

beforeAll(async () => {
  server = await startServerProcess({ args: ['--allow-git-host', '127.0.0.1'] });
  const admin = apiClient(server.url, server.adminToken);
  ok(await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
  ok(await admin.post(`/api/v1/workspaces/${ws}/projects`, { name: 'shop' }));
  git = await startGitServer();
  await git.createRepo('shop');
  const work = await git.workdir('shop');
  await work.commit({ Dockerfile: 'FROM scratch\nCOPY index.html /index.html\n', 'index.html': '<h1>panel</h1>\n' });
  await work.push('main');
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  recorder = await recordApiResponses(page);
}, 120_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await git?.close();
  await server?.stop();
  await cleanup();
}, 60_000);

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && page) await screenshot(page, `git-failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
});

describe('git source in the panel', () => {
  it('links a repository with a write-only token, builds main now, lists the build, and unlinks', async () => {
    await page.goto(server.url);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: ws, exact: true }).click();
    await page.getByRole('link', { name: 'shop', exact: true }).click();
    const section = page.locator('[data-git-source]');
    await section.getByLabel('Repository URL (https)').fill(`${git.url}/shop.git`);
    await section.getByLabel('Token (write-only, optional)').fill(git.token);
    await section.getByRole('button', { name: 'Link repository' }).click();
    await section.getByText('credential').waitFor(wait);
    await section.getByText('set', { exact: true }).waitFor(wait);
    await section.getByRole('button', { name: 'Build main now' }).click();
    await section.getByRole('status').getByText(/Built git-[0-9a-f]{12}/).waitFor(wait);
    await section.locator('tr[data-git-build]').getByText('succeeded').waitFor(wait);
    await screenshot(page, 'git-source');
    expect(await page.content()).not.toContain(git.token);
    for (const r of await recorder.responses()) expect(r.body, r.url).not.toContain(git.token);
    await section.getByRole('button', { name: 'Unlink' }).click();
    await section.getByRole('button', { name: 'Link repository' }).waitFor(wait);
  });
});
