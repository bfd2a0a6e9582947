/**
 * Backups of an environment's volume in the panel's Settings tab (Debian's Chromium against a
 * real `slipway server` with the Docker engine and Caddy), as `slipway volume …` does them, each
 * checked against the API and the engine: **Back up now** lists the backup (its columns as the
 * API gives them); **Download** saves the tar, whose SHA-256 is the backup's (fetched with the
 * bearer token, saved through an object URL); **Upload a backup…** keeps that tar again as a
 * backup made by an upload, and refuses a file that is no tar with the API's code; the volume's
 * **backup schedule** is set, shown (also when the CLI sets it), refused with a bad cron, removed; **Restore** says the live volume is not written,
 * rolls a release that succeeds (followed on the change stream, with its live log) and whose
 * replica reads the backed-up file; a developer gets no Remove, and, once the environment
 * requires approval, the API's SLW_FORBIDDEN in the dialog with nothing changed; **Remove**
 * (an admin) empties the list.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { DeploymentInProject } from '../../src/api/deploy.js';
import type { EnvironmentSettingsView } from '../../src/api/settings.js';
import type { VolumeBackupInfo, VolumeBackupList } from '../../src/api/volumes.js';
import { apiClient, ok, type Api } from '../support/api.js';
import { launchBrowser, screenshot, screenshotOnFailure, signIn } from '../support/browser.js';
import { deployWorld, removeWorkspaceVolumes, type DeployWorld } from '../support/deploy.js';
import { cleanup } from '../support/server-process.js';

let w: DeployWorld;
let admin: Api;
let browser: Browser;
const pages: Page[] = [];
const wait = { timeout: 60_000 };
const env = ['-w', 'panelvol', '-p', 'shop', '-e', 'files'];
const envPath = '/api/v1/workspaces/panelvol/projects/shop/environments/files';
const settingsUrl = '/w/panelvol/p/shop/e/files/settings';

async function open(token: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })).newPage();
  pages.push(page);
  await signIn(page, `${w.server.url}${settingsUrl}`, token);
  return page;
}

async function cli(args: string[]): Promise<void> {
  const r = await w.run([...args, '--json']);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
}

const backups = async () => ok<VolumeBackupList>(await admin.get(`${envPath}/volumes/data/backups`)).backups;
const dataVolume = async () => ok<EnvironmentSettingsView>(await admin.get(`${envPath}/settings`)).volumes.find((v) => v.name === 'data')!;

async function replica(release: number): Promise<string> {
  const out = await w.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.environment=files', '--filter', `label=io.slipway.release=${release}`]);
  const id = out.split('\n').find(Boolean);
  expect(id, `a replica of files release ${release}`).toBeDefined();
  return id!;
}
const sh = (container: string, script: string) => w.docker(['exec', container, 'sh', '-c', script]);

beforeAll(async () => {
  w = await deployWorld({ workspace: 'panelvol' });
  admin = apiClient(w.server.url, w.server.adminToken);
  await cli(['env', 'create', 'files', '-w', w.ws, '-p', 'shop']);
  await cli(['env', 'set', ...env, '--volume', 'data:/var/lib/app']);
  await cli(['deploy', ...env, '--version', '1.0.0']);
  await sh(await replica(1), 'echo version one > /var/lib/app/note');
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await w?.dispose();
  if (w) await removeWorkspaceVolumes(w);
  await cleanup();
}, 120_000);

afterEach((ctx) => screenshotOnFailure(ctx, pages, 'volume-backups-'));

describe("an environment volume's backups in the panel", () => {
  it('backs up, lists, downloads (same SHA-256), restores into a new generation rolled out as a release, refuses a developer where approval is required, and removes', async () => {
    const page = await open(w.approver);
    const section = page.getByRole('region', { name: 'Backups of volume data' });
    await section.locator('[data-backups="none"]').waitFor(wait);
    expect(await page.locator('[data-volume="data"]').getByRole('link', { name: 'Backups of data' }).getAttribute('href')).toBe('#volume-backups-data');

    // Back up now: listed as the API lists it.
    await section.getByRole('button', { name: 'Back up now' }).click();
    await section.locator('[data-volume-note]').getByText('Backed up volume data:').waitFor(wait);
    const [backup] = await backups();
    expect(backup).toMatchObject({ volume: 'data', generation: 0, release: 1, createdBy: 'ada@example.com' });
    const row = section.locator(`tr[data-backup="${backup!.id}"]`);
    await row.waitFor(wait);
    const cells = await row.locator('td').allInnerTexts();
    expect(cells.slice(0, 4)).toEqual([backup!.id, expect.stringMatching(/ (B|KiB|MiB)$/), '0', '#1']);
    expect(cells.slice(5, 7)).toEqual(['by hand', 'ada@example.com']);
    expect(await section.innerText()).toContain(`sha256 ${backup!.sha256}`);

    // Download: the bytes are the backup's.
    const [download] = await Promise.all([page.waitForEvent('download', wait), row.getByRole('button', { name: `Download backup ${backup!.id}` }).click()]);
    expect(download.suggestedFilename()).toBe(`shop-files-data-${backup!.id}.tar`);
    const file = await download.path();
    const bytes = readFileSync(file);
    expect(bytes.length).toBe(backup!.size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(backup!.sha256);
    expect(execFileSync('tar', ['-xOf', file, './note'], { encoding: 'utf8' })).toBe('version one\n');
    await section.locator('[data-volume-note]').getByText(`Saved backup ${backup!.id} as shop-files-data-${backup!.id}.tar`).waitFor(wait);
    expect(await section.locator('[data-volume-note]').innerText()).toContain('its SHA-256 checked');

    // Upload (the tar just saved, as data from elsewhere would be): kept as a backup made by an
    // upload, the same bytes; a file that is no tar is refused with the API's code, nothing kept.
    const input = section.getByLabel('Upload a tar or tar.gz as a backup of volume data');
    await input.setInputFiles(file);
    await section.locator('[data-volume-note]').getByText(/^Uploaded .* as backup vbk_\S+ of volume data/).waitFor(wait);
    const uploaded = (await backups()).find((b) => b.trigger === 'upload');
    expect(uploaded).toMatchObject({ sha256: backup!.sha256, size: backup!.size, release: null });
    const upRow = section.locator(`tr[data-backup="${uploaded!.id}"]`);
    await upRow.getByRole('cell', { name: 'an upload' }).waitFor(wait);
    await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a tar\n'.repeat(100)) });
    await section.getByRole('alert').getByText('SLW_VOLUME_UPLOAD_INVALID').waitFor(wait);
    expect((await backups()).map((b) => b.id).sort()).toEqual([backup!.id, uploaded!.id].sort());
    ok(await admin.delete(`${envPath}/volumes/data/backups/${uploaded!.id}`));
    await upRow.waitFor({ ...wait, state: 'detached' });

    // The volume's backup schedule: set in the form (an admin, with a keep), shown with its next
    // slot; one set through the CLI shows at once (the change stream); a bad cron is refused with
    // the API's code; Remove schedule empties it.
    const scheduleForm = section.getByRole('form', { name: 'Backup schedule of volume data' });
    await scheduleForm.getByLabel('Cron (minute hour day month weekday, UTC)').fill('0 3 * * *');
    await scheduleForm.getByLabel('Keep the newest (empty: every one; admins)').fill('2');
    await scheduleForm.getByRole('button', { name: 'Schedule backups of volume data' }).click();
    const scheduleNote = section.locator('[data-volume-schedule="data"]');
    await scheduleNote.getByText(/Scheduled: 0 3 \* \* \* \(UTC\), the newest 2 scheduled backups kept\. Next: .* UTC\. Last: none yet/).waitFor(wait);
    const viaApi = async () => ok<{ schedule: { cron: string; keep: number | null } | null }>(await admin.get(`${envPath}/volumes/data/backup-schedule`)).schedule;
    expect(await viaApi()).toMatchObject({ cron: '0 3 * * *', keep: 2 });
    await cli(['volume', 'backup-schedule', 'data', ...env, '--cron', '30 4 * * 1']);
    await scheduleNote.getByText(/Scheduled: 30 4 \* \* 1 \(UTC\)/).waitFor(wait);
    await scheduleForm.getByLabel('Cron (minute hour day month weekday, UTC)').fill('61 * * * *');
    await scheduleForm.getByRole('button', { name: 'Save schedule of volume data' }).click();
    await scheduleNote.getByRole('alert').getByText('SLW_VALIDATION').waitFor(wait);
    expect(await viaApi()).toMatchObject({ cron: '30 4 * * 1', keep: 2 });
    await scheduleForm.getByRole('button', { name: 'Remove schedule of volume data' }).click();
    await scheduleNote.getByText('No backup schedule').waitFor(wait);
    expect(await viaApi()).toBeNull();

    // A developer: may back up, download and restore here, not remove.
    const dev = await open(w.developer);
    const devSection = dev.getByRole('region', { name: 'Backups of volume data' });
    const devRow = devSection.locator(`tr[data-backup="${backup!.id}"]`);
    await devRow.waitFor(wait);
    expect(await devSection.getByRole('button', { name: 'Back up now' }).count()).toBe(1);
    expect(await devRow.getByRole('button', { name: `Restore… backup ${backup!.id}` }).count()).toBe(1);
    expect(await devRow.getByRole('button', { name: `Remove backup ${backup!.id}` }).count()).toBe(0);

    // Taken and removed through the CLI: the open page shows both at once (the change stream), no reload.
    await cli(['volume', 'backup', 'data', ...env]);
    const viaCli = (await backups()).find((b) => b.id !== backup!.id)!;
    await section.locator(`tr[data-backup="${viaCli.id}"]`).waitFor(wait);
    await cli(['volume', 'backup-rm', 'data', viaCli.id, ...env]);
    await section.locator(`tr[data-backup="${viaCli.id}"]`).waitFor({ ...wait, state: 'detached' });

    // Restore: the live volume keeps what was written since; a new generation rolls out.
    await sh(await replica(1), 'echo version two > /var/lib/app/note');
    const before = await dataVolume();
    expect(before.generation).toBe(0);
    await row.getByRole('button', { name: `Restore… backup ${backup!.id}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore volume data of files?' });
    await dialog.waitFor(wait);
    const said = await dialog.innerText();
    expect(said).toContain('The live volume is not written');
    expect(said).toContain('new generation');
    expect(said).toContain('new release');
    expect(said).toContain(before.volume);
    await dialog.getByRole('button', { name: 'Restore' }).click();
    const restored = section.locator('[data-volume-restored="1"]');
    await restored.waitFor(wait);
    const deploymentId = await restored.locator('[data-restore-deployment]').getAttribute('data-restore-deployment');
    expect(deploymentId).toBeTruthy();
    await restored.locator('.badge', { hasText: 'succeeded' }).waitFor({ timeout: 180_000 });
    const deployment = ok<DeploymentInProject>(await admin.get(`/api/v1/workspaces/${w.ws}/deployments/${deploymentId}`));
    expect(deployment).toMatchObject({ status: 'succeeded', environment: 'files', releaseNumber: 2 });
    expect(await restored.innerText()).toContain(`Restored backup ${backup!.id} of volume data into generation 1 (${before.volume}.g1; the previous data stays in ${before.volume}); release #2 rolls out to mount it.`);
    expect(await dataVolume()).toMatchObject({ generation: 1, volume: `${before.volume}.g1` });
    expect((await sh(await replica(2), 'cat /var/lib/app/note')).trim()).toBe('version one');
    // The settings read again: the Volumes group shows the new generation's Docker volume.
    await page.locator('[data-volume="data"]', { hasText: `${before.volume}.g1` }).waitFor(wait);
    await screenshot(page, 'volume-backups');
    await restored.getByRole('link', { name: 'watch the live log' }).click();
    await page.waitForURL(`**/w/${w.ws}/deployments/${deploymentId}`, wait);
    await page.locator('.deploy-status', { hasText: 'succeeded' }).waitFor(wait);

    // Where approval is required a developer is refused with the API's code; nothing changes.
    await cli(['env', 'set', ...env, '--require-approval']);
    await devRow.getByRole('button', { name: `Restore… backup ${backup!.id}` }).click();
    const devDialog = dev.getByRole('dialog', { name: 'Restore volume data of files?' });
    await devDialog.getByRole('button', { name: 'Restore' }).click();
    await devDialog.getByRole('alert').getByText('SLW_FORBIDDEN').waitFor(wait);
    await devDialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await dataVolume()).generation).toBe(1);

    // Remove (an admin), behind a confirmation.
    await page.goto(`${w.server.url}${settingsUrl}`);
    const again = page.getByRole('region', { name: 'Backups of volume data' });
    await again.locator(`tr[data-backup="${backup!.id}"]`).getByRole('button', { name: `Remove backup ${backup!.id}` }).click();
    const remove = page.getByRole('dialog', { name: 'Remove a backup of volume data?' });
    expect(await remove.innerText()).toContain('The volume itself is not touched.');
    await remove.getByRole('button', { name: 'Remove backup' }).click();
    await again.locator('[data-backups="none"]').waitFor(wait);
    await again.locator('[data-volume-note]').getByText(`Removed backup ${backup!.id} of volume data.`).waitFor(wait);
    expect(await backups()).toEqual([]);
  }, 600_000);
});
