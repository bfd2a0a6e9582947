/**
 * `slipway admin master-key`: the offline rotation of the master key, on a stopped server's data
 * directory (it takes the same lock the server takes) and its store (SQLite in the data
 * directory, or PostgreSQL).
 *
 * Every envelope in the store (the {@link sealedKinds}) is opened with the old key and sealed with
 * the new one, and the stored key check is replaced, in ONE transaction: if any envelope does not
 * open, nothing is changed. The new key is written to `<key file>.next` (mode 0600) before the
 * commit; after it, the internal CA's sealed key file is sealed again, the service backup files'
 * headers are signed again, and `.next` is renamed over the key file. A server started after a
 * crash in between sees `.next`, finds which key the stored check names, and finishes the
 * rotation ({@link recoverKeyRotation}); every step after the commit can run again.
 *
 * Keys are never printed or logged.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sealedNotifySecrets } from '../apps/notify-settings.js';
import { sealedAppHookSecrets } from '../apps/app-hooks.js';
import { recordAudit, systemActor } from '../audit/audit.js';
import { SlipwayError } from '../core/errors.js';
import { sealedCaKeyFile } from '../fleet/ca.js';
import { sealedDesiredSpecs } from '../fleet/desired.js';
import { sealedGitCredentials } from '../git/sources.js';
import { sealedRegistryCredentials } from '../registry/credentials.js';
import { masterKeyCheck } from '../secrets/envelope.js';
import { masterKeyring } from '../secrets/keyring.js';
import { loadMasterKey } from '../secrets/master-key.js';
import type { Reseal, SealedKind } from '../secrets/sealed.js';
import { sealedSecrets, type Keyring } from '../secrets/secrets.js';
import { resignBackupFile } from '../services/backup-file.js';
import { volumeBackupDir } from '../volumes/backups.js';
import { backupDir } from '../services/backup-retention.js';
import { sealedServiceCredentials } from '../services/credentials.js';
import { sealedCustomEnvs } from '../services/custom-store.js';
import { sealedServiceAdmins } from '../services/services.js';
import { openStore, type StoreLocation } from '../store/open.js';
import type { Db } from '../store/schema.js';
import { sealedProjectHookSecrets } from '../webhooks/hooks.js';
import { lockDataDir } from './lock.js';

/** Every kind of envelope the store holds. A module that seals a new kind adds its descriptor here. */
export const sealedKinds: readonly SealedKind[] = [sealedSecrets, sealedRegistryCredentials, sealedServiceAdmins, sealedServiceCredentials, sealedCustomEnvs, sealedGitCredentials, sealedNotifySecrets, sealedAppHookSecrets, sealedProjectHookSecrets, sealedDesiredSpecs];

export interface RotateKeyOptions {
  dataDir: string;
  /** PostgreSQL URL; absent: the SQLite database in the data directory. */
  databaseUrl?: string | undefined;
  /** The current key's file (the server's SLIPWAY_MASTER_KEY_FILE); default `<data-dir>/master.key`. */
  masterKeyFile?: string | undefined;
  /** A file holding the new key (32 bytes, base64); default: a fresh random key. */
  newKeyFile?: string | undefined;
}

/** What the steps after the commit did. */
export interface FinishedRotation {
  caKey: 'resealed' | 'current' | 'none';
  backups: { resigned: number; current: number; unverified: number };
}

export interface RotateKeyResult extends FinishedRotation {
  keyFile: string;
  store: string;
  /** Envelopes sealed again, by kind. */
  resealed: Record<string, number>;
}

const metaKey = 'master_key_check';

async function storedCheck(db: Db): Promise<string | undefined> {
  return (await db.selectFrom('slipway_meta').select('value').where('key', '=', metaKey).executeTakeFirst())?.value;
}

function storeLocation(options: RotateKeyOptions): StoreLocation {
  if (options.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) throw new SlipwayError('SLW_USAGE', 'database URL must start with postgres:// (leave --database-url out for the SQLite store in the data directory)');
    return { engine: 'postgres', url: options.databaseUrl };
  }
  const file = join(options.dataDir, 'slipway.db');
  if (!existsSync(file)) throw new SlipwayError('SLW_USAGE', `no Slipway database in ${options.dataDir} (slipway.db is missing): give the server's --data-dir, or --database-url for a PostgreSQL store`);
  return { engine: 'sqlite', file };
}

