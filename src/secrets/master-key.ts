/**
 * The master key: 32 random bytes in a file (base64 text), created with mode 0600 on first start
 * unless SLIPWAY_MASTER_KEY_FILE points at an existing one.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { SlipwayError } from '../core/errors.js';

/** Reads the master key from `file`; creates it when `create` is set and it does not exist. */
export function loadMasterKey(file: string, options: { create: boolean }): { key: Buffer; created: boolean } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && options.create) {
      const key = randomBytes(32);
      // 'wx' fails if another process created it meanwhile: then read theirs.
      try {
        writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
        return { key, created: true };
      } catch (writeError) {
        if ((writeError as NodeJS.ErrnoException).code !== 'EEXIST') throw keyError(file, writeError);
        return loadMasterKey(file, { create: false });
      }
    }
    throw keyError(file, error);
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32 || key.toString('base64') !== text.trim()) {
    throw new SlipwayError('SLW_MASTER_KEY_INVALID', `master key file ${file} must hold 32 bytes in base64 (e.g. made with: head -c 32 /dev/urandom | base64)`);
  }
  return { key, created: false };
}

function keyError(file: string, cause: unknown): SlipwayError {
  return new SlipwayError('SLW_MASTER_KEY_INVALID', `cannot read master key file ${file}: ${(cause as Error).message}`, { cause });
}
