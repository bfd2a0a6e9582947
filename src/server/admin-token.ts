/**
 * `slipway admin token`: the offline rotation of the first admin's instance token. It opens the
 * store the server uses (SQLite in the data directory, or PostgreSQL with a URL), mints a new
 * instance token for the first admin, revokes their older instance tokens in the same
 * transaction, and writes the new one to `<data-dir>/admin-token` (mode 0600, replaced
 * atomically).
 *
 * It does not need the server stopped: tokens are checked against the store on every request, so
 * a running server refuses the old token from the next request on, and SQLite (WAL, busy
 * timeout) and PostgreSQL both take this one short write beside a running server.
 *
 * @module
 */
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.js';
import { openStore, type StoreLocation } from '../store/open.js';
import { rotateFirstAdminToken, type RotatedAdminToken } from '../tenancy/instance-tokens.js';

/** Where the rotation works. */
export interface AdminTokenOptions {
  dataDir: string;
  /** PostgreSQL URL; absent: the SQLite database in the data directory, which must exist. */
  databaseUrl?: string | undefined;
  expiresAt?: string | undefined;
}

/** What the rotation did, and where the token is. */
export interface AdminTokenResult extends RotatedAdminToken {
  file: string;
  store: string;
}

/** Writes `<data-dir>/admin-token` with mode 0600, replacing any old file in one rename. */
export function writeAdminTokenFile(dataDir: string, token: string): string {
  const file = join(dataDir, 'admin-token');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${token}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}

/** Rotates the first admin's token offline (see the module comment). */
export async function rotateAdminTokenOffline(options: AdminTokenOptions): Promise<AdminTokenResult> {
  let location: StoreLocation;
  if (options.databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(options.databaseUrl)) throw new SlipwayError('SLW_USAGE', 'database URL must start with postgres:// (leave --database-url out for the SQLite store in the data directory)');
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    location = { engine: 'postgres', url: options.databaseUrl };
  } else {
    const file = join(options.dataDir, 'slipway.db');
    if (!existsSync(file)) {
      throw new SlipwayError('SLW_USAGE', `no Slipway database in ${options.dataDir} (slipway.db is missing): give the server's --data-dir, or --database-url for a PostgreSQL store`);
    }
    location = { engine: 'sqlite', file };
  }
  const store = await openStore(location);
  try {
    const rotated = await rotateFirstAdminToken(store.db, { expiresAt: options.expiresAt });
    const file = writeAdminTokenFile(options.dataDir, rotated.token);
    return { ...rotated, file, store: store.description };
  } finally {
    await store.close();
  }
}
