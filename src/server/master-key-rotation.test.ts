/**
 * The offline master key rotation on both store engines, on a data directory holding one of
 * every sealed kind (see test-support/sealed-world.ts): afterwards every envelope, the CA key
 * file and the backup header open or verify with the new key and none with the old; a failing
 * envelope changes nothing; a held data-directory lock is refused.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appHookSecretIdentity, findAppHook } from '../apps/app-hooks.js';
import { openNotifySecret } from '../apps/notify-settings.js';
import { InternalCa } from '../fleet/ca.js';
import { FleetState } from '../fleet/desired.js';
import { AgentSessions } from '../fleet/sessions.js';
import { findGitSource, openCredential } from '../git/sources.js';
import { credentialFor } from '../registry/credentials.js';
import { masterKeyCheck } from '../secrets/envelope.js';
import { masterKeyring } from '../secrets/keyring.js';
import { loadMasterKey } from '../secrets/master-key.js';
import { currentSecretVersions, revealSecrets, type Keyring } from '../secrets/secrets.js';
import { verifyBackupFile } from '../services/backup-file.js';
import { backupDir } from '../services/backup-retention.js';
import { restoreBackup } from '../services/backups.js';
import { verifiedVolumeBackup } from '../volumes/backups.js';
import { findHook, openHookSecret } from '../webhooks/hooks.js';
import { engines } from '../../test/support/engines.js';
import { tempDir } from '../../test/support/server-process.js';
import { expectCode, type TestContext } from '../../test/support/service-fixtures.js';
import { lockDataDir } from './lock.js';
import { rotateMasterKeyOffline, sealedKinds } from './master-key-rotation.js';
import { dataDirContext, seedSealedWorld, type SealedWorld } from './test-support/sealed-world.js';

/** Every envelope in the store, by kind, as the descriptors find them (a read-only pass). */
async function envelopes(ctx: TestContext): Promise<string[]> {
  const all: string[] = [];
  for (const kind of sealedKinds) {
    await kind.reseal(ctx.db, (_id, envelope, where) => {
      all.push(`${where}=${envelope}`);
      return envelope;
    });
  }
  return all;
}

/** Opens every envelope of every kind with `keyring`; returns how many did not open. */
async function failingWith(ctx: TestContext, keyring: Keyring): Promise<number> {
  let failing = 0;
  for (const kind of sealedKinds) {
    await kind.reseal(ctx.db, (id, envelope) => {
      try {
        keyring.open(id, envelope);
      } catch {
        failing += 1;
      }
      return envelope;
    });
  }
  return failing;
}

