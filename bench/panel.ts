/**
 * The web panel's speed in Debian's Chromium (headless): how long a cold load of the pipeline
 * view takes (no cache, new browser context, token already in the tab), what it transfers, and
 * how long a state change takes to appear in an open pipeline view without a reload (workspace
 * change stream → refetch → render), next to how long the API call that made the change took.
 * No peer panel runs here, so the ratio reported is live update / the API call itself.
 *
 *   npm run build && npx tsx bench/panel.ts --runs 20 [--write docs/benchmarks.md]
 *
 * Runs without the Docker engine: a successful dev release is recorded directly, and the change
 * measured is a promotion to prod that waits for approval (then is rejected, to reset).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { apiClient } from '../test/support/api.js';
import { launchBrowser } from '../test/support/browser.js';
import { seedDeployRecords, workspaceToken } from '../test/support/fixtures.js';
import { cleanup, startServerProcess } from '../test/support/server-process.js';
import { median } from './support.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, write: { type: 'string' } } });
const runs = Number(values.runs);

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const ms = (x: number) => `${Math.round(x)} ms`;

const server = await startServerProcess();
const browser = await launchBrowser();
try {
  const admin = apiClient(server.url, server.adminToken);
  await admin.post('/api/v1/workspaces', { name: 'bench', tier: 'high' });
  await admin.post('/api/v1/workspaces/bench/projects', { name: 'shop' });
  await admin.post('/api/v1/workspaces/bench/members', { email: 'dave@example.com', role: 'developer' });
  const developer = (await workspaceToken(admin, 'bench', 'developer', 'dave@example.com')).api;
  await seedDeployRecords(join(server.dataDir, 'slipway.db'), server.adminToken, server.adminToken, 'bench', 'shop');
  // The seed leaves one promotion pending; clear it so each run adds exactly one.
  for (const p of ((await admin.get('/api/v1/workspaces/bench/projects/shop/promotions?status=pending-approval')).json as { promotions: { id: string }[] }).promotions) await admin.post(`/api/v1/workspaces/bench/promotions/${p.id}/reject`, {});
  const pipeline = `${server.url}/w/bench/p/shop`;

  // Cold loads: a fresh context each time (empty cache), the token already in session storage.
  const loads: number[] = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    await context.addInitScript(`sessionStorage.setItem('slipway.token', ${JSON.stringify(server.adminToken)})`);
    const page = await context.newPage();
    let transferred = 0;
    page.on('requestfinished', (r) => void r.sizes().then((x) => (transferred += x.responseBodySize + x.responseHeadersSize)).catch(() => undefined));
    const t0 = Date.now();
    await page.goto(pipeline);
    await page.locator('[data-environment="prod"]').waitFor();
    loads.push(Date.now() - t0);
    // Everything the view needs has arrived once it rendered (the change stream stays open).
    await new Promise((resolve) => setTimeout(resolve, 200));
    bytes = transferred;
    await page.goto('about:blank');
    await context.close();
  }

  // Live updates: one open pipeline view; each run asks for a promotion through the API and
  // waits for its row to appear, then rejects it and waits for the row to go.
  const context = await browser.newContext();
  await context.addInitScript(`sessionStorage.setItem('slipway.token', ${JSON.stringify(server.adminToken)})`);
  const page = await context.newPage();
  await page.goto(pipeline);
  await page.locator('.live-open').waitFor();
  const appear: number[] = [];
  const vanish: number[] = [];
  const calls: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = Date.now();
    const res = await developer.post('/api/v1/workspaces/bench/projects/shop/promotions', { from: 'dev', to: 'prod' });
    calls.push(Date.now() - t0);
    const id = (res.json as { promotion: { id: string } }).promotion.id;
    await page.locator(`[data-promotion="${id}"]`).waitFor();
    appear.push(Date.now() - t0);
    const t1 = Date.now();
    await admin.post(`/api/v1/workspaces/bench/promotions/${id}/reject`, {});
    await page.locator(`[data-promotion="${id}"]`).waitFor({ state: 'detached' });
    vanish.push(Date.now() - t1);
  }
  await context.close();

  const html = readFileSync(join(import.meta.dirname, '../dist/panel/index.html'), 'utf8');
  const assets = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => readFileSync(join(import.meta.dirname, '../dist/panel/assets', m[1]!)).length);
  const rows = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model.split(' ').slice(0, 2).join(' ')}, Node ${process.version}, Chromium headless; ${runs} runs each; server, browser and client on one machine.`,
    '',
    '| measure | p50 | p95 | note |',
    '|---|---|---|---|',
    `| cold load of the pipeline view (navigation → environments rendered) | ${ms(median(loads))} | ${ms(pct(loads, 95))} | new context, empty cache; ${Math.round(bytes / 1024)} KiB over the wire, headers included (assets ${Math.round(assets.reduce((a, b) => a + b, 0) / 1024)} KiB uncompressed) |`,
    `| API call: POST promotion (pending approval) | ${ms(median(calls))} | ${ms(pct(calls, 95))} | the change itself |`,
    `| change visible in an open pipeline view (POST sent → row rendered) | ${ms(median(appear))} | ${ms(pct(appear, 95))} | ${(median(appear) / median(calls)).toFixed(1)}× the API call: change stream → refetch of status and promotions → render |`,
    `| reject → row gone from the open view | ${ms(median(vanish))} | ${ms(pct(vanish, 95))} | |`,
  ].join('\n');
  console.log(rows);
  if (values.write) {
    const doc = readFileSync(values.write, 'utf8');
    const block = `<!-- panel:start -->\n${rows}\n<!-- panel:end -->`;
    writeFileSync(values.write, doc.replace(/<!-- panel:start -->[\s\S]*<!-- panel:end -->/, block));
  }
} finally {
  await browser.close();
  await server.stop();
  await cleanup();
}
