/**
 * `--stop-first` through the target port, on a real store with the in-memory target: the
 * environment's workloads on the old target are removed and waited for, and nothing else of the
 * target is touched; a backup taken then holds the last write.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dockerVolumeName } from '../core/volumes.js';
import { requestDeploy } from '../deploy/deployments.js';
import { changeSettings } from '../deploy/settings.js';
import { engineHarness, type Harness } from '../deploy/test-support/engine-harness.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { MemoryTarget } from '../targets/memory/memory-target.js';
import { engines } from '../../test/support/engines.js';
import { tempDir } from '../../test/support/server-process.js';
import { environment, project, setupContext, testKeyring, workspace, type TestContext } from '../../test/support/service-fixtures.js';
import type { VolumeBackupContext } from './backups.js';
import { backUpForMove, stopForMove } from './move.js';

async function* bytes(text: string) {
  yield Buffer.from(text);
}

describe.each(engines)('a move that stops first, on %s', (engine) => {
  let ctx: TestContext;
  let h: Harness;
  let target: MemoryTarget;
  let dev: EnvironmentAccess;
  let other: EnvironmentAccess;
  let vctx: VolumeBackupContext;
  const keyring = testKeyring();

  beforeEach(async () => {
    ctx = await setupContext(engine);
    const ws = await workspace(ctx, 'acme', 'high');
    const serve = await project(ctx, ws, 'serve');
    target = new MemoryTarget({ name: 'local' });
    h = engineHarness(ctx.db, { keyring, target });
    dev = await environment(ctx, serve, 'dev');
    other = await environment(ctx, serve, 'staging');
    for (const e of [dev, other]) {
      await changeSettings(ctx.db, e, { volumes: { data: '/data' } });
      await requestDeploy(ctx.db, e, { imageDigest: `sha256:${'a'.repeat(64)}`, version: '1.0.0', trigger: 'deploy', actor: { userId: ctx.admin.userId, tokenId: ctx.admin.tokenId } });
      await h.settle(e.environment.id);
    }
    vctx = { db: ctx.db, keyring, dataDir: tempDir('slipway-volume-moves-'), deploy: { placements: h.placements, registry: { host: 'memory', auth: () => ({ registry: 'memory', username: 'u', password: 'p' }) }, instance: 'itest' }, enqueue: () => undefined };
  });
  afterEach(async () => {
    await h.close();
    await ctx.cleanup();
  });

  it("removes the environment's workloads there and waits for them; other environments keep running; the backup after holds the last write", async () => {
    const labels = (e: EnvironmentAccess) => ({ 'io.slipway.environment-id': e.environment.id });
    expect(await target.list(labels(dev))).toHaveLength(1);
    await target.importVolume({ name: 'app', volume: dockerVolumeName(dev.environment.id, 'data'), path: '/data', image: 'memory/serve', registryAuth: null }, bytes('the last write'));
    expect(await stopForMove(vctx, dev, 'local')).toBe(1);
    expect(await target.list(labels(dev))).toEqual([]);
    expect(await target.list(labels(other))).toHaveLength(1);
    const [backup] = await backUpForMove(vctx, dev, ['data']);
    expect(backup).toMatchObject({ volume: 'data', trigger: 'move', size: 'the last write'.length });
    // Nothing left to stop: none, at once.
    expect(await stopForMove(vctx, dev, 'local')).toBe(0);
  });
});