describe.each(engines)('master key rotation on %s', (engine) => {
  let ctx: TestContext;
  let dataDir: string;
  let world: SealedWorld;
  let databaseUrl: string | undefined;

  beforeEach(async () => {
    ({ ctx, dataDir, databaseUrl } = await dataDirContext(engine));
    world = await seedSealedWorld(ctx, dataDir);
  });
  afterEach(() => ctx.cleanup());

  it('seals every envelope, the CA key and the backup header with the new key, none left on the old', async () => {
    const before = await envelopes(ctx);
    expect(await failingWith(ctx, world.keyring)).toBe(0);
    const r = await rotateMasterKeyOffline({ dataDir, databaseUrl });
    for (const kind of sealedKinds) expect(r.resealed[kind.name], kind.name).toBeGreaterThan(0);
    expect(r).toMatchObject({ caKey: 'resealed', backups: { resigned: 2, current: 0, unverified: 0 } });
    const keyFile = join(dataDir, 'master.key');
    expect(existsSync(`${keyFile}.next`)).toBe(false);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = loadMasterKey(keyFile, { create: false }).key;
    expect(key.equals(world.key)).toBe(false);
    const fresh = masterKeyring(key);
    const after = await envelopes(ctx);
    expect(after).toHaveLength(before.length);
    expect(after.filter((e) => before.includes(e))).toEqual([]);
    expect(await failingWith(ctx, fresh)).toBe(0);
    expect(await failingWith(ctx, world.keyring)).toBe(after.length);
    expect((await ctx.db.selectFrom('slipway_meta').select('value').where('key', '=', 'master_key_check').executeTakeFirstOrThrow()).value).toBe(masterKeyCheck(key));
    // What the server's readers get with the new key.
    expect(await revealSecrets(ctx.db, fresh, world.ws.workspace.id, world.shop.project.id, await currentSecretVersions(ctx.db, world.dev))).toEqual({ API_KEY: 'base-secret', DB_PASS: 'env-secret' });
    expect(await credentialFor(ctx.db, fresh, world.ws.workspace.id, 'ghcr.io')).toEqual({ username: 'robot', password: 'registry-secret' });
    expect(openCredential(fresh, (await findGitSource(ctx.db, world.shop.project.id))!)).toBe(world.values.gitCredential);
    expect(openHookSecret(fresh, (await findHook(ctx.db, world.shop.project.id))!)).toBe(world.values.projectHook);
    const app = await ctx.db.selectFrom('applications').selectAll().where('id', '=', world.app.id).executeTakeFirstOrThrow();
    expect(openNotifySecret(fresh, app)).toBe(world.values.notify);
    const hook = (await findAppHook(ctx.db, app.id))!;
    expect(fresh.open(appHookSecretIdentity(hook), hook.secret_envelope)).toBe(world.values.appHook);
    const desired = await new FleetState(ctx.db, fresh, new AgentSessions()).message(world.serverId);
    expect(desired.workloads.map((w) => (w.removed ? null : (w.spec as { env: Record<string, string> }).env.TOKEN))).toEqual(['desired-secret']);
    await expect(InternalCa.open(dataDir, world.keyring)).rejects.toMatchObject({ code: 'SLW_MASTER_KEY_MISMATCH' });
    await InternalCa.open(dataDir, fresh);
    // The backup taken before the rotation restores with the new key, and is refused with the old.
    const b = await ctx.db.selectFrom('service_backups').selectAll().where('id', '=', world.backupId).executeTakeFirstOrThrow();
    const binding = { kind: 'redis' as const, workspace: b.workspace_id, attachment: b.attachment_id, backup: b.id };
    const file = join(backupDir(dataDir, b.attachment_id), b.file);
    await expect(verifyBackupFile(world.keyring, file, binding, b)).rejects.toMatchObject({ code: 'SLW_BACKUP_INVALID' });
    await restoreBackup(world.services(fresh), world.dev, 'cache', null, world.backupId);
    // So does the volume backup: its file verifies with the new key only.
    const v = await ctx.db.selectFrom('volume_backups').selectAll().where('id', '=', world.volumeBackupId).executeTakeFirstOrThrow();
    await verifiedVolumeBackup({ keyring: fresh, dataDir }, v);
    await expect(verifiedVolumeBackup({ keyring: world.keyring, dataDir }, v)).rejects.toMatchObject({ code: 'SLW_BACKUP_INVALID' });
    const audit = await ctx.db.selectFrom('audit_events').selectAll().where('action', '=', 'instance.master-key.rotate').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details).not.toContain(key.toString('base64'));
  });

  it('takes a new key from --new-key-file', async () => {
    const given = tempDir('slipway-newkey-');
    const next = Buffer.alloc(32, 7);
    writeFileSync(join(given, 'new.key'), `${next.toString('base64')}\n`);
    await rotateMasterKeyOffline({ dataDir, databaseUrl, newKeyFile: join(given, 'new.key') });
    expect(loadMasterKey(join(dataDir, 'master.key'), { create: false }).key.equals(next)).toBe(true);
    expect(await failingWith(ctx, masterKeyring(next))).toBe(0);
    await expectCode(() => rotateMasterKeyOffline({ dataDir, databaseUrl, newKeyFile: join(given, 'new.key') }), 'SLW_USAGE');
  });

  it('changes nothing when one envelope does not open, or the key is not the store\'s', async () => {
    const keyFile = join(dataDir, 'master.key');
    const keyText = readFileSync(keyFile, 'utf8');
    // The last kind's envelope altered: every kind before it was re-sealed in the transaction first.
    const row = await ctx.db.selectFrom('server_desired').selectAll().where('kind', '=', 'job').executeTakeFirstOrThrow();
    const body = JSON.parse(row.body) as { envelope: string };
    const parts = body.envelope.split('.');
    parts[4] = `${parts[4]!.slice(0, -4)}AAAA`;
    await ctx.db.updateTable('server_desired').set({ body: JSON.stringify({ ...body, envelope: parts.join('.') }) }).where('kind', '=', 'job').execute();
    const before = await envelopes(ctx);
    const caBefore = readFileSync(join(dataDir, 'ca', 'root.key.sealed'), 'utf8');
    const error = await expectCode(() => rotateMasterKeyOffline({ dataDir, databaseUrl }), 'SLW_MASTER_KEY_MISMATCH');
    expect(error.message).toContain('job migrate of server srv_rotation');
    expect(await envelopes(ctx)).toEqual(before);
    expect(readFileSync(keyFile, 'utf8')).toBe(keyText);
    expect(readFileSync(join(dataDir, 'ca', 'root.key.sealed'), 'utf8')).toBe(caBefore);
    expect(existsSync(`${keyFile}.next`)).toBe(false);
    expect(await ctx.db.selectFrom('audit_events').select('id').where('action', '=', 'instance.master-key.rotate').execute()).toEqual([]);
    // Another key than the store's: refused before anything is opened.
    writeFileSync(keyFile, `${Buffer.alloc(32, 1).toString('base64')}\n`);
    expect((await expectCode(() => rotateMasterKeyOffline({ dataDir, databaseUrl }), 'SLW_MASTER_KEY_MISMATCH')).message).toContain('nothing was changed');
    expect(await envelopes(ctx)).toEqual(before);
  });

  it('is refused while a server holds the data directory', async () => {
    const lock = lockDataDir(dataDir);
    try {
      await expectCode(() => rotateMasterKeyOffline({ dataDir, databaseUrl }), 'SLW_DATA_DIR_LOCKED');
    } finally {
      lock.release();
    }
    expect(await failingWith(ctx, world.keyring)).toBe(0);
  });
});

describe('the sealed kinds', () => {
  it('cover every envelope column of the schema', async () => {
    const { ctx } = await dataDirContext('sqlite');
    try {
      const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(ctx.db);
      const columns: string[] = [];
      for (const t of tables.rows) {
        const info = await sql<{ name: string }>`select name from pragma_table_info(${t.name})`.execute(ctx.db);
        for (const c of info.rows) if (c.name.includes('envelope')) columns.push(`${t.name}.${c.name}`);
      }
      // server_desired.body holds its envelopes inside JSON, under no envelope-named column.
      expect(sealedKinds.flatMap((k) => k.columns).sort()).toEqual([...columns, 'server_desired.body'].sort());
    } finally {
      await ctx.cleanup();
    }
  });
});
