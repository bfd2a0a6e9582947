/**
 * Volume backups and restores through the target port, on a real store (SQLite and PostgreSQL)
 * with the in-memory target: a backup holds the volume's bytes as the running release mounts them;
 * a restore fills a new generation, records it, and the release it rolls mounts it while the
 * generation before keeps its data; a second restore makes the next generation. Refused while
 * another deploy or restore runs, and a transfer that fails midway removes the half-filled
 * generation and changes nothing.
 */
import { readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dockerVolumeName } from '../core/volumes.js';
import { requestDeploy } from '../deploy/deployments.js';
import { workspaceChanges } from '../deploy/events.js';
import { changeSettings, storedSettings } from '../deploy/settings.js';
import type { VolumeAccess } from '../deploy/target.js';
import { engineHarness, type Harness } from '../deploy/test-support/engine-harness.js';
import { createEnvironment, type EnvironmentAccess, type ProjectAccess } from '../projects/projects.js';
import { MemoryTarget } from '../targets/memory/memory-target.js';
import { engines } from '../../test/support/engines.js';
import { tempDir } from '../../test/support/server-process.js';
import { environment, expectCode, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import { parseCron } from '../core/cron.js';
import { seedApplication, seedSites } from '../herds/test-support/seed.js';
import { startHerdUpgrade } from '../herds/upgrades.js';
import type { WorkspaceAccess } from '../tenancy/principal.js';
import { createVolumeBackup, listVolumeBackups, removeVolumeBackup, volumeBackupDir, type VolumeBackupContext } from './backups.js';
import { copyVolumeBackupInto, restoreIntoNewGeneration, restoreVolumeBackup } from './restore.js';

/** The in-memory target whose next import fails after reading part of the archive. */
class FlakyTarget extends MemoryTarget {
  failNextImport = false;
  override async importVolume(access: VolumeAccess, tar: AsyncIterable<Uint8Array>): Promise<void> {
    if (!this.failNextImport) return super.importVolume(access, tar);
    this.failNextImport = false;
    await super.importVolume(access, (async function* () {
      yield Buffer.from('half');
    })());
    throw new Error('the engine went away');
  }
}

async function contents(target: MemoryTarget, volume: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of target.exportVolume({ name: 'read', volume, path: '/data', image: 'memory/serve', registryAuth: null })) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString();
}

async function* bytes(text: string) {
  yield Buffer.from(text);
}

