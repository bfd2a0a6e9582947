/**
 * A herd upgrade of sites that keep their state in a volume, on the real Docker engine and
 * Caddy: an application `files` (the app of herd-volume-app.ts, its release step the migration,
 * which mounts the volume) with four sites, each declaring `data:/data` and holding lines the app
 * wrote — `a` (ok), `b` (`broken=yes`: its 2.x migration writes into the volume, then fails),
 * `c` and `d` (policy `staged`). One upgrade to 2.0.0 (canary 1, failure budget 1):
 *
 * - every site's `backup` step also backs up its volume (a volume backup `volume backups` lists,
 *   named in the site's step log);
 * - `a` runs 2.0.0 with its lines and the migration's;
 * - `b` is reverted: 1.0.0, its volume restored into a new generation that the site mounts, so
 *   its file is exactly as before (the line its failed migration wrote is gone);
 * - the staged sites' clones start with a copy of the site's volume data (and the clone's
 *   migration ran on that copy), while the live sites serve 1.0.0 with their files unchanged;
 *   approval moves `c` over (its own migration on its live volume) and removes the clone, with
 *   its volumes; rejection of `d` removes its clone and its volumes and leaves `d` as it was.
 */
import { until } from '../support/until.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HerdSiteEvents, HerdUpgrade } from '../../src/api/herds.js';
import type { EnvironmentVolumeInfo } from '../../src/api/settings.js';
import type { VolumeBackupList } from '../../src/api/volumes.js';
import { deployWorld, removeWorkspaceVolumes, viaProxy, type DeployWorld } from '../support/deploy.js';
import { eachAtMost } from '../support/herd-world.js';
import { buildVolumeApp, volumeManifest } from '../support/herd-volume-app.js';
import { cleanup, tempDir, type CliResult } from '../support/server-process.js';
import { pushNodeBase } from '../support/service-app.js';

type Upgrade = HerdUpgrade;
type Event = HerdSiteEvents['events'][number];
type Volume = EnvironmentVolumeInfo;

const sites = ['a', 'b', 'c', 'd'];
const staged = new Set(['c', 'd']);
let w: DeployWorld | undefined;
const world = (): DeployWorld => {
  if (!w) throw new Error('the world is not set up');
  return w;
};
const ws = () => ['-w', world().ws];
const site = (name: string) => ['-a', 'files', '-e', name, ...ws()];

