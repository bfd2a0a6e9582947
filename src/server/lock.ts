/**
 * One server per data directory. The lock is an exclusive SQLite lock on `<data-dir>/server.lock`:
 * the kernel drops it when the process dies, even by SIGKILL, so there is never a stale lock to
 * clean up by hand (unlike a pid file). `server.pid` only names the holder in the message.
 *
 * @module
 */
import BetterSqlite3 from 'better-sqlite3';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlipwayError } from '../core/errors.js';

/** A held data-directory lock. */
export interface DataDirLock {
  release(): void;
}

/** Takes the data directory's lock or throws `SLW_DATA_DIR_LOCKED` naming the holder. */
export function lockDataDir(dataDir: string): DataDirLock {
  const lockFile = join(dataDir, 'server.lock');
  const pidFile = join(dataDir, 'server.pid');
  const db = new BetterSqlite3(lockFile, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the exclusive lock; in EXCLUSIVE mode it is held until close.
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER); DELETE FROM holder; INSERT INTO holder VALUES (0);');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code === 'SQLITE_BUSY') {
      throw new SlipwayError('SLW_DATA_DIR_LOCKED', `another Slipway server${holderText(pidFile)} already uses the data directory ${dataDir}; stop it first, or start this one with another --data-dir`);
    }
    throw new SlipwayError('SLW_SERVER_CONFIG', `cannot lock the data directory ${dataDir}: ${(error as Error).message}`, { cause: error });
  }
  writeFileSync(pidFile, `${process.pid}\n`);
  return { release: () => db.close() };
}

function holderText(pidFile: string): string {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? ` (pid ${pid})` : '';
  } catch {
    return '';
  }
}