describe.each(engines)('volume backups and restores, on %s', (engine) => {
  let ctx: TestContext;
  let h: Harness;
  let target: FlakyTarget;
  let ws: WorkspaceAccess;
  let serve: ProjectAccess;
  let dev: EnvironmentAccess;
  let vctx: VolumeBackupContext;
  const keyring = testKeyring();
  const enqueued: string[] = [];
  const deploy = async () => {
    await requestDeploy(ctx.db, dev, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', trigger: 'deploy', actor: { userId: ctx.admin.userId, tokenId: ctx.admin.tokenId } });
    await h.settle(dev.environment.id);
  };
  const generation = async () => (await storedSettings(ctx.db, dev.environment.id)).volumes?.[0]?.generation ?? 0;
  const gen0 = () => dockerVolumeName(dev.environment.id, 'data');

  beforeEach(async () => {
    ctx = await setupContext(engine);
    ws = await workspace(ctx, 'acme', 'high');
    // The in-memory target serves images whose last path segment is `serve`.
    serve = await project(ctx, ws, 'serve');
    target = new FlakyTarget({ name: 'local' });
    h = engineHarness(ctx.db, { keyring, target });
    dev = await environment(ctx, serve, 'dev');
    await changeSettings(ctx.db, dev, { volumes: { data: '/data' } });
    vctx = { db: ctx.db, keyring, dataDir: tempDir('slipway-volume-backups-'), deploy: { placements: h.placements, registry: { host: 'memory', auth: () => ({ registry: 'memory', username: 'u', password: 'p' }) }, instance: 'itest' }, enqueue: (id) => void enqueued.push(id) };
  });
  afterEach(async () => {
    await h.close();
    await ctx.cleanup();
  });

  it('restores into a new generation that the rolled release mounts; the generation before keeps its data', async () => {
    await expectCode(() => createVolumeBackup(vctx, dev, 'data'), 'SLW_NOTHING_DEPLOYED');
    await deploy();
    await target.importVolume({ name: 'app', volume: gen0(), path: '/data', image: 'memory/serve', registryAuth: null }, bytes('written by the app'));
    const backup = await createVolumeBackup(vctx, dev, 'data');
    expect(backup).toMatchObject({ volume: 'data', generation: 0, release: 1, trigger: 'manual', size: 'written by the app'.length });
    await target.importVolume({ name: 'app', volume: gen0(), path: '/data', image: 'memory/serve', registryAuth: null }, bytes('written after the backup'));

    const changes: unknown[] = [];
    const listen = (c: unknown) => void changes.push(c);
    workspaceChanges.on(dev.workspace.id, listen);
    const restored = await restoreVolumeBackup(vctx, dev, 'data', backup.id);
    workspaceChanges.off(dev.workspace.id, listen);
    expect(changes.filter((c) => (c as { kind: string }).kind === 'volume')).toMatchObject([{ kind: 'volume', project: 'serve', environment: 'dev', volume: 'data', change: 'restored' }]);
    expect(restored).toMatchObject({ generation: 1, previous: gen0(), dockerVolume: `${gen0()}.g1` });
    expect(restored.deployment).not.toBeNull();
    expect(enqueued).toContain(dev.environment.id);
    expect(await contents(target, restored.dockerVolume)).toBe('written by the app');
    expect(await contents(target, gen0())).toBe('written after the backup');
    expect(await generation()).toBe(1);
    await h.settle(dev.environment.id);
    const release = await ctx.db.selectFrom('releases').select(['number', 'trigger', 'volumes', 'status']).where('environment_id', '=', dev.environment.id).orderBy('number', 'desc').executeTakeFirstOrThrow();
    expect(release).toMatchObject({ number: 2, trigger: 'volume-restore', status: 'succeeded' });
    expect(JSON.parse(release.volumes)).toEqual([{ name: 'data', path: '/data', generation: 1 }]);

    // A backup now reads generation 1 (what runs); restoring the first backup again makes generation 2.
    expect((await createVolumeBackup(vctx, dev, 'data')).generation).toBe(1);
    expect((await restoreVolumeBackup(vctx, dev, 'data', backup.id)).generation).toBe(2);
    expect((await listVolumeBackups(ctx.db, dev, 'data')).map((b) => b.generation)).toEqual([1, 0]);
  });

  it("a herd's parts: a generation restored without a deploy (the next one mounts it), and a backup copied into another environment's volume", async () => {
    await deploy();
    await target.importVolume({ name: 'app', volume: gen0(), path: '/data', image: 'memory/serve', registryAuth: null }, bytes('before the upgrade'));
    const backup = await createVolumeBackup(vctx, dev, 'data');
    await target.importVolume({ name: 'app', volume: gen0(), path: '/data', image: 'memory/serve', registryAuth: null }, bytes('the migration wrote this'));
    const deploys = await ctx.db.selectFrom('deployments').select('id').where('environment_id', '=', dev.environment.id).execute();
    const restored = await restoreIntoNewGeneration(vctx, dev, 'data', backup.id);
    expect(restored).toMatchObject({ generation: 1, previous: gen0(), dockerVolume: `${gen0()}.g1` });
    expect(await generation()).toBe(1);
    expect(await contents(target, restored.dockerVolume)).toBe('before the upgrade');
    expect(await contents(target, gen0())).toBe('the migration wrote this');
    // Nothing rolled: the caller's deploy mounts it.
    expect(await ctx.db.selectFrom('deployments').select('id').where('environment_id', '=', dev.environment.id).execute()).toHaveLength(deploys.length);

    // A clone declaring the same volume (at generation 1, as copied settings would) gets the backup's files in its own volume.
    await createEnvironment(ctx.db, serve, { name: 'next' });
    const other = await environment(ctx, serve, 'next');
    await changeSettings(ctx.db, other, { volumes: { data: '/data' } });
    const copied = await copyVolumeBackupInto(vctx, dev, 'data', backup.id, other);
    expect(copied).toEqual({ dockerVolume: dockerVolumeName(other.environment.id, 'data'), size: 'before the upgrade'.length });
    expect(await contents(target, copied.dockerVolume)).toBe('before the upgrade');
    await expectCode(() => copyVolumeBackupInto(vctx, dev, 'uploads', backup.id, other), 'SLW_NOT_FOUND');
  });

  it("keeps a volume's newest N backups with keepBackups, removing the older ones' files", async () => {
    await deploy();
    const kept = { ...vctx, keepBackups: 2 };
    const ids: string[] = [];
    for (let i = 0; i < 4; i += 1) ids.push((await createVolumeBackup(kept, dev, 'data')).id);
    expect((await listVolumeBackups(ctx.db, dev, 'data')).map((b) => b.id)).toEqual([ids[3], ids[2]]);
    expect(readdirSync(volumeBackupDir(vctx.dataDir, dev.environment.id)).sort()).toEqual([`${ids[2]}.tar`, `${ids[3]}.tar`]);
  });

  it('keeps a backup a herd upgrade may still restore: removing it is refused and retention passes it over, until the upgrade ends', async () => {
    await deploy();
    const taken = await createVolumeBackup(vctx, dev, 'data');
    // An upgrade of another site (seeded) whose site record names the backup, as its backup step stores it.
    const app = await seedApplication(ctx.db, ws.workspace.id, serve.project.id, 'serve', ['1.0.0', '2.0.0']);
    await seedSites(ctx.db, app, { count: 1, version: '1.0.0', digest: `sha256:${'0'.repeat(64)}`, name: () => 's1' });
    const upgrade = await startHerdUpgrade(ctx.db, ws, app, { to: '2.0.0' }, 'manual', (cron) => void parseCron(cron));
    await ctx.db.updateTable('herd_upgrade_sites').set({ backups: JSON.stringify([{ volume: 'data', generation: 0, backupId: taken.id }]) }).where('upgrade_id', '=', upgrade.id).execute();
    const error = await expectCode(() => removeVolumeBackup(vctx, dev, 'data', taken.id), 'SLW_BACKUP_IN_USE');
    expect(error.message).toContain(upgrade.id);
    const kept = { ...vctx, keepBackups: 1 };
    const newer = await createVolumeBackup(kept, dev, 'data');
    expect((await listVolumeBackups(ctx.db, dev, 'data')).map((b) => b.id).sort()).toEqual([newer.id, taken.id].sort());
    // Once the upgrade has ended, both go as usual.
    await ctx.db.updateTable('herd_upgrades').set({ finished_at: new Date().toISOString(), state: 'succeeded' }).where('id', '=', upgrade.id).execute();
    await ctx.db.updateTable('herd_upgrade_sites').set({ step: 'done' }).where('upgrade_id', '=', upgrade.id).execute();
    expect(await removeVolumeBackup(vctx, dev, 'data', taken.id)).toEqual({ deleted: taken.id });
    expect((await listVolumeBackups(ctx.db, dev, 'data')).map((b) => b.id)).toEqual([newer.id]);
  });

  it('refuses a restore while another deploy or restore runs, and one whose transfer fails leaves nothing behind', async () => {
    await deploy();
    const backup = await createVolumeBackup(vctx, dev, 'data');
    await requestDeploy(ctx.db, dev, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', trigger: 'deploy', actor: { userId: ctx.admin.userId, tokenId: ctx.admin.tokenId } });
    await expectCode(() => restoreVolumeBackup(vctx, dev, 'data', backup.id), 'SLW_DEPLOY_IN_PROGRESS');
    await h.settle(dev.environment.id);

    const before = target.volumes();
    target.failNextImport = true;
    await expectCode(() => restoreVolumeBackup(vctx, dev, 'data', backup.id), 'SLW_INTERNAL');
    expect(target.volumes()).toEqual(before);
    expect(await generation()).toBe(0);
    // Two restores of one volume at once: the second is refused, the first makes generation 1.
    const both = await Promise.allSettled([restoreVolumeBackup(vctx, dev, 'data', backup.id), restoreVolumeBackup(vctx, dev, 'data', backup.id)]);
    expect(both[0]).toMatchObject({ status: 'fulfilled', value: { generation: 1 } });
    expect(both[1]).toMatchObject({ status: 'rejected', reason: { code: 'SLW_DEPLOY_IN_PROGRESS' } });
    await h.settle(dev.environment.id);
    await expectCode(() => restoreVolumeBackup(vctx, dev, 'data', 'vbk_000000000000_0000000000000000'), 'SLW_NOT_FOUND');
    await expectCode(() => createVolumeBackup(vctx, dev, 'uploads'), 'SLW_NOT_FOUND');
  });
});