async function run(args: string[]): Promise<CliResult> {
  const r = await world().run(args);
  if (r.code !== 0) throw new Error(`slipway ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r;
}

/** GET `path` of a site (or clone) of `files` through Caddy; fails unless it answers 200. */
async function get(name: string, path = '/'): Promise<string> {
  const r = await viaProxy(world().proxyPort, `${name}.files.${world().ws}.localhost`, path);
  if (r.status !== 200) throw new Error(`${name}${path}: HTTP ${r.status} ${r.body}`);
  return r.body;
}

const lines = (name: string) => `${name}-first\n${name}-second\n`;
const migrated = (name: string) => `${lines(name)}migrated to 2\n`;

const status = async (id: string) => (await run(['herd', 'status', id, ...ws(), '--json'])).json<Upgrade>();
const events = async (id: string, name: string) => (await run(['herd', 'logs', id, '--site', name, ...ws(), '--json'])).json<{ events: Event[] }>().events;
const volumeOf = async (name: string) => (await run(['env', 'show', ...site(name), '--json'])).json<{ volumes: Volume[] }>().volumes.find((v) => v.name === 'data');
const volumeBackups = async (name: string) => (await run(['volume', 'backups', 'data', ...site(name), '--json'])).json<VolumeBackupList>().backups;
const environments = async () => (await run(['env', 'list', '-p', 'files', ...ws(), '--json'])).json<{ environments: Array<{ name: string }> }>().environments.map((e) => e.name);
const dockerVolumesOf = async (env: string) => (await world().docker(['volume', 'ls', '-q', '--filter', `label=io.slipway.workspace=${world().ws}`, '--filter', `label=io.slipway.environment=${env}`])).split('\n').filter(Boolean);


/** Each site's step and its last few log lines, to say why a wait timed out. */
async function explain(id: string): Promise<string> {
  const u = await status(id);
  const logs = await Promise.all(u.sites.map(async (s) => `${s.site} (${s.step}${s.error ? `: ${s.error}` : ''}): ${(await events(id, s.site)).slice(-4).map((e) => `${e.step}: ${e.message}`).join(' | ')}`));
  return `state ${u.state}, failures ${u.failures}; ${logs.join(' ;; ')}`;
}

/** What a site's step log says at its backup step, one line each (for the failure messages). */
const backupLog = (log: Event[]) => log.filter((e) => e.step === 'backup').map((e) => e.message).join('\n');

beforeAll(async () => {
  w = await deployWorld({ workspace: 'herdvol' });
  const work = tempDir('slipway-herdvol-');
  await run(['project', 'create', 'files', ...ws()]);
  const manifest = join(work, 'slipway.yaml');
  writeFileSync(manifest, volumeManifest);
  await run(['pipeline', 'apply', manifest, ...ws(), '-p', 'files']);
  await run(['app', 'create', 'files', '--from-project', 'files', ...ws()]);
  const base = `${world().host}/${world().ws}/base:node`;
  await pushNodeBase(world().docker, base);
  for (const version of ['1.0.0', '2.0.0']) {
    await run(['build', await buildVolumeApp(work, version), ...ws(), '-p', 'files', '--runtime', 'node', '--version', version, '--base', base]);
  }
  // Each site with its volume, on 1.0.0, with its own two lines in its file.
  await eachAtMost(4, sites, async (name) => {
    await run(['site', 'create', name, '-a', 'files', ...ws(), '--no-deploy', '--label', `broken=${name === 'b' ? 'yes' : 'no'}`, ...(staged.has(name) ? ['--policy', 'staged'] : [])]);
    await run(['env', 'set', ...site(name), '--volume', 'data:/data']);
    await run(['deploy', ...site(name), '--version', '1.0.0']);
    await get(name, `/write?v=${name}-first`);
    await get(name, `/write?v=${name}-second`);
    expect(await get(name, '/state'), name).toBe(lines(name));
  });
}, 300_000);

afterAll(async () => {
  if (w) {
    await w.dispose();
    await removeWorkspaceVolumes(w);
  }
  await cleanup();
}, 180_000);

describe('a herd upgrade of sites with volumes', () => {
  let id = '';
  const generation: Record<string, Volume | undefined> = {};

  it('backs up each site\'s volume; the failed site is reverted with its volume restored into a new generation; the others move on', async () => {
    for (const name of sites) {
      generation[name] = await volumeOf(name);
      expect(generation[name], name).toMatchObject({ name: 'data', path: '/data', generation: 0 });
      expect(await volumeBackups(name), name).toEqual([]);
    }
    id = (await run(['herd', 'upgrade', '-a', 'files', '--to', '2.0.0', '--canary', '1', '--batch', '100%', '--parallel', '3', '--bake', '0', '--failure-budget', '1', ...ws(), '--json'])).json<Upgrade>().id;
    const steps = async () => new Map((await status(id)).sites.map((s) => [s.site, s.step]));
    await until('a is done, b is reverted and the staged sites wait for approval', async () => {
      const s = await steps();
      return s.get('a') === 'done' && ['reverted', 'revert-failed'].includes(s.get('b') ?? '') && s.get('c') === 'awaiting-approval' && s.get('d') === 'awaiting-approval';
    }, 150_000, () => explain(id));
    const u = await status(id);
    expect(u.sites.map((s) => [s.site, s.step]), await explain(id)).toEqual([
      ['a', 'done'],
      ['b', 'reverted'],
      ['c', 'awaiting-approval'],
      ['d', 'awaiting-approval'],
    ]);
    expect(u.failures).toBe(1);
    expect(u.sites.find((s) => s.site === 'b')?.error).toMatch(/migration|release step/);

    // What the volumes feature adds is checked with expect.soft: one run reports each part of it that fails.
    // 1. Every site's backup step backed its volume up: one volume backup each (of generation 0), named in its step log.
    for (const name of sites) {
      const backups = await volumeBackups(name);
      const log = await events(id, name);
      expect.soft(backups.length, `${name}: volume backups of data; its backup step said:\n${backupLog(log)}`).toBeGreaterThanOrEqual(1);
      if (backups.length > 0) expect.soft(backups.at(-1), name).toMatchObject({ volume: 'data', generation: 0, trigger: 'upgrade' });
      const said = log.filter((e) => e.step === 'backup' && /volume/i.test(e.message) && e.message.includes('data'));
      expect.soft(said.length, `${name}: its backup step names the volume backup; it said:\n${backupLog(log)}`).toBeGreaterThanOrEqual(1);
      expect.soft(said.some((e) => backups.some((b) => e.message.includes(b.id))), `${name}: its backup step names backup ${backups.map((b) => b.id).join(', ')}; it said:\n${backupLog(log)}`).toBe(true);
    }

    // The canary: 2.0.0, its lines and the migration's, on the same volume as before.
    expect(await get('a')).toBe('files 2.0.0');
    expect(await get('a', '/state')).toBe(migrated('a'));
    expect(await volumeOf('a')).toEqual(generation.a);

    // 2. The failed site: back on 1.0.0, its file exactly as before the upgrade (the failed migration's line gone),
    //    from a new generation of its volume that the site now mounts.
    const bLog = await events(id, 'b');
    const bSaid = bLog.map((e) => `${e.step}: ${e.message}`).join('\n');
    expect(await get('b'), bSaid).toBe('files 1.0.0');
    expect.soft(await get('b', '/state'), bSaid).toBe(lines('b'));
    const bVolume = await volumeOf('b');
    expect.soft(bVolume, bSaid).toMatchObject({ name: 'data', path: '/data', generation: 1, volume: `${generation.b!.volume}.g1` });
    expect.soft(bLog.filter((e) => e.step === 'reverting').some((e) => /volume/i.test(e.message) && e.message.includes('data')), `b: its revert names the volume restore; it said:\n${bSaid}`).toBe(true);
    // The generation before keeps what the failed migration wrote into it (a restore never writes into the live volume).
    const old = await world().docker(['run', '--rm', '-v', `${generation.b!.volume}:/data:ro`, `${world().host}/${world().ws}/base:node`, 'node', '-e', `process.stdout.write(require('fs').readFileSync('/data/state.txt','utf8'))`]);
    expect(old).toBe(migrated('b'));

    // 3. The staged sites: each clone runs 2.0.0 on its own domain with a copy of the site's file, the clone's
    //    migration run on that copy; the live sites still serve 1.0.0 with their files untouched.
    for (const name of ['c', 'd']) {
      const clone = u.sites.find((s) => s.site === name)?.clone;
      expect(clone).toBe(`${name}-next`);
      const said = (await events(id, name)).map((e) => `${e.step}: ${e.message}`).join('\n');
      expect(await get(`${name}-next`), said).toBe('files 2.0.0');
      expect.soft(await get(`${name}-next`, '/state'), `${name}-next: its state; the site's log:\n${said}`).toBe(migrated(name));
      expect(await get(name)).toBe('files 1.0.0');
      expect(await get(name, '/state')).toBe(lines(name));
      expect(await volumeOf(name)).toEqual(generation[name]);
      expect(await dockerVolumesOf(`${name}-next`), `${name}-next has a volume of its own`).toHaveLength(1);
    }
  }, 200_000);

  it('approval moves the staged site over, its own migration on its live volume, and removes the clone with its volume', async () => {
    await run(['herd', 'approve', id, '--site', 'c', ...ws()]);
    await until('c is cut over', async () => (await status(id)).sites.find((s) => s.site === 'c')?.step === 'done', 120_000, () => explain(id));
    expect(await get('c')).toBe('files 2.0.0');
    expect(await get('c', '/state')).toBe(migrated('c'));
    expect(await volumeOf('c')).toEqual(generation.c);
    expect(await environments()).not.toContain('c-next');
    expect(await dockerVolumesOf('c-next')).toEqual([]);
  }, 150_000);

  it('rejection removes the clone with its volume and leaves the site and its file as they were', async () => {
    await run(['herd', 'reject', id, '--site', 'd', ...ws()]);
    await until('the upgrade settled', async () => (await status(id)).finishedAt !== null, 120_000, () => explain(id));
    const u = await status(id);
    expect(u.sites.map((s) => [s.site, s.step])).toEqual([
      ['a', 'done'],
      ['b', 'reverted'],
      ['c', 'done'],
      ['d', 'rejected'],
    ]);
    expect(await environments()).not.toContain('d-next');
    expect(await dockerVolumesOf('d-next')).toEqual([]);
    expect(await get('d')).toBe('files 1.0.0');
    expect(await get('d', '/state')).toBe(lines('d'));
    expect(await volumeOf('d')).toEqual(generation.d);
    // Nothing else moved meanwhile.
    expect(await get('a', '/state')).toBe(migrated('a'));
    expect.soft(await get('b', '/state')).toBe(lines('b'));
  }, 150_000);
});
