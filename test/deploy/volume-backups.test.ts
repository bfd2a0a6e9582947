/**
 * Backups of environment volumes on the real Docker engine and Caddy: `volume backup` reads the
 * volume through the running release's image (no process runs) into a signed file; `volume
 * download` gives the same tar (owners, links and directories kept, checked by SHA-256);
 * `volume restore` unpacks it into a new generation of the volume and rolls a release that mounts
 * it, with no failed request under load, while the generation before keeps the newer data and a
 * rollback mounts it again. `volume upload` keeps a tar or tar.gz made elsewhere as a backup
 * (`--restore` rolls it out); hostile uploads (`..`, absolute paths, devices, entries beneath a
 * symlink, a gzip bomb, not a tar) are refused and store nothing. A tampered file, an unknown volume, an environment that runs nothing
 * and a developer in an environment that requires approval are refused and change nothing;
 * deleting the environment removes its backup files.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, tempDir } from '../support/server-process.js';
import { deployWorld, removeWorkspaceVolumes, loadGenerator, type DeployWorld } from '../support/deploy.js';
import { makeTar } from '../support/tar-fixtures.js';
import { apiClient, errorCode } from '../support/api.js';

let w: DeployWorld;
const env = (e: string) => ['-w', w.ws, '-p', 'shop', '-e', e];

interface Backup {
  id: string;
  volume: string;
  generation: number;
  size: number;
  sha256: string;
  release: number | null;
}
interface Restore {
  backup: Backup;
  generation: number;
  dockerVolume: string;
  previous: string;
  deployment: { id: string; releaseNumber: number } | null;
}

beforeAll(async () => {
  w = await deployWorld({ workspace: 'volbak' });
  for (const name of ['files', 'idle']) {
    const r = await w.run(['env', 'create', name, '-w', w.ws, '-p', 'shop', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const set = await w.run(['env', 'set', ...env(name), '--volume', 'data:/var/lib/app', '--json']);
    expect(set.code, set.stderr).toBe(0);
  }
}, 300_000);

afterAll(async () => {
  await w?.dispose();
  if (w) await removeWorkspaceVolumes(w);
  await cleanup();
});

async function ok<T>(args: string[], token?: string): Promise<T> {
  const r = await w.run([...args, '--json'], token);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.json<T>();
}

async function refused(args: string[], token?: string): Promise<string> {
  const r = await w.run([...args, '--json'], token);
  expect(r.code, `${args.join(' ')} should fail: ${r.stdout}`).toBe(1);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  return r.json<{ error: { code: string } }>().error.code;
}

async function replica(e: string, release: number): Promise<string> {
  const out = await w.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', `label=io.slipway.environment=${e}`, '--filter', `label=io.slipway.release=${release}`]);
  const id = out.split('\n').find(Boolean);
  expect(id, `a replica of ${e} release ${release}`).toBeDefined();
  return id!;
}

const sh = (container: string, script: string) => w.docker(['exec', container, 'sh', '-c', script]);
const settingsGeneration = async (e: string) => (await ok<{ volumes: Array<{ name: string; generation: number; volume: string }> }>(['env', 'show', ...env(e)])).volumes[0]!;

describe('volume backups', () => {
  let backup: Backup;
  let first = '';

  it('refuses a volume the environment does not declare and an environment that runs nothing', async () => {
    expect(await refused(['volume', 'backup', 'nope', ...env('files')])).toBe('SLW_NOT_FOUND');
    expect(await refused(['volume', 'backup', 'Bad_Name', ...env('files')])).toBe('SLW_INVALID_VOLUME');
    expect(await refused(['volume', 'backup', 'data', ...env('idle')])).toBe('SLW_NOTHING_DEPLOYED');
    expect((await ok<{ backups: Backup[] }>(['volume', 'backups', 'data', ...env('files')])).backups).toEqual([]);
  });

  it('backs a volume up through the running image, and the download is the same tar: owners, directories and links kept', async () => {
    await ok(['deploy', ...env('files'), '--version', '1.0.0']);
    first = await replica('files', 1);
    await sh(first, 'echo version one > /var/lib/app/note && mkdir -p /var/lib/app/sub && echo deep > /var/lib/app/sub/file && chown 1000:1000 /var/lib/app/sub/file && ln -s note /var/lib/app/link');
    backup = await ok<Backup>(['volume', 'backup', 'data', ...env('files')], w.developer);
    expect(backup).toMatchObject({ volume: 'data', generation: 0, release: 1 });
    expect(backup.size).toBeGreaterThan(0);
    // No container is left behind by the transfer.
    expect((await w.docker(['ps', '-aq', '--filter', 'label=io.slipway.volume-transfer'])).trim()).toBe('');
    const listed = await ok<{ backups: Backup[] }>(['volume', 'backups', 'data', ...env('files')]);
    expect(listed.backups.map((b) => b.id)).toEqual([backup.id]);

    const out = join(tempDir('slipway-volume-download-'), 'data.tar');
    const saved = await ok<{ file: string; size: number; sha256: string }>(['volume', 'download', 'data', backup.id, ...env('files'), '-o', out]);
    expect(saved).toMatchObject({ file: out, size: backup.size, sha256: backup.sha256 });
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(backup.sha256);
    const listing = execFileSync('tar', ['-tvf', out, '--numeric-owner'], { encoding: 'utf8' });
    expect(listing).toMatch(/^-\S+ 1000\/1000 .* \.\/sub\/file$/m);
    expect(listing).toMatch(/^l\S+ .* \.\/link -> note$/m);
    expect(execFileSync('tar', ['-xOf', out, './note'], { encoding: 'utf8' })).toBe('version one\n');
    // Without --json: the bytes so far on stderr (a line per 10 % off a terminal), the result on stdout.
    const plain = await w.run(['volume', 'download', 'data', backup.id, ...env('files'), '-o', join(tempDir('slipway-volume-download-'), 'data.tar')]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(/^download .* \(100%\)$/m);
    expect(plain.stdout).toMatch(/^saved backup vbk_\S+ of volume data to /);
  }, 300_000);

  it('restores into a new generation rolled out with no failed request; the generation before keeps the newer data and a rollback mounts it', async () => {
    await sh(first, 'echo version two > /var/lib/app/note && rm /var/lib/app/sub/file');
    const before = await settingsGeneration('files');
    expect(before.generation).toBe(0);
    const load = loadGenerator(w.proxyPort, `files.shop.${w.ws}.localhost`, 50, 5, 120);
    const r = await ok<Restore>(['volume', 'restore', 'data', backup.id, ...env('files')]);
    expect(r).toMatchObject({ generation: 1, previous: before.volume, dockerVolume: `${before.volume}.g1` });
    expect(r.deployment).not.toBeNull();
    const logs = await w.run(['logs', r.deployment!.id, '-w', w.ws, '--follow', '--json']);
    expect(logs.json<{ end: { status: string } }>().end.status).toBe('succeeded');
    const result = await load.stop();
    expect(result.sent).toBeGreaterThan(0);
    expect(result.failures).toEqual([]);

    const restored = await replica('files', r.deployment!.releaseNumber);
    expect((await sh(restored, 'cat /var/lib/app/note')).trim()).toBe('version one');
    expect((await sh(restored, 'stat -c %u:%g /var/lib/app/sub/file')).trim()).toBe('1000:1000');
    expect((await sh(restored, 'readlink /var/lib/app/link')).trim()).toBe('note');
    expect(await settingsGeneration('files')).toMatchObject({ generation: 1, volume: r.dockerVolume });
    const releases = await ok<{ releases: Array<{ number: number; trigger: string; volumes: Array<{ generation?: number }> }> }>(['releases', ...env('files')]);
    expect(releases.releases[0]).toMatchObject({ number: r.deployment!.releaseNumber, trigger: 'volume-restore' });

    // The live volume was never written: the generation before holds what was written after the backup.
    await ok(['rollback', ...env('files'), '--to', '1']);
    const back = await replica('files', r.deployment!.releaseNumber + 1);
    expect((await sh(back, 'cat /var/lib/app/note')).trim()).toBe('version two');
  }, 300_000);

  it('keeps an uploaded tar or tar.gz as a backup and restores it; hostile uploads are refused and store nothing', async () => {
    // Files from elsewhere (tar -C DIR -cf FILE .), owned by the app's user, restored at once.
    const src = tempDir('slipway-volume-upload-');
    execFileSync('mkdir', ['-p', join(src, 'data', 'sub')]);
    writeFileSync(join(src, 'data', 'note'), 'from elsewhere\n');
    writeFileSync(join(src, 'data', 'sub', 'file'), 'deeper\n');
    const plainTar = join(src, 'up.tar');
    execFileSync('tar', ['-C', join(src, 'data'), '--owner=1000', '--group=1000', '--numeric-owner', '-cf', plainTar, '.']);
    const up = await ok<{ uploaded: Backup & { trigger: string }; restored: Restore }>(['volume', 'upload', 'data', plainTar, ...env('files'), '--restore'], w.developer);
    expect(up.uploaded).toMatchObject({ volume: 'data', trigger: 'upload', release: null, size: readFileSync(plainTar).length, sha256: createHash('sha256').update(readFileSync(plainTar)).digest('hex') });
    expect(up.restored.backup.id).toBe(up.uploaded.id);
    const logs = await w.run(['logs', up.restored.deployment!.id, '-w', w.ws, '--follow', '--json']);
    expect(logs.json<{ end: { status: string } }>().end.status).toBe('succeeded');
    const running = await replica('files', up.restored.deployment!.releaseNumber);
    expect((await sh(running, 'cat /var/lib/app/note /var/lib/app/sub/file')).trim()).toBe('from elsewhere\ndeeper');
    expect((await sh(running, 'stat -c %u:%g /var/lib/app/note')).trim()).toBe('1000:1000');

    // A tar.gz is kept as the tar it holds: its download is that tar. Progress on stderr without --json.
    writeFileSync(join(src, 'data', 'note'), 'gzipped\n');
    const gz = join(src, 'up.tgz');
    execFileSync('tar', ['-C', join(src, 'data'), '-czf', gz, '.']);
    const plain = await w.run(['volume', 'upload', 'data', gz, ...env('files')]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(/^upload .* \(100%\)$/m);
    const id = /backup (vbk_\S+),/.exec(plain.stdout)?.[1];
    expect(id, plain.stdout).toBeDefined();
    expect(plain.stdout).toContain(`restore it with: slipway volume restore data ${id}`);
    const out = join(src, 'down.tar');
    await ok(['volume', 'download', 'data', id!, ...env('files'), '-o', out]);
    expect(execFileSync('tar', ['-xOf', out, './note'], { encoding: 'utf8' })).toBe('gzipped\n');
    const table = await w.run(['volume', 'backups', 'data', ...env('files')]);
    expect(table.stdout.split('\n').find((l) => l.includes(id!))).toMatch(/\bupload\b/);

    // From standard input ('-'), as tar -c … | slipway volume upload data - pipes it: sent chunked, kept the same.
    const piped = await w.cli(['volume', 'upload', 'data', '-', ...env('files')], readFileSync(plainTar));
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toMatch(/^upload .* \(done\)$/m);
    const pipedId = /backup (vbk_\S+),/.exec(piped.stdout)?.[1];
    expect(piped.stdout).toMatch(/^uploaded standard input as backup vbk_/);
    const pipedInfo = (await ok<{ backups: Backup[] }>(['volume', 'backups', 'data', ...env('files')])).backups.find((x) => x.id === pipedId);
    expect(pipedInfo).toMatchObject({ size: readFileSync(plainTar).length, sha256: up.uploaded.sha256 });
    const notTar = await w.cli(['volume', 'upload', 'data', '-', ...env('files'), '--json'], Buffer.from('not a tar\n'.repeat(300)));
    expect(notTar.code).toBe(1);
    expect(notTar.json<{ error: { code: string } }>().error.code).toBe('SLW_VOLUME_UPLOAD_INVALID');

    // Hostile or broken uploads: each refused with its code; no backup row, no file, no temp file left.
    const listed = async () => (await ok<{ backups: Backup[] }>(['volume', 'backups', 'data', ...env('files')])).backups.map((b) => b.id);
    const files = () => readdirSync(join(w.server.dataDir, 'volume-backups')).flatMap((d) => readdirSync(join(w.server.dataDir, 'volume-backups', d))).sort();
    const kept = await listed();
    const stored = files();
    const bad = (name: string, bytes: Buffer) => {
      const f = join(src, name);
      writeFileSync(f, bytes);
      return f;
    };
    const cases: Array<[string, Buffer, string]> = [
      ['empty', Buffer.alloc(0), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['text', Buffer.from('this is not a tar archive at all\n'.repeat(40)), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['dotdot', makeTar([{ path: './ok', content: 'x' }, { path: '../escape', content: 'x' }], false), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['absolute', makeTar([{ path: '/etc/cron.d/x', content: 'x' }], true), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['device', makeTar([{ path: './sda', type: 'chardev' }], false), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['fifo', makeTar([{ path: './pipe', type: 'fifo' }], false), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['beneath-symlink', makeTar([{ path: './etc', type: 'symlink', linkTarget: '/etc' }, { path: './etc/passwd', content: 'root::0:0::/:/bin/sh\n' }], false), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['hardlink-out', makeTar([{ path: './h', type: 'hardlink', linkTarget: '../../etc/shadow' }], false), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['truncated', makeTar([{ path: './big', content: Buffer.alloc(4096, 1) }], false).subarray(0, 2048), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['corrupt-gzip', Buffer.concat([makeTar([{ path: './a', content: 'a'.repeat(5000) }], true).subarray(0, 40), Buffer.alloc(200, 7)]), 'SLW_VOLUME_UPLOAD_INVALID'],
      // 40 MiB of zeros gzip to ~40 KB: past the unpack ratio (100×) once past its 32 MiB floor.
      ['bomb', makeTar([{ path: './zeros', content: Buffer.alloc(40 * 1024 * 1024) }], true), 'SLW_ARTIFACT_TOO_LARGE'],
    ];
    for (const [name, bytes, code] of cases) {
      const r = await w.run(['volume', 'upload', 'data', bad(name, bytes), ...env('files'), '--json']);
      expect(r.code, `${name}: ${r.stdout}`).toBe(1);
      expect(r.json<{ error: { code: string; message: string } }>().error.code, `${name}: ${r.stderr}`).toBe(code);
    }
    expect(await listed()).toEqual(kept);
    expect(files()).toEqual(stored);
    // A volume the environment does not declare.
    expect(await refused(['volume', 'upload', 'nope', plainTar, ...env('files')])).toBe('SLW_NOT_FOUND');
    expect(await listed()).toEqual(kept);
  }, 300_000);

  it('backs the volume up on a schedule: set by a developer (a keep only by an admin), taken by the server at its slot, removed with --off', async () => {
    interface ScheduleState {
      volume: string;
      schedule: { cron: string; keep: number | null; nextAt: string | null; last: { status: string; backup: string | null; error: string | null } | null } | null;
    }
    const none = await ok<ScheduleState>(['volume', 'backup-schedule', 'data', ...env('files')]);
    expect(none).toMatchObject({ volume: 'data', schedule: null });
    expect((await w.run(['volume', 'backup-schedule', 'data', ...env('files')])).stdout).toMatch(/^no backup schedule for volume data of shop\/files: set one with slipway volume backup-schedule data/);
    expect(await refused(['volume', 'backup-schedule', 'data', ...env('files'), '--cron', '61 * * * *'])).toBe('SLW_VALIDATION');
    expect(await refused(['volume', 'backup-schedule', 'data', ...env('files'), '--cron', '* * * * *', '--keep', '2'], w.developer)).toBe('SLW_FORBIDDEN');
    expect(await refused(['volume', 'backup-schedule', 'nope', ...env('files'), '--cron', '* * * * *'])).toBe('SLW_NOT_FOUND');
    const set = await ok<ScheduleState>(['volume', 'backup-schedule', 'data', ...env('files'), '--cron', '* * * * *'], w.developer);
    expect(set.schedule).toMatchObject({ cron: '* * * * *', keep: null, last: null });
    // The server's scheduler takes the next minute's slot (its passes are ~30 s apart).
    let taken: ScheduleState | undefined;
    for (const end = Date.now() + 150_000; Date.now() < end; await new Promise((r) => setTimeout(r, 2000))) {
      taken = await ok<ScheduleState>(['volume', 'backup-schedule', 'data', ...env('files')]);
      if (taken.schedule?.last && taken.schedule.last.status !== 'running') break;
    }
    const off = await ok<ScheduleState>(['volume', 'backup-schedule', 'data', ...env('files'), '--off'], w.developer);
    expect(off.schedule).toBeNull();
    expect(taken?.schedule?.last, JSON.stringify(taken)).toMatchObject({ status: 'ok', error: null });
    const made = (await ok<{ backups: Array<Backup & { trigger: string; createdBy: string | null }> }>(['volume', 'backups', 'data', ...env('files')])).backups.find((b) => b.id === taken!.schedule!.last!.backup);
    expect(made).toMatchObject({ trigger: 'schedule', createdBy: null });
    expect((await w.run(['volume', 'backup-schedule', 'data', ...env('files'), '--keep', '3'])).stderr).toContain('--keep goes with --cron');
  }, 300_000);

  it('refuses a tampered backup file, a developer where approval is required, and a backup of another environment; nothing changes', async () => {
    const generation = await settingsGeneration('files');
    const dir = join(w.server.dataDir, 'volume-backups');
    const [envDir] = readdirSync(dir);
    const file = join(dir, envDir!, `${backup.id}.tar`);
    const original = readFileSync(file);
    const tampered = Buffer.from(original);
    const at = tampered.length - 600;
    tampered[at] = (tampered[at] ?? 0) ^ 0xff;
    writeFileSync(file, tampered);
    expect(await refused(['volume', 'restore', 'data', backup.id, ...env('files')])).toBe('SLW_BACKUP_INVALID');
    expect(await refused(['volume', 'download', 'data', backup.id, ...env('files'), '-o', join(tempDir(), 'x.tar')])).toBe('SLW_BACKUP_INVALID');
    writeFileSync(file, original);
    expect(await settingsGeneration('files')).toEqual(generation);

    expect(await refused(['volume', 'restore', 'data', backup.id, ...env('idle')])).toBe('SLW_NOT_FOUND');
    await ok(['env', 'set', ...env('files'), '--require-approval']);
    expect(await refused(['volume', 'restore', 'data', backup.id, ...env('files')], w.developer)).toBe('SLW_FORBIDDEN');
    expect(await refused(['volume', 'backup-rm', 'data', backup.id, ...env('files')], w.developer)).toBe('SLW_FORBIDDEN');
    expect(await settingsGeneration('files')).toEqual(generation);

    // A move that copies volumes (the move itself needs a joined server: test/fleet/servers-deploy.test.ts): refused before any backup is taken.
    const count = async () => (await ok<{ backups: Backup[] }>(['volume', 'backups', 'data', ...env('files')])).backups.length;
    const before = await count();
    expect(await refused(['env', 'set', ...env('files'), '--copy-volumes'])).toBe('SLW_USAGE');
    expect(await refused(['env', 'set', ...env('files'), '--target', 'nowhere', '--copy-volumes'])).toBe('SLW_TARGET_UNKNOWN');
    // --stop-first only with --copy-volumes; a refused move stops nothing.
    const running = await w.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.environment=files']);
    expect(running.trim()).not.toBe('');
    expect(await refused(['env', 'set', ...env('files'), '--target', 'nowhere', '--stop-first'])).toBe('SLW_USAGE');
    expect(await refused(['env', 'set', ...env('files'), '--target', 'nowhere', '--copy-volumes', '--stop-first'])).toBe('SLW_TARGET_UNKNOWN');
    const api = apiClient(w.server.url, w.server.adminToken);
    const settingsPath = `/api/v1/workspaces/${w.ws}/projects/shop/environments/files/settings`;
    expect(errorCode(await api.patch(settingsPath, { stopFirst: true }))).toBe('SLW_USAGE');
    expect(await w.docker(['ps', '-q', '--filter', `label=io.slipway.workspace=${w.ws}`, '--filter', 'label=io.slipway.environment=files'])).toBe(running);
    expect(await count()).toBe(before);
    expect(await settingsGeneration('files')).toEqual(generation);
  }, 300_000);

  it('removes a backup with its file, and deleting the environment removes the files of the rest', async () => {
    const second = await ok<Backup>(['volume', 'backup', 'data', ...env('files')]);
    // The generation the running release mounts (the upload's restore made generation 2).
    expect(second.generation).toBe((await settingsGeneration('files')).generation);
    expect(second.generation).toBe(2);
    const dir = join(w.server.dataDir, 'volume-backups');
    const [envDir] = readdirSync(dir);
    await ok(['volume', 'backup-rm', 'data', backup.id, ...env('files')]);
    expect(existsSync(join(dir, envDir!, `${backup.id}.tar`))).toBe(false);
    expect(existsSync(join(dir, envDir!, `${second.id}.tar`))).toBe(true);
    await ok(['env', 'delete', 'files', '--confirm', 'files', '-w', w.ws, '-p', 'shop']);
    expect(existsSync(join(dir, envDir!))).toBe(false);
  }, 300_000);
});
