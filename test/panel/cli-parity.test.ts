/**
 * What the CLI shows or does that the panel now does too (Debian's Chromium against a real
 * `slipway server` with the Docker engine and Caddy), each checked against the API:
 * - `whoami`'s token: the header's disclosure names the token in use (id, scope, role), the same
 *   as `slipway whoami --json` says for that token, for a workspace token and an instance token;
 * - `env show`'s certificates: a local environment's Settings tab says it has none, because the
 *   local edge serves HTTP only (the rows of real certificates: test/fleet/servers-https.test.ts);
 * - `deploy --wait`: with a deploy of dev in progress (a long drain keeps it so), the Deploy dialog
 *   waits, says for what, stops waiting on request (nothing deployed), waits again, and deploys
 *   once the change stream says the one in progress ended — which ends as it would have
 *   (succeeded, not superseded).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { DeploymentInProject } from '../../src/api/deploy.js';
import type { EnvironmentSettingsView } from '../../src/api/settings.js';
import type { Whoami } from '../../src/api/workspaces.js';
import { apiClient, ok, type Api } from '../support/api.js';
import { launchBrowser, screenshot, screenshotOnFailure, signIn } from '../support/browser.js';
import { deployWorld, type DeployWorld } from '../support/deploy.js';
import { cleanup } from '../support/server-process.js';

let w: DeployWorld;
let admin: Api;
let browser: Browser;
const pages: Page[] = [];
const wait = { timeout: 60_000 };

async function open(token: string, url: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  pages.push(page);
  await signIn(page, `${w.server.url}${url}`, token);
  return page;
}

const deployment = async (id: string) => ok<DeploymentInProject>(await admin.get(`/api/v1/workspaces/${w.ws}/deployments/${id}`));

async function untilPhase(id: string, phase: string): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    const d = await deployment(id);
    if (d.phase === phase) return;
    if (d.finishedAt) throw new Error(`deployment ${id} ended (${d.status}) before ${phase}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`deployment ${id} never reached ${phase}`);
}

beforeAll(async () => {
  // A long drain keeps a deploy in progress long enough to be waited for.
  w = await deployWorld({ workspace: 'parity', env: { SLIPWAY_DRAIN_MS: '15000' } });
  admin = apiClient(w.server.url, w.server.adminToken);
  const dev = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--version', '1.0.0', '--json']);
  expect(dev.code, dev.stderr).toBe(0);
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await w?.dispose();
  await cleanup();
}, 120_000);

afterEach((ctx) => screenshotOnFailure(ctx, pages, 'cli-parity-'));

describe('what the CLI does, in the panel', () => {
  it("the header names the token in use, as `slipway whoami` does: a workspace token's role, an instance token's scope", async () => {
    for (const [token, email] of [[w.developer, 'dave@example.com'], [w.server.adminToken, 'admin@slipway.local']] as const) {
      const cli = await w.run(['whoami', '--json'], token);
      expect(cli.code, cli.stderr).toBe(0);
      const me = cli.json<Whoami>();
      expect(me).toEqual(ok<Whoami>(await apiClient(w.server.url, token).get('/api/v1/whoami')));
      const page = await open(token, '/');
      await page.getByLabel(`Signed in as ${email}: your token`).click();
      const card = page.getByLabel('Your token', { exact: true });
      await card.waitFor(wait);
      expect(await card.getAttribute('data-token')).toBe(me.token.id);
      expect(await card.getByText(me.token.id, { exact: true }).count()).toBe(1);
      expect(await card.locator('[data-token-scope]').innerText()).toBe(`${me.token.scope} token`);
      if (me.token.role) expect(await card.locator('[data-token-role]').innerText()).toBe(me.token.role);
      else expect(await card.locator('[data-token-role]').innerText()).toMatch(/^none/);
      expect(await card.innerText()).toContain(me.user.instanceAdmin ? `${email} (instance admin)` : email);
      await screenshot(page, `whoami-${me.token.scope}`);
    }
    expect((await w.run(['whoami', '--json'], w.developer)).json<Whoami>().token).toMatchObject({ scope: 'workspace', role: 'developer' });
  }, 120_000);

  it("a local environment's Settings tab says it has no certificates: the local edge serves HTTP only", async () => {
    const settings = ok<EnvironmentSettingsView>(await admin.get(`/api/v1/workspaces/${w.ws}/projects/shop/environments/dev/settings`));
    expect(settings).toMatchObject({ target: 'local', certificates: [] });
    const page = await open(w.approver, `/w/${w.ws}/p/shop/e/dev/settings`);
    const section = page.getByRole('region', { name: 'Certificates' });
    await section.waitFor(wait);
    expect(await section.locator('[data-certificates="none"]').innerText()).toBe('None: the local edge serves HTTP only.');
    expect(await section.locator('tr[data-certificate]').count()).toBe(0);
  }, 120_000);

  it('the Deploy dialog waits for a deploy in progress, can stop waiting, and deploys once it ended', async () => {
    const page = await open(w.approver, `/w/${w.ws}/p/shop/images`);
    await page.locator('tr[data-digest]', { hasText: '1.0.0' }).getByRole('button', { name: 'Deploy…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Deploy 1.0.0' });
    await dialog.getByLabel('Environment').selectOption('dev');
    await dialog.getByRole('group', { name: 'If a deploy of dev is in progress' }).waitFor(wait);
    expect(await dialog.getByLabel('Refuse this deploy').isChecked()).toBe(true);

    const first = await w.run(['deploy', '-w', w.ws, '-p', 'shop', '-e', 'dev', '--version', '1.0.0', '--detach', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const inProgress = first.json<{ deployment: { id: string } }>().deployment.id;
    await untilPhase(inProgress, 'drain');

    // Refused (the default), as without --wait.
    await dialog.getByRole('button', { name: 'Deploy to dev' }).click();
    await dialog.getByRole('alert').getByText('SLW_DEPLOY_IN_PROGRESS').waitFor(wait);

    // Waiting, then stopped: nothing is deployed.
    await dialog.getByLabel('Wait for it to end, then deploy').check();
    await dialog.getByRole('button', { name: 'Deploy to dev' }).click();
    const waiting = dialog.locator('[data-waiting]');
    await waiting.waitFor(wait);
    expect(await waiting.innerText()).toContain(`deployment ${inProgress}`);
    expect(await dialog.getByRole('button', { name: 'Waiting to deploy to dev…' }).isDisabled()).toBe(true);
    await screenshot(page, 'deploy-waiting');
    await dialog.getByRole('button', { name: 'Stop waiting' }).click();
    await dialog.getByText('Stopped waiting: nothing was deployed.').waitFor(wait);
    expect((await deployment(inProgress)).status).toBe('running');

    // Waiting again, until the one in progress ends; then the deploy goes out and its live log opens.
    await dialog.getByRole('button', { name: 'Deploy to dev' }).click();
    await waiting.waitFor(wait);
    await page.waitForURL(/\/deployments\//, { timeout: 120_000 });
    const next = page.url().split('/deployments/')[1]!;
    expect(next).not.toBe(inProgress);
    await page.locator('.deploy-status', { hasText: 'succeeded' }).waitFor(wait);
    const [ended, sent] = [await deployment(inProgress), await deployment(next)];
    // The one in progress ended as it would have: not superseded.
    expect(ended).toMatchObject({ status: 'succeeded', supersededBy: null });
    expect(Date.parse(sent.createdAt)).toBeGreaterThanOrEqual(Date.parse(ended.finishedAt!));
    expect(sent).toMatchObject({ status: 'succeeded', environment: 'dev' });
    expect(sent.releaseNumber).toBe(ended.releaseNumber + 1);
  }, 240_000);
});
