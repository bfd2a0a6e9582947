/**
 * Gates in the panel (Debian's Chromium against a real server, Docker and Caddy): a developer asks
 * to promote a release that answers 500 to prod, which requires approval and has a health gate;
 * an admin approves it in the panel; the prod card of the pipeline then shows the health gate
 * failing and the rollback, and the recent promotions list each gate of the request (approval by
 * whom, health with its numbers) — all without a reload.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Promotion } from '../../src/api/promotions.js';
import { launchBrowser, screenshot } from '../support/browser.js';
import { deployWorld, viaProxy, type DeployWorld } from '../support/deploy.js';
import { buildJar } from '../support/images.js';
import { cleanup, tempDir } from '../support/server-process.js';

let w: DeployWorld;
let browser: Browser;
const wait = { timeout: 90_000 };
const inShop = (env: string) => ['-w', w.ws, '-p', 'shop', '-e', env];

beforeAll(async () => {
  w = await deployWorld({ workspace: 'gatepanel' });
  const jar = await buildJar(join(tempDir('slipway-gate-panel-'), 'bad'), 'broken', { status: 500 });
  expect((await w.run(['build', jar, '-w', w.ws, '-p', 'shop', '--version', '2.0.0', '--base', `${w.host}/${w.ws}/base:java`])).code).toBe(0);
  expect((await w.run(['deploy', ...inShop('prod'), '--version', '1.0.0', '--skip-approval'])).code).toBe(0);
  expect((await w.run(['env', 'set', ...inShop('prod'), '--health-path', '/healthz', '--gate', 'health=20s,max-error-rate=5%'])).code).toBe(0);
  // Its readiness check passes (/healthz answers 200), so it switches; its requests fail.
  expect((await w.run(['env', 'set', ...inShop('dev'), '--health-path', '/healthz'])).code).toBe(0);
  expect((await w.run(['deploy', ...inShop('dev'), '--version', '2.0.0'])).code).toBe(0);
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await w?.dispose();
  await cleanup();
});

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(w.server.url);
  await page.getByLabel('API token').waitFor();
  await page.keyboard.type(token);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.getByRole('link', { name: w.ws, exact: true }).click();
  await page.getByRole('link', { name: 'shop', exact: true }).click();
  await page.locator('[data-environment="prod"]').waitFor();
}

describe('gates in the panel', () => {
  it('an approved promotion whose release fails its health gate shows each gate and the rollback', async () => {
    const asked = await w.run(['promote', '-w', w.ws, '-p', 'shop', '--from', 'dev', '--to', 'prod', '--json'], w.developer);
    const { promotion } = asked.json<{ promotion: Promotion }>();
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    let loads = 0;
    page.on('load', () => (loads += 1));
    await signIn(page, w.approver);
    const loadsBefore = loads;
    await page.getByRole('button', { name: 'Approve prod' }).click();
    await page.waitForURL(/\/deployments\//, wait);
    await page.getByRole('link', { name: 'Back to the pipeline' }).click();
    const prod = page.locator('[data-environment="prod"]');
    const gate = prod.locator('[data-gate="health"]');
    await gate.waitFor(wait);
    await prod.locator('[data-gate="health"][data-gate-status="failed"]').waitFor(wait);
    expect(await gate.innerText()).toMatch(/Health gate of release #2: failed rolled back by health gate: \d+% 5xx over \d+ s/);
    const gates = page.locator(`[data-gates="${promotion.id}"]`);
    await gates.locator('[data-gate="health"][data-gate-status="failed"]').waitFor(wait);
    expect(await gates.locator('[data-gate="approval"]').innerText()).toBe('Approval: approved by ada@example.com');
    expect(await gates.innerText()).toMatch(/Health of release #2: failed rolled back by health gate/);
    await screenshot(page, 'gates-health-failed');
    expect(loads).toBe(loadsBefore);
    // What the card says is what happened: prod serves the release before the failed one.
    await expect.poll(async () => (await viaProxy(w.proxyPort, `prod.shop.${w.ws}.localhost`)).body, wait).toBe('hello | built once\n');
  }, 180_000);
});
