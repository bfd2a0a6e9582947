/**
 * The panel's applications views in Debian's Chromium against a real `slipway server`, with a
 * real docker-registry as the upstream (skopeo pushes to it): an admin makes an upstream
 * application through the form, sees its versions classified with latest marked, pushes a new
 * tag and checks the upstream from the page, shows only one channel's versions (as `app versions
 * --channel` lists them, through the API's channel query), makes a project application, and forgets one in the
 * shared confirmation once its name is typed again (Cancel keeps it; one with sites is refused
 * with SLW_HAS_SITES in the dialog); a refused form shows the API's code. An application's sites: created from the
 * page with labels (a bad label refused with its code), listed with their version, labels,
 * channel, policy and state, filtered by a selector; one created with a maintenance window; one
 * edited in a dialog (labels added, changed and removed, channel, policy, window and no window;
 * a bad cron refused with its code and nothing changed), each change read back from the API;
 * and one removed after a confirmation that names what goes (refused with SLW_HERD_BUSY while a
 * herd upgrade of the application runs; Cancel changes nothing).
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { mediaTypes } from '../../src/core/oci.js';
import { haveDockerRegistry, haveSkopeo, sha256, skopeoCopy, startDockerRegistry, writeOciLayout, type PeerRegistry } from '../../src/registry/client/test-support/docker-registry.js';
import { apiClient, ok } from '../support/api.js';
import { launchBrowser, screenshot, screenshotOnFailure } from '../support/browser.js';
import { cleanup, cli, startServerProcess, tempDir, type ServerProcess } from '../support/server-process.js';
import { makeTar } from '../support/tar-fixtures.js';

const ws = 'apppanel';
const wait = { timeout: 60_000 };
let server: ServerProcess;
let peer: PeerRegistry;
let browser: Browser;
let page: Page;
let work: string;

function publish(tag: string): void {
  const layer = makeTar([{ path: 'VERSION', content: tag }], false);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: { mediaType: mediaTypes.ociConfig, digest: sha256(config), size: config.length }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }] }));
  const layout = join(work, `l-${tag}`);
  writeOciLayout(layout, [layer, config], [{ tag, mediaType: mediaTypes.ociManifest, bytes: manifest }]);
  skopeoCopy(`oci:${layout}:${tag}`, `docker://${peer.host}/vendor/crm:${tag}`);
}

describe.skipIf(!haveDockerRegistry || !haveSkopeo)('applications in the panel', () => {
  beforeAll(async () => {
    work = tempDir('slipway-apppanel-');
    peer = await startDockerRegistry();
    for (const tag of ['3.0.0', '3.0.1', '3.1.0-rc.1']) publish(tag);
    server = await startServerProcess({ args: ['--allow-registry-host', '127.0.0.1'] });
    const admin = apiClient(server.url, server.adminToken);
    ok(await admin.post('/api/v1/workspaces', { name: ws, tier: 'high' }));
    ok(await admin.post(`/api/v1/workspaces/${ws}/projects`, { name: 'web' }));
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await peer?.stop();
    await cleanup();
  }, 60_000);

  afterEach((ctx) => screenshotOnFailure(ctx, page ? [page] : [], 'apps-'));

  it('makes an upstream application and shows its versions, classified, latest marked', async () => {
    await page.goto(server.url);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: ws, exact: true }).click();
    await page.getByRole('link', { name: 'Applications', exact: true }).click();
    await page.getByText('No applications yet').waitFor(wait);
    await page.getByLabel('Name').fill('crm');
    await page.getByLabel('an upstream repository').check();
    // A tag is refused with the API's code, and nothing is made.
    await page.getByLabel('Repository (no tag)').fill(`${peer.host}/vendor/crm:3.0.0`);
    await page.getByRole('button', { name: 'Make application' }).click();
    await page.getByText('SLW_VALIDATION').waitFor(wait);
    await page.getByLabel('Repository (no tag)').fill(`${peer.host}/vendor/crm`);
    await page.getByRole('button', { name: 'Make application' }).click();
    await page.getByRole('heading', { name: 'Application crm' }).waitFor(wait);
    const rows = page.locator('tr[data-version]');
    await rows.first().waitFor(wait);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-version')))).toEqual(['3.1.0-rc.1', '3.0.1', '3.0.0']);
    await expect.poll(() => page.locator('tr[data-version="3.0.1"]').innerText()).toMatch(/3\.0\.1\s+latest\s+patch\s+stable/);
    expect(await page.locator('tr[data-version="3.1.0-rc.1"]').innerText()).toMatch(/minor\s+rc/);
  }, 120_000);

  it('checks the upstream from the page and shows the new version', async () => {
    publish('4.0.0');
    await page.getByRole('button', { name: 'Check the upstream now' }).click();
    await page.getByRole('status').filter({ hasText: /imported 4\.0\.0|no new versions/ }).waitFor(wait);
    await page.locator('tr[data-version="4.0.0"]').waitFor(wait);
    expect(await page.locator('tr[data-version="4.0.0"]').innerText()).toMatch(/4\.0\.0\s+latest\s+major/);
  }, 120_000);

  it("shows only one channel's versions, asked from the API as `app versions --channel` asks", async () => {
    const filter = page.getByLabel('Show versions on channel');
    const shown = () => page.locator('tr[data-version]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-version')));
    expect(await filter.locator('option').allTextContents()).toEqual(['every channel (4)', 'rc (1)', 'stable (3)']);
    for (const [channel, versions] of [['rc', ['3.1.0-rc.1']], ['stable', ['4.0.0', '3.0.1', '3.0.0']]] as const) {
      const asked = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/applications/crm/versions') && new URL(r.url()).searchParams.get('channel') === channel);
      await filter.selectOption(channel);
      expect((await asked).status()).toBe(200);
      await expect.poll(shown).toEqual(versions);
      const listed = await cli(['app', 'versions', 'crm', '--channel', channel, '-w', ws, '--json'], { server: server.url, token: server.adminToken });
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.json<{ versions: { version: string }[] }>().versions.map((v) => v.version)).toEqual(versions);
    }
    expect(await page.locator('tr[data-version="4.0.0"]').innerText()).toMatch(/4\.0\.0\s+latest/);
    await screenshot(page, 'application-versions-channel');
    await filter.selectOption('');
    await expect.poll(shown).toEqual(['4.0.0', '3.1.0-rc.1', '3.0.1', '3.0.0']);
  }, 120_000);

  it('makes a project application, lists both, and forgets one after its name is typed', async () => {
    await page.getByRole('link', { name: 'applications', exact: true }).click();
    await page.getByLabel('Name').fill('web-app');
    await page.getByLabel('Project', { exact: true }).selectOption('web');
    await page.getByRole('button', { name: 'Make application' }).click();
    await page.getByRole('heading', { name: 'Application web-app' }).waitFor(wait);
    await page.getByText('No versions yet').waitFor(wait);
    await page.getByRole('button', { name: 'Forget web-app…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Forget application web-app?' });
    const forget = dialog.getByRole('button', { name: 'Forget web-app' });
    expect(await forget.isDisabled()).toBe(true);
    await dialog.getByLabel('Type the application name (web-app) to confirm').fill('web-ap');
    expect(await forget.isDisabled()).toBe(true);
    // Cancel keeps it.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    ok(await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/applications/web-app`));
    await page.getByRole('button', { name: 'Forget web-app…' }).click();
    await dialog.getByLabel('Type the application name (web-app) to confirm').fill('web-app');
    await screenshot(page, 'application-forget-dialog');
    await forget.click();
    await page.getByRole('heading', { name: `Applications of ${ws}` }).waitFor(wait);
    await page.locator('tr[data-application="crm"]').waitFor(wait);
    expect(await page.locator('tr[data-application]').count()).toBe(1);
    const left = ok<{ applications: { name: string }[] }>(await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/applications`)).applications;
    expect(left.map((a) => a.name)).toEqual(['crm']);
  }, 120_000);
  it("creates an application's sites with labels, lists them, and filters them with a selector", async () => {
    await page.locator('tr[data-application="crm"] a').click();
    await page.getByRole('heading', { name: 'Application crm' }).waitFor(wait);
    await page.getByText('No sites yet').waitFor(wait);
    expect(await page.getByLabel('Version', { exact: true }).locator('option').allTextContents()).toEqual(['the latest on its channel', '4.0.0 (latest)', '3.1.0-rc.1', '3.0.1', '3.0.0', 'none yet (do not deploy)']);
    // A bad label is refused with the API's code, and nothing is made.
    await page.getByLabel('Site name').fill('acme');
    await page.getByLabel('Version', { exact: true }).selectOption({ label: 'none yet (do not deploy)' });
    await page.getByLabel('Labels').fill('Region=eu');
    await page.getByRole('button', { name: 'Create site' }).click();
    await page.getByText('SLW_INVALID_LABEL').waitFor(wait);
    await page.getByLabel('Labels').fill('region=eu, plan=gold');
    await page.getByRole('button', { name: 'Create site' }).click();
    await page.getByRole('status').filter({ hasText: 'Created site acme' }).waitFor(wait);
    await page.locator('tr[data-site="acme"]').waitFor(wait);
    await page.getByLabel('Site name').fill('globex');
    await page.getByLabel('Version', { exact: true }).selectOption({ label: 'none yet (do not deploy)' });
    await page.getByLabel('Labels').fill('region=us');
    await page.getByLabel('Channel', { exact: true }).fill('rc');
    await page.getByLabel('Policy').selectOption('continuous');
    await page.getByRole('button', { name: 'Create site' }).click();
    await page.locator('tr[data-site="globex"]').waitFor(wait);
    expect(await page.locator('tr[data-site="acme"]').innerText()).toMatch(/acme\s+—\s+not-deployed\s+plan=gold\s*region=eu\s+stable\s+manual\s+any time/);
    expect(await page.locator('tr[data-site="globex"]').innerText()).toMatch(/globex\s+—\s+not-deployed\s+region=us\s+rc\s+continuous/);
    // The name links to the site's environment, in the application's project.
    expect(await page.locator('tr[data-site="acme"] a').getAttribute('href')).toBe(`/w/${ws}/p/crm/e/acme`);

    await page.getByLabel('Selector').fill('region=eu,plan=gold');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('tr[data-site]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-site'))), wait).toEqual(['acme']);
    await page.getByLabel('Selector').fill('channel=rc');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('tr[data-site]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-site'))), wait).toEqual(['globex']);
    await page.getByLabel('Selector').fill('region=mars');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('No site matches region=mars.').waitFor(wait);
    await page.getByLabel('Selector').fill('region=e u');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByText('SLW_INVALID_SELECTOR').waitFor(wait);
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => page.locator('tr[data-site]').count(), wait).toBe(2);
    await screenshot(page, 'application-sites');
    const listed = ok<{ sites: { name: string; labels: Record<string, string>; channel: string; policy: string; version: string | null }[] }>(await apiClient(server.url, server.adminToken).get(`/api/v1/workspaces/${ws}/applications/crm/sites`)).sites;
    expect(listed).toMatchObject([
      { name: 'acme', labels: { region: 'eu', plan: 'gold' }, channel: 'stable', policy: 'manual', version: null },
      { name: 'globex', labels: { region: 'us' }, channel: 'rc', policy: 'continuous', version: null },
    ]);
  }, 120_000);

  it('creates a site with a window, edits its labels, channel, policy and window (a bad cron refused), and removes one after a confirmation', async () => {
    const admin = apiClient(server.url, server.adminToken);
    const sitesUrl = `/api/v1/workspaces/${ws}/applications/crm/sites`;
    const listed = async () => ok<{ sites: { name: string; labels: Record<string, string>; channel: string; policy: string; window: string | null }[] }>(await admin.get(sitesUrl)).sites;
    const byName = async (name: string) => (await listed()).find((s) => s.name === name);
    // Created with a maintenance window (the form kept the last channel and policy).
    await page.getByLabel('Site name').fill('initech');
    await page.getByLabel('Version', { exact: true }).selectOption({ label: 'none yet (do not deploy)' });
    await page.getByLabel('Labels').fill('region=eu');
    await page.getByLabel('Channel', { exact: true }).fill('stable');
    await page.getByLabel('Policy').selectOption('manual');
    await page.getByLabel('Maintenance window').fill('0 2 * * sun');
    await page.getByRole('button', { name: 'Create site' }).click();
    await page.locator('tr[data-site="initech"]').waitFor(wait);
    expect(await page.locator('tr[data-site="initech"]').innerText()).toMatch(/initech\s+—\s+not-deployed\s+region=eu\s+stable\s+manual\s+0 2 \* \* sun/);
    expect(await byName('initech')).toMatchObject({ labels: { region: 'eu' }, policy: 'manual', window: '0 2 * * sun' });

    // Edit: the dialog starts from the site and saves nothing until something changed.
    const acme = page.locator('tr[data-site="acme"]');
    await acme.getByRole('button', { name: 'Edit site acme' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit site acme' });
    await edit.waitFor();
    expect(await edit.getByLabel('Labels').inputValue()).toBe('plan=gold, region=eu');
    expect(await edit.getByLabel('Maintenance window').inputValue()).toBe('');
    expect(await edit.getByRole('button', { name: 'Save changes' }).isDisabled()).toBe(true);
    // region changed, plan removed, tier added; staged; a window with an hour 25: refused, nothing changed.
    await edit.getByLabel('Labels').fill('region=us, tier=a');
    await edit.getByLabel('Policy').selectOption('staged');
    await edit.getByLabel('Maintenance window').fill('0 25 * * *');
    expect(await edit.locator('[data-changes]').innerText()).toBe('To save: set label region=us; set label tier=a; remove label plan; policy staged; window 0 25 * * *.');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.getByRole('alert').getByText('SLW_VALIDATION').waitFor(wait);
    expect(await edit.getByRole('alert').innerText()).toMatch(/cron expression '0 25 \* \* \*'/);
    expect(await byName('acme')).toMatchObject({ labels: { plan: 'gold', region: 'eu' }, channel: 'stable', policy: 'manual', window: null });
    await edit.getByLabel('Maintenance window').fill('*/15 2-4 * * sat,sun');
    await screenshot(page, 'site-edit-dialog');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'hidden', ...wait });
    await page.getByRole('status').filter({ hasText: 'Updated site acme: its workloads see the labels at their next deploy or job run.' }).waitFor(wait);
    await expect.poll(() => acme.innerText(), wait).toMatch(/acme\s+—\s+not-deployed\s+region=us\s*tier=a\s+stable\s+staged\s+\*\/15 2-4 \* \* sat,sun/);
    expect(await byName('acme')).toEqual(expect.objectContaining({ labels: { region: 'us', tier: 'a' }, channel: 'stable', policy: 'staged', window: '*/15 2-4 * * sat,sun' }));
    // Again: another channel, and no window (the field emptied).
    await acme.getByRole('button', { name: 'Edit site acme' }).click();
    await edit.waitFor();
    expect(await edit.getByLabel('Maintenance window').inputValue()).toBe('*/15 2-4 * * sat,sun');
    await edit.getByLabel('Channel').fill('beta');
    await edit.getByLabel('Maintenance window').fill('');
    expect(await edit.locator('[data-changes]').innerText()).toBe('To save: channel beta; no window (any time).');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await edit.waitFor({ state: 'hidden', ...wait });
    await page.getByRole('status').filter({ hasText: /^Updated site acme\.$/ }).waitFor(wait);
    expect(await byName('acme')).toMatchObject({ labels: { region: 'us', tier: 'a' }, channel: 'beta', policy: 'staged', window: null });
    await expect.poll(() => acme.innerText(), wait).toMatch(/beta\s+staged\s+any time/);

    // Remove: the dialog names what goes; Cancel changes nothing.
    const initech = page.locator('tr[data-site="initech"]');
    await initech.getByRole('button', { name: 'Remove site initech' }).click();
    const remove = page.getByRole('dialog', { name: 'Remove site initech?' });
    await remove.waitFor();
    expect(await remove.innerText()).toMatch(/its containers and its route initech\.\S+ stop, and its releases, config and secrets are deleted/);
    await screenshot(page, 'site-remove-dialog');
    await remove.getByRole('button', { name: 'Cancel' }).click();
    await remove.waitFor({ state: 'hidden' });
    expect((await listed()).map((s) => s.name)).toEqual(['acme', 'globex', 'initech']);
    // While a herd upgrade of the application runs (pending: its window is closed), removal is refused with its code.
    const closed = `${(new Date().getUTCMinutes() + 30) % 60} * * * *`;
    const upgrade = ok<{ id: string; state: string }>(await admin.post(`/api/v1/workspaces/${ws}/applications/crm/upgrades`, { to: '4.0.0', sites: 'name=globex', window: closed, bake: '0' }));
    expect(upgrade.state).toBe('running');
    await initech.getByRole('button', { name: 'Remove site initech' }).click();
    await remove.getByRole('button', { name: 'Remove initech' }).click();
    await remove.getByRole('alert').getByText('SLW_HERD_BUSY').waitFor(wait);
    expect((await listed()).map((s) => s.name)).toEqual(['acme', 'globex', 'initech']);
    ok(await admin.post(`/api/v1/workspaces/${ws}/upgrades/${upgrade.id}/abort`, { revert: false }));
    await remove.getByRole('button', { name: 'Remove initech' }).click();
    await remove.waitFor({ state: 'hidden', ...wait });
    await page.getByRole('status').filter({ hasText: 'Removed site initech.' }).waitFor(wait);
    await expect.poll(() => page.locator('tr[data-site]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-site'))), wait).toEqual(['acme', 'globex']);
    expect((await listed()).map((s) => s.name)).toEqual(['acme', 'globex']);
    expect((await admin.get(`${sitesUrl}/initech`)).status).toBe(404);
    // An application with sites is not forgotten: the API's code in the dialog, the application still there.
    await page.getByRole('button', { name: 'Forget crm…' }).click();
    const forget = page.getByRole('dialog', { name: 'Forget application crm?' });
    await forget.getByLabel('Type the application name (crm) to confirm').fill('crm');
    await forget.getByRole('button', { name: 'Forget crm' }).click();
    await forget.getByRole('alert').getByText('SLW_HAS_SITES').waitFor(wait);
    await forget.getByRole('button', { name: 'Cancel' }).click();
    ok(await admin.get(`/api/v1/workspaces/${ws}/applications/crm`));
    // The sites table with its Edit and Remove buttons scrolls inside a 390 px phone; the page does not.
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'application-sites-phone');
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
  }, 120_000);
});
