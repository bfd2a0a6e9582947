/**
 * Volume backups from an upload, on a real store (SQLite and PostgreSQL) with the in-memory
 * target: a tar or tar.gz is kept as a signed backup of the volume (trigger upload, the tar's own
 * bytes), restorable like any other, however its bytes are chunked; a refused upload (not a tar,
 * an unsafe entry, past a limit, a body that breaks off) leaves no row and no file.
 */
import { readdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../core/errors.js';
import { dockerVolumeName } from '../core/volumes.js';
import { defaultLimits } from '../builder/index.js';
import { requestDeploy } from '../deploy/deployments.js';
import { changeSettings } from '../deploy/settings.js';
import { engineHarness, type Harness } from '../deploy/test-support/engine-harness.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { MemoryTarget } from '../targets/memory/memory-target.js';
import { engines } from '../../test/support/engines.js';
import { tempDir } from '../../test/support/server-process.js';
import { environment, expectCode, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { makeTar } from '../../test/support/tar-fixtures.js';
import { listVolumeBackups, openVolumeBackup, volumeBackupDir, type VolumeBackupContext } from './backups.js';
import { restoreVolumeBackup } from './restore.js';
import { uploadVolumeBackup, type UploadLimits } from './upload.js';

const limits: UploadLimits = { maxBytes: 8 * 1024 * 1024, unpack: { ...defaultLimits, maxUnpackedBytes: 4 * 1024 * 1024, ratioFloorBytes: 64 * 1024 } };

/** The bytes as a request body would bring them, in chunks of `size`. */
const body = (bytes: Buffer, size = 64 * 1024) => Readable.from((function* () {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
})());

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of source) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

describe.each(engines)('volume uploads, on %s', (engine) => {
  let ctx: TestContext;
  let h: Harness;
  let target: MemoryTarget;
  let dev: EnvironmentAccess;
  let vctx: VolumeBackupContext;
  const keyring = testKeyring();
  const tar = makeTar([{ path: './', type: 'dir' }, { path: './note', content: 'from elsewhere\n' }, { path: './sub/', type: 'dir' }, { path: './sub/file', content: 'deeper\n' }, { path: './link', type: 'symlink', linkTarget: '/var/lib/app/note' }], false);

  beforeEach(async () => {
    ctx = await setupContext(engine);
    const ws = await workspace(ctx, 'acme', 'high');
    const serve = await project(ctx, ws, 'serve');
    target = new MemoryTarget({ name: 'local' });
    h = engineHarness(ctx.db, { keyring, target });
    dev = await environment(ctx, serve, 'dev');
    await changeSettings(ctx.db, dev, { volumes: { data: '/data' } });
    vctx = { db: ctx.db, keyring, dataDir: tempDir('slipway-volume-uploads-'), deploy: { placements: h.placements, registry: { host: 'memory', auth: () => ({ registry: 'memory', username: 'u', password: 'p' }) }, instance: 'itest' }, enqueue: () => undefined };
  });
  afterEach(async () => {
    await h.close();
    await ctx.cleanup();
  });

  const files = () => {
    try {
      return readdirSync(volumeBackupDir(vctx.dataDir, dev.environment.id)).sort();
    } catch {
      return [];
    }
  };

  it('keeps a tar, byte for byte, as a backup made by an upload, and a restore unpacks it; a tar.gz is kept as its tar, split however it arrives', async () => {
    const b = await uploadVolumeBackup(vctx, dev, 'data', body(tar), tar.length, limits);
    expect(b).toMatchObject({ volume: 'data', generation: 0, release: null, trigger: 'upload', size: tar.length, createdBy: expect.any(String) });
    expect(await collect((await openVolumeBackup(vctx, dev, 'data', b.id)).tar)).toEqual(tar);
    const audit = await ctx.db.selectFrom('audit_events').select(['action']).where('action', '=', 'volume.upload').execute();
    expect(audit).toHaveLength(1);

    // Even one byte at a time (the gzip magic split across chunks), without a declared length.
    const gz = await uploadVolumeBackup(vctx, dev, 'data', body(gzipSync(tar), 1), undefined, limits);
    expect(gz).toMatchObject({ trigger: 'upload', size: tar.length, sha256: b.sha256 });
    expect((await listVolumeBackups(ctx.db, dev, 'data')).map((x) => x.id).sort()).toEqual([b.id, gz.id].sort());

    // Restored like every other backup: into generation 1 (nothing runs yet: the next deploy mounts it).
    await requestDeploy(ctx.db, dev, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', trigger: 'deploy', actor: { userId: ctx.admin.userId, tokenId: ctx.admin.tokenId } });
    await h.settle(dev.environment.id);
    const restored = await restoreVolumeBackup(vctx, dev, 'data', gz.id);
    expect(restored.dockerVolume).toBe(`${dockerVolumeName(dev.environment.id, 'data')}.g1`);
    expect(await collect(target.exportVolume({ name: 'read', volume: restored.dockerVolume, path: '/data', image: 'memory/serve', registryAuth: null }))).toEqual(tar);
  });

  it("counts under the server's --keep-backups like any backup: the newest stay", async () => {
    const first = await uploadVolumeBackup({ ...vctx, keepBackups: 1 }, dev, 'data', body(tar), tar.length, limits);
    const second = await uploadVolumeBackup({ ...vctx, keepBackups: 1 }, dev, 'data', body(tar), tar.length, limits);
    expect((await listVolumeBackups(ctx.db, dev, 'data')).map((b) => b.id)).toEqual([second.id]);
    expect(files()).toEqual([`${second.id}.tar`]);
    expect(first.id).not.toBe(second.id);
  });

  it('refuses what is not a safe tar, or too much, and keeps nothing', async () => {
    const refusals: Array<[string, Buffer, ErrorCode]> = [
      ['empty', Buffer.alloc(0), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['one byte', Buffer.from([0x1f]), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['text', Buffer.from('no tar here\n'.repeat(100)), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['dotdot', makeTar([{ path: './ok', content: 'x' }, { path: './a/../../escape', content: 'x' }], false), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['absolute, gzipped', makeTar([{ path: '/etc/passwd', content: 'x' }], true), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['device', makeTar([{ path: './sda', type: 'chardev' }], false), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['fifo', makeTar([{ path: './pipe', type: 'fifo' }], false), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['beneath a symlink', makeTar([{ path: './etc', type: 'symlink', linkTarget: '/etc' }, { path: './etc/cron.d/x', content: 'x' }], false), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['hardlink out', makeTar([{ path: './h', type: 'hardlink', linkTarget: '../x' }], false), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['truncated', tar.subarray(0, 1000), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['corrupt gzip', Buffer.concat([gzipSync(tar).subarray(0, 30), Buffer.alloc(100, 9)]), 'SLW_VOLUME_UPLOAD_INVALID'],
      ['unpacks past the limit', makeTar([{ path: './big', content: Buffer.alloc(5 * 1024 * 1024) }], false), 'SLW_ARTIFACT_TOO_LARGE'],
      ['a gzip bomb (past the ratio)', makeTar([{ path: './zeros', content: Buffer.alloc(3 * 1024 * 1024) }], true), 'SLW_ARTIFACT_TOO_LARGE'],
    ];
    for (const [what, bytes, code] of refusals) {
      const e = await expectCode(() => uploadVolumeBackup(vctx, dev, 'data', body(bytes), bytes.length, limits), code);
      expect(e.message, what).not.toMatch(/artifact/);
    }
    // Past the upload size, declared or not.
    const big = Buffer.concat([tar, Buffer.alloc(limits.maxBytes)]);
    await expectCode(() => uploadVolumeBackup(vctx, dev, 'data', body(big), big.length, limits), 'SLW_ARTIFACT_TOO_LARGE');
    await expectCode(() => uploadVolumeBackup(vctx, dev, 'data', body(big), undefined, limits), 'SLW_ARTIFACT_TOO_LARGE');
    // A body that breaks off midway.
    const broken = new Readable({ read() {} });
    broken.push(tar.subarray(0, 1024));
    setTimeout(() => broken.destroy(new Error('aborted')), 20);
    await expect(uploadVolumeBackup(vctx, dev, 'data', broken, tar.length, limits)).rejects.toThrow();
    // A volume the environment does not declare.
    await expectCode(() => uploadVolumeBackup(vctx, dev, 'nope', body(tar), tar.length, limits), 'SLW_NOT_FOUND');
    expect(await listVolumeBackups(ctx.db, dev)).toEqual([]);
    expect(files()).toEqual([]);
  });
});
