/**
 * A server started on a data directory whose master key rotation stopped between its commit and
 * the key swap (the new key still in master.key.next, the CA key file and the backup header as
 * before): it finishes the rotation, then opens secrets with the new key (an application hook
 * call is verified with its re-sealed secret, the deploy engine's revealSecrets) and restores a
 * backup taken before the rotation. A `.next` from a rotation that never committed is dropped; one
 * that matches nothing is refused with what to do. On both store engines.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { masterKeyring } from '../../src/secrets/keyring.js';
import { loadMasterKey } from '../../src/secrets/master-key.js';
import { currentSecretVersions, revealSecrets } from '../../src/secrets/secrets.js';
import { backupDir } from '../../src/services/backup-retention.js';
import { rotateMasterKeyOffline } from '../../src/server/master-key-rotation.js';
import { parseServerOptions } from '../../src/server/options.js';
import { createLogger, startServer } from '../../src/server/start.js';
import { dataDirContext, seedSealedWorld } from '../../src/server/test-support/sealed-world.js';
import { apiClient } from '../support/api.js';
import { engines } from '../support/engines.js';

const start = (dataDir: string, databaseUrl: string | undefined) =>
  startServer(parseServerOptions({ dataDir, listen: '127.0.0.1:0', ...(databaseUrl ? { databaseUrl } : {}) }, { SLIPWAY_ALLOW_SERVICE_HOSTS: '127.0.0.1' }), createLogger(process.env.SLIPWAY_TEST_LOG_LEVEL ?? 'silent'));

describe.each(engines)('a server on a data directory after a master key rotation (%s)', (engine) => {
  it('finishes a rotation that stopped between the commit and the key swap, then serves secrets and restores an old backup', async () => {
    const { ctx, dataDir, databaseUrl } = await dataDirContext(engine);
    try {
      const world = await seedSealedWorld(ctx, dataDir);
      const keyFile = join(dataDir, 'master.key');
      const caFile = join(dataDir, 'ca', 'root.key.sealed');
      const b = await ctx.db.selectFrom('service_backups').selectAll().where('id', '=', world.backupId).executeTakeFirstOrThrow();
      const backupFile = join(backupDir(dataDir, b.attachment_id), b.file);
      const before = { key: readFileSync(keyFile, 'utf8'), ca: readFileSync(caFile, 'utf8'), backup: readFileSync(backupFile) };
      await rotateMasterKeyOffline({ dataDir, databaseUrl });
      const newKey = readFileSync(keyFile, 'utf8');
      // Back to the moment right after the commit: the files the later steps change as they were.
      writeFileSync(`${keyFile}.next`, newKey, { mode: 0o600 });
      writeFileSync(keyFile, before.key);
      writeFileSync(caFile, before.ca);
      writeFileSync(backupFile, before.backup);

      const running = await start(dataDir, databaseUrl);
      try {
        expect(existsSync(`${keyFile}.next`)).toBe(false);
        expect(readFileSync(keyFile, 'utf8')).toBe(newKey);
        const fresh = masterKeyring(loadMasterKey(keyFile, { create: false }).key);
        expect(await revealSecrets(ctx.db, fresh, world.ws.workspace.id, world.shop.project.id, await currentSecretVersions(ctx.db, world.dev))).toEqual({ API_KEY: 'base-secret', DB_PASS: 'env-secret' });
        const hook = await ctx.db.selectFrom('application_hooks').select('id').executeTakeFirstOrThrow();
        const call = await fetch(`${running.url}/hooks/apps/${hook.id}`, { method: 'POST', headers: { authorization: `Bearer ${world.values.appHook}`, 'content-type': 'application/json' }, body: '{}' });
        expect(call.status).toBe(202);
        const refused = await fetch(`${running.url}/hooks/apps/${hook.id}`, { method: 'POST', headers: { authorization: 'Bearer not-the-secret', 'content-type': 'application/json' }, body: '{}' });
        expect(refused.status).toBe(401);
        const admin = apiClient(running.url, ctx.adminToken);
        const restored = await admin.post(`/api/v1/workspaces/acme/projects/shop/environments/dev/attachments/cache/backups/${world.backupId}/restore`, {});
        expect(restored.status, restored.text).toBe(200);
      } finally {
        await running.close();
      }
    } finally {
      await ctx.cleanup();
    }
  });

  it('drops a master.key.next the store was never committed with, and refuses one when neither key matches', async () => {
    const { ctx, dataDir, databaseUrl } = await dataDirContext(engine);
    try {
      await seedSealedWorld(ctx, dataDir);
      const keyFile = join(dataDir, 'master.key');
      const key = readFileSync(keyFile, 'utf8');
      writeFileSync(`${keyFile}.next`, `${Buffer.alloc(32, 3).toString('base64')}\n`, { mode: 0o600 });
      const running = await start(dataDir, databaseUrl);
      await running.close();
      expect(existsSync(`${keyFile}.next`)).toBe(false);
      expect(readFileSync(keyFile, 'utf8')).toBe(key);

      writeFileSync(keyFile, `${Buffer.alloc(32, 4).toString('base64')}\n`);
      writeFileSync(`${keyFile}.next`, `${Buffer.alloc(32, 5).toString('base64')}\n`, { mode: 0o600 });
      await expect(start(dataDir, databaseUrl)).rejects.toMatchObject({ code: 'SLW_MASTER_KEY_MISMATCH', message: expect.stringContaining(`remove ${keyFile}.next`) });
    } finally {
      await ctx.cleanup();
    }
  });
});
