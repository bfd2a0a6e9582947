/**
 * The project view's git source in Debian's Chromium against a real `slipway server` and a real
 * git server: link the repository with a token through the form (cleared after submit, in no
 * page HTML and no API answer: the view says `credential set`), branch patterns and a runtime
 * (read back from the API), build the default branch now (a Dockerfile `FROM scratch`, built by
 * buildah), see the build in the recent builds; build another branch without deploying it and
 * read its log; change the link to drop the token; unlink.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient, ok } from '../support/api.js';
import { launchBrowser, recordApiResponses, screenshot, type ResponseRecorder, screenshotOnFailure } from '../support/browser.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { cleanup, startServerProcess, type ServerProcess } from '../support/server-process.js';

const ws = 'gitpanel';
const wait = { timeout: 60_000 };
let server: ServerProcess;
let git: GitServer;
let browser: Browser;
let page: Page;
let recorder: ResponseRecorder;
let featureSha = '';

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
  await work.checkout('feature/x');
  featureSha = await work.commit({ 'index.html': '<h1>feature</h1>\n' }, 'feature x');
  await work.push('feature/x');
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

afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'git-'));

const linked = async () => ok<Record<string, unknown>>(await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/projects/shop/git`));

describe('git source in the panel', () => {
  it('links a repository with a write-only token, branch patterns and a runtime, builds main now, lists the build', async () => {
    await page.goto(server.url);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: ws, exact: true }).click();
    await page.getByRole('link', { name: 'shop', exact: true }).click();
    const section = page.locator('[data-git-source]');
    await section.getByLabel('Repository URL (https)').fill(`${git.url}/shop.git`);
    await section.getByLabel('Token (write-only, optional)').fill(git.token);
    await section.getByLabel('Branch environments for (patterns, optional)').fill('feature/*');
    await section.getByLabel('Runtime without a Dockerfile').selectOption('static');
    await section.getByRole('button', { name: 'Link repository' }).click();
    await section.getByText('credential').waitFor(wait);
    await section.getByText('set', { exact: true }).waitFor(wait);
    await section.getByText('branch environments feature/*').waitFor(wait);
    expect(await linked()).toMatchObject({ url: `${git.url}/shop.git`, branch: 'main', branchEnvs: ['feature/*'], runtime: 'static', credential: 'set' });
    await section.getByRole('button', { name: 'Build main now' }).click();
    await section.getByRole('status').getByText(/Built git-[0-9a-f]{12}/).waitFor(wait);
    await section.locator('tr[data-git-build]').getByText('succeeded').waitFor(wait);
    await screenshot(page, 'git-source');
    expect(await page.content()).not.toContain(git.token);
    for (const r of await recorder.responses()) expect(r.body, r.url).not.toContain(git.token);
  }, 120_000);

  it("builds another ref without deploying it and shows that build's log", async () => {
    const section = page.locator('[data-git-source]');
    await section.getByLabel('Ref').fill('feature/x');
    await section.getByLabel('Deploy it as a push would').uncheck();
    await section.getByRole('button', { name: 'Build feature/x now' }).click();
    const said = section.getByRole('status').filter({ hasText: `from ${featureSha.slice(0, 12)} (refs/heads/feature/x)` });
    await said.waitFor(wait);
    expect(await said.innerText()).toMatch(/^Built git-[0-9a-f]{12} .*· not deployed$/);
    const row = section.locator('tr[data-git-build]', { hasText: 'feature/x' });
    await row.getByText('succeeded').waitFor(wait);
    await row.getByRole('button', { name: 'Log of the build of feature/x' }).click();
    const dialog = page.getByRole('dialog', { name: 'Build of feature/x (succeeded)' });
    const log = dialog.getByRole('list', { name: 'Build log' });
    await log.getByText(`commit ${featureSha} (refs/heads/feature/x) → version git-${featureSha.slice(0, 12)}`).waitFor(wait);
    await log.getByText(/^built gitpanel\/shop:git-/).waitFor();
    await screenshot(page, 'git-build-log');
    await dialog.getByRole('button', { name: 'Close' }).click();
    // Nothing was deployed from it.
    const releases = ok<{ releases: unknown[] }>(await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/projects/shop/environments/dev/releases`));
    expect(releases.releases.filter((r) => JSON.stringify(r).includes(featureSha.slice(0, 12)))).toEqual([]);
  }, 120_000);

  it('changes the link to drop the stored token, then unlinks', async () => {
    const section = page.locator('[data-git-source]');
    await section.getByRole('button', { name: 'Change link' }).click();
    expect(await section.getByLabel('Branch environments for (patterns, optional)').inputValue()).toBe('feature/*');
    expect(await section.getByLabel('Runtime without a Dockerfile').inputValue()).toBe('static');
    await section.getByLabel('Remove the stored token').check();
    expect(await section.getByLabel(/New token/).isDisabled()).toBe(true);
    await section.getByRole('button', { name: 'Save link' }).click();
    await section.getByText('none', { exact: true }).waitFor(wait);
    expect(await linked()).toMatchObject({ branchEnvs: ['feature/*'], runtime: 'static', credential: 'none' });
    await section.getByRole('button', { name: 'Unlink' }).click();
    await section.getByRole('button', { name: 'Link repository' }).waitFor(wait);
    expect((await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/projects/shop/git`)).status).toBe(404);
  }, 60_000);
});
