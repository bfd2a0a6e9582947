/**
 * Logs removed by retention (`server --keep-logs`) say so: after pruneLogs, a deployment, a
 * pipeline run and a herd upgrade answer `logsPrunedAt` (their records and their log streams'
 * `end`, a site's step log), and `slipway logs`, `slipway pipeline logs` and `slipway herd logs`
 * print one line saying when, instead of an empty log; `--json` carries the field; the panel
 * (Debian's Chromium) shows the same note on the deploy's and the run's log and on the site's
 * step log. Before the pass, the same commands print no such line and the field is null.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, screenshotOnFailure, signIn } from '../support/browser.js';
import { pruneLogs } from '../../src/server/log-retention.js';
import { join } from 'node:path';
import { apiClient, ok, type Api } from '../support/api.js';
import { seedDeployRecords, seedWorkspace, withSqliteStore } from '../support/fixtures.js';
import { cleanup, cli, startServerProcess, type ServerProcess } from '../support/server-process.js';
import { followStream } from '../support/sse.js';

/** A `slipway server` process (it serves the built panel), its store, and its first admin. */
let srv: ServerProcess & { dbFile: string; admin: Api };
let browser: Browser | undefined;
let page: Page | undefined;
let seeded: Awaited<ReturnType<typeof seedDeployRecords>>;
const ws = '/api/v1/workspaces/acme';

beforeAll(async () => {
  const server = await startServerProcess();
  srv = { ...server, dbFile: join(server.dataDir, 'slipway.db'), admin: apiClient(server.url, server.adminToken) };
  await seedWorkspace(srv.admin, 'acme', 'web', 'qa');
  ok(await srv.admin.post(`${ws}/applications`, { name: 'shop', fromProject: 'web' }));
  ok(await srv.admin.post(`${ws}/applications/shop/sites`, { name: 'site-a', deploy: false }));
  seeded = await seedDeployRecords(srv.dbFile, srv.adminToken, srv.adminToken, 'acme', 'web');
});
afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await srv?.stop();
  await cleanup();
});

const as = { server: () => ({ server: srv.url, token: srv.adminToken }) };
const logsOf = () => cli(['logs', seeded.deployment, '-w', 'acme'], as.server());
const runLogsOf = () => cli(['pipeline', 'logs', seeded.run, '-w', 'acme'], as.server());
const siteLogsOf = () => cli(['herd', 'logs', seeded.upgrade, '--site', 'site-a', '-w', 'acme'], as.server());
const endOf = async (path: string) => {
  const s = await followStream(srv.url, `${path}?follow=false`, srv.adminToken);
  const events = await s.until((e) => e.some((x) => x.event === 'end'));
  s.close();
  return { lines: events.filter((e) => e.event === 'log').length, end: JSON.parse(events.find((e) => e.event === 'end')!.data!) as { logsPrunedAt: string | null } };
};

afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'logs-pruned-'));

describe('logs removed by retention', () => {
  it('read as they are while they are there: no marker, no line', async () => {
    expect(ok<{ logsPrunedAt: string | null }>(await srv.admin.get(`${ws}/deployments/${seeded.deployment}`)).logsPrunedAt).toBeNull();
    const deployLog = await endOf(`${ws}/deployments/${seeded.deployment}/events`);
    expect(deployLog.end.logsPrunedAt).toBeNull();
    const logs = await logsOf();
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).not.toContain('removed by retention');
    const run = await runLogsOf();
    expect(run.stdout).toContain('ok');
    expect(run.stdout).not.toContain('removed by retention');
    const site = await siteLogsOf();
    expect(site.code, site.stderr).toBe(0);
    expect(site.stdout).toContain('seeded for tests');
    expect(site.stdout).not.toContain('removed by retention');
  });

  it('say when retention removed them, in the API, the CLI and its --json', async () => {
    const pruned = await withSqliteStore(srv.dbFile, (db) => pruneLogs(db, new Date(Date.now() + 60_000).toISOString()));
    expect(pruned).toMatchObject({ deployments: 1, runs: 1, upgrades: 1 });

    // The records …
    const deployment = ok<{ logsPrunedAt: string | null }>(await srv.admin.get(`${ws}/deployments/${seeded.deployment}`));
    expect(deployment.logsPrunedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const at = deployment.logsPrunedAt!;
    expect(ok<{ logsPrunedAt: string | null }>(await srv.admin.get(`${ws}/pipeline-runs/${seeded.run}`)).logsPrunedAt).toBe(at);
    expect(ok<{ logsPrunedAt: string | null }>(await srv.admin.get(`${ws}/upgrades/${seeded.upgrade}`)).logsPrunedAt).toBe(at);
    // … and the answers that carry the logs: no lines, and the marker.
    expect(await endOf(`${ws}/deployments/${seeded.deployment}/events`)).toEqual({ lines: 0, end: expect.objectContaining({ logsPrunedAt: at }) });
    expect(await endOf(`${ws}/pipeline-runs/${seeded.run}/logs`)).toEqual({ lines: 0, end: expect.objectContaining({ logsPrunedAt: at }) });
    expect(ok<{ events: unknown[]; logsPrunedAt: string | null }>(await srv.admin.get(`${ws}/upgrades/${seeded.upgrade}/sites/site-a/events`))).toMatchObject({ events: [], logsPrunedAt: at });

    const line = `logs removed by retention on ${at.slice(0, 16).replace('T', ' ')} UTC (server --keep-logs)`;
    const logs = await logsOf();
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout.trim()).toBe(line);
    const run = await runLogsOf();
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(line);
    const site = await siteLogsOf();
    expect(site.code, site.stderr).toBe(0);
    expect(site.stdout.trim()).toBe(line);

    const json = await cli(['logs', seeded.deployment, '-w', 'acme', '--json'], as.server());
    expect(json.json<{ events: unknown[]; end: { logsPrunedAt: string } }>()).toMatchObject({ events: [], end: { logsPrunedAt: at } });
    const runJson = await cli(['pipeline', 'logs', seeded.run, '-w', 'acme', '--json'], as.server());
    expect(runJson.json()).toMatchObject({ lines: [], end: { logsPrunedAt: at } });
    const siteJson = await cli(['herd', 'logs', seeded.upgrade, '--site', 'site-a', '-w', 'acme', '--json'], as.server());
    expect(siteJson.json()).toMatchObject({ events: [], logsPrunedAt: at });
  });

  it('the panel says so where it shows those logs', async () => {
    const at = ok<{ logsPrunedAt: string }>(await srv.admin.get(`${ws}/deployments/${seeded.deployment}`)).logsPrunedAt;
    const note = `Logs removed by retention on ${at.slice(0, 16).replace('T', ' ')} UTC (server --keep-logs).`;
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await signIn(page, srv.url, srv.adminToken);

    await page.goto(`${srv.url}/w/acme/deployments/${seeded.deployment}`);
    await page.getByRole('note').filter({ hasText: note }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('list', { name: 'Deploy log' }).locator('li').count()).toBe(0);

    await page.goto(`${srv.url}/w/acme/runs/${seeded.run}`);
    await page.getByRole('note').filter({ hasText: note }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('list', { name: 'Run log' }).locator('li').count()).toBe(0);

    await page.goto(`${srv.url}/w/acme/apps/shop/upgrades/${seeded.upgrade}`);
    await page.getByRole('button', { name: 'Step log of site-a' }).click();
    const siteLog = page.locator('section[data-log-of="site-a"]');
    await siteLog.getByRole('note').filter({ hasText: note }).waitFor({ timeout: 30_000 });
    expect(await siteLog.getByText('it has not started').count()).toBe(0);
  }, 120_000);
});