/** Rotates the master key offline (see the module comment). */
export async function rotateMasterKeyOffline(options: RotateKeyOptions): Promise<RotateKeyResult> {
  if (!existsSync(options.dataDir)) throw new SlipwayError('SLW_USAGE', `no data directory ${options.dataDir}: give the server's --data-dir`);
  const location = storeLocation(options);
  const lock = lockDataDir(options.dataDir);
  try {
    const keyFile = options.masterKeyFile ?? join(options.dataDir, 'master.key');
    const nextFile = `${keyFile}.next`;
    const store = await openStore(location);
    try {
      // An earlier rotation that stopped half-way is settled first (finished, or its unused key dropped).
      await recoverKeyRotation(options.dataDir, keyFile, store.db);
      const old = loadMasterKey(keyFile, { create: false }).key;
      const fresh = options.newKeyFile ? loadMasterKey(options.newKeyFile, { create: false }).key : randomBytes(32);
      if (fresh.equals(old)) throw new SlipwayError('SLW_USAGE', `the new key in ${options.newKeyFile ?? ''} is the current master key; give another one (or leave --new-key-file out for a fresh one)`);
      const stored = await storedCheck(store.db);
      if (stored !== undefined && stored !== masterKeyCheck(old)) throw new SlipwayError('SLW_MASTER_KEY_MISMATCH', `the master key in ${keyFile} is not the one this store's secrets are encrypted with; give the server's key with --master-key-file; nothing was changed`);
      const from = masterKeyring(old);
      const to = masterKeyring(fresh);
      const ca = sealedCaKeyFile(options.dataDir);
      if (existsSync(ca.file)) openSealedFile(from, ca, 'the current master key');
      // On disk for good before the commit: a store sealed with a key that a power cut lost would be lost with it.
      writeDurably(nextFile, `${fresh.toString('base64')}\n`);
      const resealed: Record<string, number> = {};
      try {
        await store.db.transaction().execute(async (tx) => {
          const reseal: Reseal = (id, envelope, where) => {
            let value: string;
            try {
              value = from.open(id, envelope);
            } catch (error) {
              throw new SlipwayError('SLW_MASTER_KEY_MISMATCH', `${where} does not open with the current master key (altered data, or sealed with another key); nothing was changed`, { cause: error });
            }
            return to.seal(id, value);
          };
          for (const kind of sealedKinds) resealed[kind.name] = await kind.reseal(tx, reseal);
          await tx.insertInto('slipway_meta').values({ key: metaKey, value: masterKeyCheck(fresh) }).onConflict((oc) => oc.column('key').doUpdateSet({ value: masterKeyCheck(fresh) })).execute();
          await recordAudit(tx, systemActor, { workspaceId: null, action: 'instance.master-key.rotate', targetType: 'instance', target: 'master key', details: { resealed, via: 'slipway admin master-key' } });
        });
      } catch (error) {
        rmSync(nextFile, { force: true });
        throw error;
      }
      let finished: FinishedRotation;
      try {
        finished = await finishKeyRotation(options.dataDir, keyFile, store.db, from, to);
      } catch (error) {
        throw new SlipwayError('SLW_SERVER_CONFIG', `the store is now sealed with the new key, kept in ${nextFile}, but the rotation could not finish: ${(error as Error).message}; fix that, then run the command again or start the server (either finishes it); do not remove ${nextFile}`, { cause: error });
      }
      return { keyFile, store: store.description, resealed, ...finished };
    } finally {
      await store.close();
    }
  } finally {
    lock.release();
  }
}

function openSealedFile(keyring: Keyring, sealed: ReturnType<typeof sealedCaKeyFile>, which: string): string {
  try {
    return keyring.open(sealed.id, readFileSync(sealed.file, 'utf8').trim());
  } catch (error) {
    throw new SlipwayError('SLW_MASTER_KEY_MISMATCH', `the ${sealed.name} (${sealed.file}) does not open with ${which}; nothing was changed`, { cause: error });
  }
}

/**
 * The steps after the commit, each safe to run again: the CA key file sealed with `to`, the
 * backup headers signed with `to`, then `<key file>.next` renamed over the key file.
 */
async function finishKeyRotation(dataDir: string, keyFile: string, db: Db, from: Keyring, to: Keyring): Promise<FinishedRotation> {
  const ca = sealedCaKeyFile(dataDir);
  let caKey: FinishedRotation['caKey'] = 'none';
  if (existsSync(ca.file)) {
    caKey = 'current';
    try {
      openSealedFile(to, ca, 'the new master key');
    } catch {
      const tmp = `${ca.file}.tmp`;
      rmSync(tmp, { force: true });
      writeDurably(tmp, to.seal(ca.id, openSealedFile(from, ca, 'either master key')));
      renameSync(tmp, ca.file);
      syncDir(dirname(ca.file));
      caKey = 'resealed';
    }
  }
  const backups = { resigned: 0, current: 0, unverified: 0 };
  for (const b of await db.selectFrom('service_backups').select(['attachment_id', 'file']).execute()) {
    backups[await resignBackupFile(join(backupDir(dataDir, b.attachment_id), b.file), from, to)] += 1;
  }
  // Volume backups carry the same signed header.
  for (const b of await db.selectFrom('volume_backups').select(['environment_id', 'file']).execute()) {
    backups[await resignBackupFile(join(volumeBackupDir(dataDir, b.environment_id), b.file), from, to)] += 1;
  }
  renameSync(`${keyFile}.next`, keyFile);
  syncDir(dirname(keyFile));
  return { caKey, backups };
}

/** Creates `file` (mode 0600; it must not exist) with `text`, flushed to disk with its directory entry. */
function writeDurably(file: string, text: string): void {
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncDir(dirname(file));
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * At server start, before the key check: settles a rotation that stopped half-way. With
 * `<key file>.next` present, the stored check says whether the store was committed with the new
 * key (finish the rotation) or not (the rotation never happened: drop `.next`). Returns what was
 * done, or null when there was nothing to do.
 */
export async function recoverKeyRotation(dataDir: string, keyFile: string, db: Db): Promise<'finished' | 'dropped' | null> {
  const nextFile = `${keyFile}.next`;
  if (!existsSync(nextFile)) return null;
  const current = loadMasterKey(keyFile, { create: false }).key;
  const next = loadMasterKey(nextFile, { create: false }).key;
  const stored = await storedCheck(db);
  if (stored === masterKeyCheck(next)) {
    await finishKeyRotation(dataDir, keyFile, db, masterKeyring(current), masterKeyring(next));
    return 'finished';
  }
  if (stored === masterKeyCheck(current) || stored === undefined) {
    rmSync(nextFile);
    return 'dropped';
  }
  throw new SlipwayError(
    'SLW_MASTER_KEY_MISMATCH',
    `an interrupted master key rotation left ${nextFile}, but neither it nor ${keyFile} is the key this store's secrets are encrypted with; put the right key in ${keyFile} (from your key backup) and remove ${nextFile}`,
  );
}
