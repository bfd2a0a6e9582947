/**
 * Older history than a view first holds, from the panel alone (Debian's Chromium against a real
 * `slipway server`; no Docker needed: the data is made through the API), each list checked
 * against what the API (and so the CLI) answers for the same query:
 * - promotion and approval requests (`promotions --status S --limit N`): 13 requests to deploy
 *   to prod (12 rejected, one waiting); the history shows the newest 10, Show more the rest (and
 *   no more button then), the status filter only the waiting one or only rejected ones; a request's
 *   page shows what `promotion show ID` does (kind, image, status, who asked, who decided, gates,
 *   reason);
 * - webhook deliveries (`git deliveries --limit N`): 23 pushes to branches nothing follows; the
 *   pipeline view lists the newest 20 and, after Show more, all 23;
 * - pipeline runs (`pipeline runs -e ENV --pipeline NAME --limit N`): 56 runs of two pipelines
 *   against two environments (each job's image cannot be pulled, so each run ends at once); the
 *   Runs list shows the newest 50, Show more all 56, and the environment and pipeline filters
 *   narrow it to exactly the runs the API lists for them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Started } from '../../src/api/deploy.js';
import type { RunList, RunTriggered } from '../../src/api/pipelines.js';
import type { Promotion, PromotionList } from '../../src/api/promotions.js';
import type { DeliveryList, HookAnswer } from '../../src/api/webhooks.js';
import { apiClient, ok, type Api } from '../support/api.js';
import { launchBrowser, screenshot, screenshotOnFailure, signIn } from '../support/browser.js';
import { pushBlob, pushImage, sha256 } from '../support/oci-push.js';
import { cleanup, cli, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';
import { makeTar } from '../support/tar-fixtures.js';
import { delivery, pushPayload, send, zeroSha } from '../support/webhook-sender.js';

const ws = 'phistory';
const wait = { timeout: 30_000 };
const project = `/api/v1/workspaces/${ws}/projects/shop`;
let server: ServerProcess;
let admin: Api;
let browser: Browser;
let page: Page;

/** The newest-first ids the API lists for a query (what the CLI prints for the same flags). */
const promotionIds = async (query: string) => ok<PromotionList>(await admin.get(`${project}/promotions?${query}`)).promotions.map((p) => p.id);
const deliveryIds = async (limit: number) => ok<DeliveryList>(await admin.get(`${project}/deliveries?limit=${limit}`)).deliveries.map((d) => d.id);
const runIds = async (query: string) => ok<RunList>(await admin.get(`${project}/pipeline-runs?${query}`)).runs.map((r) => r.id);
const shownIds = (selector: string, attribute: string) => page.locator(selector).evaluateAll((els, a) => els.map((e) => e.getAttribute(a)), attribute);

const manifest = `pipelines:
  lint:
    jobs:
      - name: check
        image: 127.0.0.1:9/nothing/here:1
        command: "true"
  smoke:
    jobs:
      - name: check
        image: 127.0.0.1:9/nothing/here:1
        command: "true"
`;

async function pushBase(): Promise<void> {
  const t = { url: server.url, token: server.adminToken };
  const layer = makeTar([{ path: 'usr/', type: 'dir' }], false);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: ['httpd'] }, rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  await pushBlob(t, `${ws}/base`, layer);
  await pushBlob(t, `${ws}/base`, config);
  await pushImage(t, `${ws}/base`, 'static', config, [layer]);
}

