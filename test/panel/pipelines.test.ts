/**
 * The pipelines view end to end: Debian's Chromium against a real `slipway server` with the
 * Docker engine. A developer applies the project's manifest from a file (a malformed one refused
 * with its line and column, nothing stored); prod refuses its jobs until an admin reviews it in the
 * panel; then the developer runs a pipeline against prod, follows its
 * log live to its end, sees a second run queue behind a third-party one and cancels it. A manifest
 * that schedules a pipeline every minute shows the schedule with its next slot; the server runs
 * a due slot by itself (trigger `schedule`; here the one found due at its restart) and the panel
 * shows the slot's run; a schedule is paused and resumed from its row (against prod, not by a
 * developer). The jobs really run
 * as containers of the release image. Screenshots go to test-results/panel/.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { apiClient, ok } from '../support/api.js';
import { launchBrowser, screenshot, signIn as signInAt } from '../support/browser.js';
import { deployWorld, type DeployWorld } from '../support/deploy.js';
import { cleanup } from '../support/server-process.js';

let w: DeployWorld;
let browser: Browser;
const wait = { timeout: 60_000 };

const manifest = `pipelines:
  smoke:
    jobs:
      - name: hello
        image: $build
        command: echo "smoke says $GREETING"; sleep 1; echo "smoke done"
  nap:
    jobs:
      - name: sleep
        image: $build
        command: sleep 30
`;

beforeAll(async () => {
  w = await deployWorld({ workspace: 'panelpipes' });
  expect((await w.run(['config', 'set', 'GREETING=hi from prod', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--no-restart'])).code).toBe(0);
  const dep = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'prod', '--version', '1.0.0', '--skip-approval', '--json']);
  expect(dep.code, dep.stderr).toBe(0);
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await w?.dispose();
  await cleanup();
});

const signIn = (page: Page, token: string) => signInAt(page, `${w.server.url}/w/${w.ws}/p/shop/pipelines`, token);

describe('panel: pipelines', () => {
  it('applies the manifest from a file: a malformed one is refused with its line and column, and nothing is stored', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await signIn(page, w.developer);
    await page.getByText('No manifest yet').waitFor(wait);
    const stored = async () => ok<{ applied: boolean; yaml: string; appliedBy: string | null }>(await apiClient(w.server.url, w.server.adminToken).get(`/api/v1/workspaces/${w.ws}/projects/shop/manifest`));
    // `jobs` must be a list: refused where it is wrong, and nothing is stored.
    await page.getByLabel('Manifest (slipway.yaml)').fill('pipelines:\n  smoke:\n    jobs: nope\n');
    await page.getByRole('button', { name: 'Apply manifest' }).click();
    await page.getByRole('alert').filter({ hasText: 'SLW_MANIFEST_INVALID' }).filter({ hasText: /slipway\.yaml:3:\d+/ }).waitFor(wait);
    expect((await stored()).applied).toBe(false);
    await page.getByLabel('Load a file (optional)').setInputFiles({ name: 'pipelines.yaml', mimeType: 'text/yaml', buffer: Buffer.from(manifest) });
    await expect.poll(() => page.getByLabel('Manifest (pipelines.yaml)').inputValue(), wait).toBe(manifest);
    await page.getByRole('button', { name: 'Apply manifest' }).click();
    const applied = page.getByRole('status').filter({ hasText: 'Applied pipelines.yaml: pipelines smoke, nap; no release step' });
    await applied.waitFor(wait);
    await page.locator('tr[data-pipeline="nap"]').waitFor(wait);
    // The form stays open with its answer once the list has the new pipelines.
    expect(await applied.isVisible()).toBe(true);
    expect(await stored()).toMatchObject({ applied: true, yaml: manifest, appliedBy: 'dave@example.com' });
    await screenshot(page, 'manifest-applied');
    await page.context().close();
  }, 60_000);

  it("refuses a developer's manifest in prod until an admin reviews it there, then runs a pipeline against prod, follows its log live to its end, queues and cancels a run", async () => {
    // The developer's manifest is not reviewed: prod (approval required) runs none of its jobs.
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await signIn(page, w.developer);
    await page.getByRole('heading', { name: 'Pipelines of shop' }).waitFor(wait);
    const pending = page.getByRole('note', { name: 'Manifest review' });
    await pending.getByText(/Not reviewed: prod requires approval and runs none of its jobs .*; ask one to review it\./).waitFor(wait);
    await pending.getByText('Never reviewed before: read it whole.').waitFor(wait);
    expect(await pending.getByRole('button', { name: 'Review manifest' }).count()).toBe(0);
    await page.getByLabel('Environment to run against').selectOption('prod');
    await page.getByRole('button', { name: 'Run smoke' }).click();
    await page.getByRole('alert').filter({ hasText: 'SLW_MANIFEST_UNREVIEWED' }).filter({ hasText: 'shop/prod requires approval' }).waitFor(wait);
    await screenshot(page, 'manifest-unreviewed');

    // An admin reviews it in the panel; the developer's run then goes.
    const admin = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await signIn(admin, w.server.adminToken);
    await admin.getByRole('note', { name: 'Manifest review' }).getByRole('button', { name: 'Review manifest' }).click();
    await admin.locator('[data-review="reviewed"]', { hasText: /^Reviewed by .+: prod runs its jobs\.$/ }).waitFor(wait);
    await admin.context().close();
    await page.reload();
    await page.locator('[data-review="reviewed"]').waitFor(wait);
    await page.getByLabel('Environment to run against').selectOption('prod');
    await page.getByRole('button', { name: 'Run smoke' }).click();
    await page.getByRole('status').filter({ hasText: /of smoke on prod started/ }).waitFor(wait);
    // The run's page follows its log live.
    await page.locator('tr[data-run]', { hasText: 'smoke' }).getByRole('link').first().click();
    await page.waitForURL(/\/runs\//, wait);
    const log = page.getByRole('list', { name: 'Run log' });
    await log.getByText('smoke says hi from prod').waitFor(wait);
    await log.getByText('smoke done').waitFor(wait);
    await page.locator('.deploy-status', { hasText: 'succeeded' }).waitFor(wait);
    await page.locator('tr[data-job="hello"]', { hasText: 'succeeded' }).waitFor(wait);
    await screenshot(page, 'pipeline-run');

    // Back on the list: one nap runs (started by the admin through the API), the panel's queues.
    const api = apiClient(w.server.url, w.server.adminToken);
    const first = ok<{ outcome: string; run: { id: string } }>(await api.post(`/api/v1/workspaces/${w.ws}/projects/shop/environments/prod/pipelines/nap/runs`, {}));
    expect(first.outcome).toBe('started');
    await page.getByRole('link', { name: 'Back to the pipelines' }).click();
    await page.getByLabel('Environment to run against').selectOption('prod');
    await page.getByRole('button', { name: 'Run nap' }).click();
    await page.getByRole('status').filter({ hasText: /of nap on prod queued behind the run in flight/ }).waitFor(wait);
    await page.getByRole('button', { name: 'Run nap' }).click();
    await page.getByRole('status').filter({ hasText: /coalesced into the run already waiting/ }).waitFor(wait);
    // Cancel both: the waiting one ends at once, the running one once its container is removed.
    for (const row of await page.locator('tr[data-run]', { hasText: 'nap' }).all()) {
      const cancel = row.getByRole('button', { name: 'Cancel' });
      if (await cancel.count()) await cancel.click();
    }
    await expect.poll(async () => page.locator('tr[data-run][data-status="cancelled"]', { hasText: 'nap' }).count(), wait).toBe(2);
    await screenshot(page, 'pipelines');
    const runs = ok<{ runs: Array<{ pipeline: string; status: string }> }>(await api.get(`/api/v1/workspaces/${w.ws}/projects/shop/pipeline-runs`));
    expect(runs.runs.map((r) => `${r.pipeline}:${r.status}`).sort()).toEqual(['nap:cancelled', 'nap:cancelled', 'smoke:succeeded']);
    expect((await w.docker(['ps', '-aq', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.pipeline-run'])).trim()).toBe('');
  }, 240_000);

  it('shows the schedules of the manifest; a due slot runs the pipeline by itself and its run is linked', async () => {
    const api = apiClient(w.server.url, w.server.adminToken);
    const scheduled = manifest.replace('        command: echo "smoke says $GREETING"; sleep 1; echo "smoke done"\n', '        command: echo "smoke says $GREETING"; sleep 1; echo "smoke done"\n    schedules:\n      - cron: "* * * * *"\n        environment: prod\n');
    ok(await api.put(`/api/v1/workspaces/${w.ws}/projects/shop/manifest`, { yaml: scheduled }));
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await signIn(page, w.developer);
    const row = page.locator('tr[data-schedule="smoke@prod"]');
    await row.getByText('* * * * *').waitFor(wait);
    await row.getByText('not run yet').waitFor(wait);
    type Schedules = { schedules: Array<{ pipeline: string; nextAt: string; last: { outcome: string | null; runId: string | null } | null }> };
    const smoke = async () => ok<Schedules>(await api.get(`/api/v1/workspaces/${w.ws}/projects/shop/pipeline-schedules`)).schedules.find((x) => x.pipeline === 'smoke');
    const last = async () => (await smoke())?.last ?? null;
    // Rather than wait up to a minute for the next slot: the slot a minute before it (the minute
    // under way) is made the one due, as if the server had been down when it came (unless the
    // server took the next slot meanwhile), and the server restarted, which runs a due slot by
    // itself at start. Its minute clock (one second into each minute) is src/pipelines/runtime.test.ts's.
    const nextAt = (await smoke())!.nextAt;
    const db = new Database(join(w.server.dataDir, 'slipway.db'));
    try {
      db.pragma('busy_timeout = 5000');
      db.prepare(`update pipeline_schedules set next_at = ? where pipeline = 'smoke' and next_at = ?`).run(new Date(Date.parse(nextAt) - 60_000).toISOString(), nextAt);
    } finally {
      db.close();
    }
    await w.server.stop();
    await w.restart();
    await expect.poll(async () => (await last())?.outcome ?? null, { timeout: 60_000, interval: 500 }).toBe('started');
    const runId = (await last())!.runId!;
    const run = ok<{ status: string; trigger: { kind: string; by: string | null } }>(await api.get(`/api/v1/workspaces/${w.ws}/pipeline-runs/${runId}`));
    expect(run.trigger).toEqual({ kind: 'schedule', by: null });
    await page.reload();
    await row.getByText('started').waitFor(wait);
    await screenshot(page, 'pipeline-schedules');
    await row.getByRole('link', { name: runId }).click();
    await page.waitForURL(new RegExp(`/runs/${runId}`), wait);
    await page.getByRole('list', { name: 'Run log' }).getByText('smoke says hi from prod').waitFor(wait);
    await page.locator('.deploy-status', { hasText: 'succeeded' }).waitFor(wait);
    await page.context().close();
  }, 180_000);

  it('pauses and resumes a schedule from its row: against prod only an admin or owner may', async () => {
    const api = apiClient(w.server.url, w.server.adminToken);
    type Schedules = { schedules: Array<{ pipeline: string; environment: string; paused: { at: string; by: string | null } | null }> };
    const paused = async () => ok<Schedules>(await api.get(`/api/v1/workspaces/${w.ws}/projects/shop/pipeline-schedules`)).schedules.find((x) => x.pipeline === 'smoke' && x.environment === 'prod')?.paused ?? null;
    const dev = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await signIn(dev, w.developer);
    await dev.locator('tr[data-schedule="smoke@prod"]').getByRole('button', { name: 'Pause' }).click();
    await dev.getByRole('alert').filter({ hasText: 'SLW_FORBIDDEN' }).filter({ hasText: 'prod requires approval, so only an admin or owner may pause a schedule' }).waitFor(wait);
    expect(await paused()).toBeNull();
    await dev.context().close();

    const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await signIn(page, w.server.adminToken);
    const row = page.locator('tr[data-schedule="smoke@prod"]');
    await row.getByRole('button', { name: 'Pause' }).click();
    await row.getByText('paused', { exact: true }).waitFor(wait);
    expect(await paused()).not.toBeNull();
    await screenshot(page, 'pipeline-schedule-paused');
    await row.getByRole('button', { name: 'Resume' }).click();
    await row.getByRole('button', { name: 'Pause' }).waitFor(wait);
    expect(await paused()).toBeNull();
    await page.context().close();
  }, 60_000);
});
