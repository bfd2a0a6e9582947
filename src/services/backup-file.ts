/**
 * The file of one service backup: a fixed-size header, then the kind's dump.
 *
 *   bytes 0..1023   JSON padded with spaces, ending in "\n": magic, format version, kind,
 *                   workspace, attachment and backup ids, dump size and SHA-256, and an
 *                   HMAC-SHA256 over all of these with a key derived from the master key
 *   bytes 1024..    the dump (see src/drivers/backup/)
 *
 * The header is written last (the dump is streamed first, hashing as it goes), into space
 * reserved at the start, and the file is renamed into place only when complete. A restore
 * checks every field and the whole dump's hash before the driver reads a byte, so a corrupt
 * file, another attachment's or kind's, or one from another instance (another master key) is
 * refused with SLW_BACKUP_INVALID and nothing is changed.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SlipwayError } from '../core/errors.js';
import { hashingStream } from '../platform/hashing-stream.js';
import type { ServiceKind } from '../core/services.js';
import type { Keyring } from '../secrets/secrets.js';

export const backupHeaderBytes = 1024;
const magic = 'slipway-service-backup';
const macPurpose = 'service-backup';

/** What binds a file to its place: checked field by field on restore. */
export interface BackupBinding {
  /** A service kind, or `volume` for a backup of an environment's volume (src/volumes/). */
  kind: ServiceKind | 'volume';
  workspace: string;
  attachment: string;
  backup: string;
}

interface Header extends BackupBinding {
  magic: string;
  version: number;
  size: number;
  sha256: string;
  mac: string;
}

const signed = (h: Omit<Header, 'mac'>) => [h.magic, h.version, h.kind, h.workspace, h.attachment, h.backup, h.size, h.sha256].join('\n');

/** Streams `produce`'s output into `path` (via `path.tmp`) behind a signed header; returns the dump's size and SHA-256. */
export async function writeBackupFile(keyring: Keyring, path: string, binding: BackupBinding, produce: (out: Writable) => Promise<void>): Promise<{ size: number; sha256: string }> {
  const tmp = `${path}.tmp`;
  const counted = hashingStream();
  const counter = counted.stream;
  try {
    const handle = await open(tmp, 'wx', 0o600);
    await handle.write(Buffer.alloc(backupHeaderBytes, 0x20), 0, backupHeaderBytes, 0);
    await handle.close();
    const written = pipeline(counter, createWriteStream(tmp, { flags: 'r+', start: backupHeaderBytes }));
    written.catch(() => undefined);
    try {
      await produce(counter);
      counter.end();
    } catch (error) {
      counter.destroy();
      throw error;
    }
    await written;
    const body: Omit<Header, 'mac'> = { magic, version: 1, ...binding, size: counted.size(), sha256: counted.sha256() };
    const header: Header = { ...body, mac: keyring.mac(macPurpose, signed(body)) };
    const text = JSON.stringify(header);
    if (text.length > backupHeaderBytes - 1) throw new SlipwayError('SLW_INTERNAL', 'backup header too long');
    const final = await open(tmp, 'r+');
    try {
      await final.write(Buffer.from(text.padEnd(backupHeaderBytes - 1, ' ') + '\n'), 0, backupHeaderBytes, 0);
      await final.sync();
    } finally {
      await final.close();
    }
    await rename(tmp, path);
    return { size: body.size, sha256: body.sha256 };
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

function invalid(why: string): SlipwayError {
  return new SlipwayError('SLW_BACKUP_INVALID', `${why}; nothing was changed`);
}

async function readHeader(path: string): Promise<Header> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    throw invalid('the backup file is missing from the data directory');
  }
  try {
    const buf = Buffer.alloc(backupHeaderBytes);
    const { bytesRead } = await handle.read(buf, 0, backupHeaderBytes, 0);
    if (bytesRead < backupHeaderBytes) throw invalid('the backup file is truncated (no complete header)');
    let parsed: unknown;
    try {
      parsed = JSON.parse(buf.toString('utf8'));
    } catch {
      throw invalid('the backup file is corrupt (its header is not readable)');
    }
    const h = parsed as Partial<Header>;
    if (typeof parsed !== 'object' || parsed === null || h.magic !== magic) throw invalid('the file is not a Slipway service backup');
    if (h.version !== 1) throw invalid(`the backup file has format version ${String(h.version)}; this server reads version 1`);
    for (const key of ['kind', 'workspace', 'attachment', 'backup', 'sha256', 'mac'] as const) if (typeof h[key] !== 'string') throw invalid(`the backup file's header lacks ${key}`);
    if (typeof h.size !== 'number' || !Number.isSafeInteger(h.size) || h.size < 0) throw invalid("the backup file's header has no valid size");
    return h as Header;
  } finally {
    await handle.close();
  }
}

/**
 * Checks the file against what it must be (`expected`) and the store row (`size`, `sha256`):
 * header fields, signature, and the dump's length and hash. Throws SLW_BACKUP_INVALID.
 */
export async function verifyBackupFile(keyring: Keyring, path: string, expected: BackupBinding, stored: { size: number; sha256: string }): Promise<void> {
  const h = await readHeader(path);
  const mac = keyring.mac(macPurpose, signed(h));
  const a = Buffer.from(mac, 'hex');
  const b = Buffer.from(/^[0-9a-f]{64}$/.test(h.mac) ? h.mac : '', 'hex');
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw invalid('the backup file was not made by this Slipway instance or its header was altered (signature mismatch)');
  if (h.kind !== expected.kind) throw invalid(`the backup is of a ${h.kind} service, not ${expected.kind}`);
  if (h.workspace !== expected.workspace || h.attachment !== expected.attachment) throw invalid("the backup file belongs to another attachment; restore a backup of this attachment (slipway service backups)");
  if (h.backup !== expected.backup) throw invalid(`the file holds backup ${h.backup}, not ${expected.backup}`);
  if (h.size !== stored.size || h.sha256 !== stored.sha256) throw invalid('the backup file does not match its record (size or checksum)');
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { start: backupHeaderBytes }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  if (size !== h.size || hash.digest('hex') !== h.sha256) throw invalid('the backup file is corrupt (checksum mismatch)');
}

/**
 * For a master-key rotation: signs the header of the file at `path` again with `to`'s key when
 * it is signed with `from`'s, in place (the header's space is fixed; the dump is not touched).
 * `current`: already signed with `to`; `unverified`: missing, unreadable or signed by neither
 * (left as it was, since no restore would accept it before either).
 */
export async function resignBackupFile(path: string, from: Keyring, to: Keyring): Promise<'resigned' | 'current' | 'unverified'> {
  let h: Header;
  try {
    h = await readHeader(path);
  } catch {
    return 'unverified';
  }
  const body: Omit<Header, 'mac'> = { magic: h.magic, version: h.version, kind: h.kind, workspace: h.workspace, attachment: h.attachment, backup: h.backup, size: h.size, sha256: h.sha256 };
  if (h.mac === to.mac(macPurpose, signed(body))) return 'current';
  if (h.mac !== from.mac(macPurpose, signed(body))) return 'unverified';
  const text = JSON.stringify({ ...h, mac: to.mac(macPurpose, signed(body)) } satisfies Header);
  const handle = await open(path, 'r+');
  try {
    await handle.write(Buffer.from(text.padEnd(backupHeaderBytes - 1, ' ') + '\n'), 0, backupHeaderBytes, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return 'resigned';
}

/** The dump of a verified file. */
export function backupBody(path: string): Readable {
  return createReadStream(path, { start: backupHeaderBytes });
}