/** Runs `pipeline` against `env` and waits until it has ended. */
async function runToEnd(env: string, pipeline: string): Promise<string> {
  const { run } = ok<RunTriggered>(await admin.post(`${project}/environments/${env}/pipelines/${pipeline}/runs`, {}));
  const until = Date.now() + 60_000;
  for (;;) {
    const { status } = ok<{ status: string }>(await admin.get(`/api/v1/workspaces/${ws}/pipeline-runs/${run.id}`));
    if (status === 'failed' || status === 'succeeded' || status === 'cancelled') return run.id;
    if (Date.now() > until) throw new Error(`run ${run.id} of ${pipeline} against ${env} is still ${status} after 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  server = await startServerProcess();
  admin = apiClient(server.url, server.adminToken);
  ok(await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
  ok(await admin.post(`/api/v1/workspaces/${ws}/projects`, { name: 'base' }));
  ok(await admin.post(`/api/v1/workspaces/${ws}/projects`, { name: 'shop' }));
  await pushBase();
  const site = join(tempDir('slipway-history-'), 'site.tar.gz');
  writeFileSync(site, makeTar([{ path: 'index.html', content: '<h1>history</h1>' }]));
  const built = await cli(['build', site, '-w', ws, '-p', 'shop', '--version', '1.0.0', '--base', `${new URL(server.url).host}/${ws}/base:static`, '--json'], { server: server.url, token: server.adminToken });
  expect(built.code, built.stderr).toBe(0);
  // prod requires approval: each deploy asks; 12 are rejected, the 13th waits.
  for (let i = 1; i <= 13; i++) {
    const { approval } = ok<Started>(await admin.post(`${project}/environments/prod/deployments`, { version: '1.0.0' }));
    expect(approval?.status).toBe('pending-approval');
    if (i < 13) ok(await admin.post(`/api/v1/workspaces/${ws}/promotions/${approval!.id}/reject`, { reason: `not now (${i})` }));
  }
  ok(await admin.put(`${project}/manifest`, { yaml: manifest }));
  // 56 runs: lint against dev and smoke against prod, two at a time (one in flight per pipeline).
  for (let i = 0; i < 28; i++) await Promise.all([runToEnd(i % 4 === 3 ? 'prod' : 'dev', 'lint'), runToEnd(i % 4 === 3 ? 'dev' : 'prod', 'smoke')]);
  // 23 webhook deliveries (pushes to branches no environment follows: each ignored).
  const hook = ok<HookAnswer>(await admin.put(`${project}/hook`, { provider: 'github' }));
  for (let i = 0; i < 23; i++) {
    const push = pushPayload('github', `chore/n${i}`, zeroSha, i.toString(16).padStart(40, 'a'));
    expect((await send(hook.url, delivery('github', push.event, push.payload, hook.secret!))).status).toBe(202);
  }
  browser = await launchBrowser();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
}, 300_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  await cleanup();
}, 60_000);

afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'history-'));

describe('history beyond what a view first holds, in the panel', () => {
  it('lists promotion requests by status with Show more, and shows one as promotion show does', async () => {
    await signIn(page, `${server.url}/w/${ws}/p/shop`, server.adminToken);
    const history = page.locator('[data-promotion-history]');
    const rows = '[data-promotion-history] [data-request]';
    await history.locator('[data-request]').first().waitFor(wait);
    expect(await shownIds(rows, 'data-request')).toEqual(await promotionIds('limit=10'));
    await history.getByRole('button', { name: 'Show more' }).click();
    await expect.poll(() => shownIds(rows, 'data-request'), wait).toHaveLength(13);
    expect(await shownIds(rows, 'data-request')).toEqual(await promotionIds('limit=500'));
    expect(await history.getByRole('button', { name: 'Show more' }).count()).toBe(0);
    await screenshot(page, 'history-promotions-all');

    await page.getByLabel('Requests in status').selectOption('pending-approval');
    await expect.poll(() => shownIds(rows, 'data-request'), wait).toEqual(await promotionIds('status=pending-approval'));
    expect(await shownIds(rows, 'data-request')).toHaveLength(1);
    await page.getByLabel('Requests in status').selectOption('rejected');
    await expect.poll(() => shownIds(rows, 'data-request'), wait).toEqual(await promotionIds('status=rejected&limit=10'));
    await history.getByRole('button', { name: 'Show more' }).click();
    await expect.poll(() => shownIds(rows, 'data-request'), wait).toEqual(await promotionIds('status=rejected&limit=500'));
    expect(await shownIds(rows, 'data-request')).toHaveLength(12);
    await page.getByLabel('Requests in status').selectOption('succeeded');
    await history.getByText('No request is succeeded.').waitFor(wait);

    // The oldest request's page, as `promotion show ID --json` answers it.
    const oldest = (await promotionIds('limit=500')).at(-1)!;
    const shown = await cli(['promotion', 'show', oldest, '-w', ws, '--json'], { server: server.url, token: server.adminToken });
    const p = shown.json<Promotion>();
    await page.getByLabel('Requests in status').selectOption('');
    await history.getByRole('button', { name: 'Show more' }).click();
    await history.getByRole('link', { name: oldest, exact: true }).click();
    await page.waitForURL(`**/w/${ws}/promotions/${oldest}`);
    const detail = page.locator(`[data-promotion-detail="${oldest}"]`);
    await detail.locator('[data-field="status"]').waitFor(wait);
    const field = (name: string) => detail.locator(`[data-field="${name}"] td`).innerText();
    expect(await field('kind')).toBe(p.kind);
    expect(await field('what')).toBe('shop/prod');
    expect(await field('image')).toContain(p.version!);
    expect(await field('status')).toBe('rejected');
    expect(await field('requested')).toContain(`by ${p.requestedBy ?? 'a token'}`);
    expect(await field('decided')).toContain(`by ${p.decidedBy ?? 'a token'}`);
    expect(await field('reason')).toBe('not now (1)');
    expect(p.reason).toBe('not now (1)');
    expect(await detail.locator('[data-gate="approval"]').getAttribute('data-gate-status')).toBe(p.gates.approval.state);
    await screenshot(page, 'history-promotion-show');
    // An unknown id: the API's refusal, with its code.
    await page.goto(`${server.url}/w/${ws}/promotions/prm_nothing`);
    await page.getByRole('alert').filter({ hasText: /SLW_[A-Z_]+/ }).waitFor(wait);
  }, 120_000);

  it('filters pipeline runs by environment and pipeline, with Show more past the newest 50', async () => {
    await page.goto(`${server.url}/w/${ws}/p/shop/pipelines`);
    const rows = 'tr[data-run]';
    await page.locator(rows).first().waitFor(wait);
    expect(await runIds('limit=200')).toHaveLength(56);
    await expect.poll(() => shownIds(rows, 'data-run'), wait).toEqual(await runIds('limit=50'));
    await page.locator('[data-show-more="runs"]').getByRole('button', { name: 'Show more' }).click();
    await expect.poll(() => shownIds(rows, 'data-run'), wait).toHaveLength(56);
    expect(await shownIds(rows, 'data-run')).toEqual(await runIds('limit=200'));
    expect(await page.locator('[data-show-more="runs"]').count()).toBe(0);

    await page.getByLabel('Runs against environment').selectOption('dev');
    const dev = await runIds('environment=dev&limit=200');
    await expect.poll(() => shownIds(rows, 'data-run'), wait).toEqual(dev);
    expect(dev).toHaveLength(28);
    await page.getByLabel('Runs of pipeline').selectOption('smoke');
    const devSmoke = await runIds('environment=dev&pipeline=smoke&limit=200');
    await expect.poll(() => shownIds(rows, 'data-run'), wait).toEqual(devSmoke);
    expect(devSmoke).toHaveLength(7);
    await screenshot(page, 'history-runs-filtered');
    await page.getByLabel('Runs against environment').selectOption('');
    await expect.poll(() => shownIds(rows, 'data-run'), wait).toEqual(await runIds('pipeline=smoke&limit=200'));
    await page.getByLabel('Runs of pipeline').selectOption(':release');
    await page.getByText('No run matches these filters.').waitFor(wait);
  }, 120_000);

  it('lists webhook deliveries past the newest 20 with Show more', async () => {
    await page.goto(`${server.url}/w/${ws}/p/shop`);
    const rows = 'tr[data-delivery]';
    await page.locator(rows).first().waitFor(wait);
    await expect.poll(() => shownIds(rows, 'data-delivery'), wait).toEqual(await deliveryIds(20));
    await page.locator('[data-show-more="deliveries"]').getByRole('button', { name: 'Show more' }).click();
    await expect.poll(() => shownIds(rows, 'data-delivery'), wait).toHaveLength(23);
    expect(await shownIds(rows, 'data-delivery')).toEqual(await deliveryIds(500));
    expect(await page.locator('[data-show-more="deliveries"]').count()).toBe(0);
  }, 60_000);
});
