/**
 * A volume backup from a file the user uploads (`slipway volume upload`): data from elsewhere —
 * a backup downloaded from another environment or instance, or a tar of the files an app had
 * before it came to Slipway — kept as a signed backup of the volume (trigger `upload`), which
 * `volume restore` then unpacks into a new generation like any other.
 *
 * The upload is a tar (or a gzipped tar) read as it arrives and checked before anything is kept:
 * entries are relative paths inside the volume (no absolute path, no `..`), no device file,
 * FIFO or sparse file, no hardlink out of the archive and no entry beneath a symlink; every
 * byte counts against the server's unpack limits (--max-unpacked-bytes; a gzipped upload also
 * against the ratio). A refused upload stores nothing.
 *
 * @module
 */
import { once } from 'node:events';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { SlipwayError, isSlipwayError } from '../core/errors.js';
import { recordAudit } from '../audit/audit.js';
import { Budget, TarScanner, ancestorsOf, type ArchiveLimits } from '../builder/index.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import { writeBackupFile } from '../services/backup-file.js';
import type { VolumeBackupsTable } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { announceVolume, bindingOf, declaredVolume, emailOf, pruneVolumeBackups, toVolumeBackupInfo, volumeBackupDir, where, type VolumeBackupContext, type VolumeBackupInfo } from './backups.js';

/** What an upload may be: its bytes as sent (the server's --max-artifact-bytes) and what it unpacks to. */
export interface UploadLimits {
  maxBytes: number;
  unpack: ArchiveLimits;
}

const refused = (why: string) =>
  new SlipwayError('SLW_VOLUME_UPLOAD_INVALID', `the upload is not a volume backup Slipway can restore: ${why}; send a tar (or tar.gz) of the volume's files with paths relative to it, e.g. tar -C DIR -cf data.tar .`);

/** The scanner's refusals (written for build artifacts) said for an upload; limits stay SLW_ARTIFACT_TOO_LARGE. */
function asUploadError(error: unknown): unknown {
  if (!isSlipwayError(error)) return error;
  if (error.code === 'SLW_ARTIFACT_INVALID') return refused(error.message.replace(/; upload a JAR.*$/, ''));
  if (error.code === 'SLW_ARTIFACT_UNSAFE_PATH') return refused(error.message.replace(/; repack the artifact.*$/, ''));
  if (error.code === 'SLW_ARTIFACT_TOO_LARGE') return new SlipwayError('SLW_ARTIFACT_TOO_LARGE', error.message.replace(/^the artifact/, 'the upload'));
  return error;
}

/** Checks the tar as it passes, writing each chunk once it is checked; throws at the first thing refused. */
async function checkedTar(source: AsyncIterable<Buffer>, out: Writable, limits: UploadLimits, packedBytes: number, gzip: { is: boolean }): Promise<void> {
  const budget = new Budget(limits.unpack, packedBytes);
  const scanner = new TarScanner(budget, limits.unpack.maxEntries);
  const links = new Set<string>();
  let seen = 0;
  for await (const chunk of source) {
    // Decompressed bytes count against the ratio to what was sent (a gzip bomb); a plain tar is what was sent.
    if (gzip.is) budget.inflate(chunk.length);
    scanner.push(chunk);
    for (; seen < scanner.entries.length; seen += 1) {
      const e = scanner.entries[seen]!;
      const under = ancestorsOf(e.path).find((a) => links.has(a));
      if (under !== undefined) throw refused(`entry ${JSON.stringify(e.rawName)} lies beneath the symlink ${JSON.stringify(under)}`);
      if (e.type === 'symlink') links.add(e.path);
      else links.delete(e.path);
    }
    if (!out.write(chunk)) await once(out, 'drain');
  }
  scanner.finish();
}

/** The body, counted against `maxBytes` as it arrives (a missing or false Content-Length is no way past it). */
async function* capped(body: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) throw new SlipwayError('SLW_ARTIFACT_TOO_LARGE', `the upload is larger than ${maxBytes} bytes, the most this server accepts (SLIPWAY_MAX_ARTIFACT_BYTES)`);
    yield chunk;
  }
}

/** The upload's bytes as a tar: gunzipped when it starts with gzip's magic number (looked for across chunks, however the bytes arrive). */
async function* tarBytes(body: AsyncIterable<Buffer>, gzip: { is: boolean }): AsyncGenerator<Buffer> {
  const it = body[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  while (headBytes < 2) {
    const next = await it.next();
    if (next.done) break;
    head.push(next.value);
    headBytes += next.value.length;
  }
  if (headBytes === 0) throw refused('it is empty');
  const start = Buffer.concat(head);
  const rest = (async function* () {
    yield start;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  })();
  gzip.is = start[0] === 0x1f && start[1] === 0x8b;
  if (!gzip.is) {
    yield* rest;
    return;
  }
  const gunzip = createGunzip();
  // A refusal of the upload (its size) reaches the loop below through the gunzip stream; a stop
  // of the loop (an entry refused) ends the pipeline, which stops reading the body.
  const fed = pipeline(rest, gunzip).catch(() => undefined);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    if (isSlipwayError(error)) throw error;
    throw refused(`its gzip stream is corrupt (${(error as Error).message})`);
  } finally {
    gunzip.destroy();
    void fed;
  }
}

/**
 * Keeps the uploaded tar as a backup of the environment's volume `name` (declared by its
 * settings now); refused uploads store nothing. Nothing runs: `volume restore` is the next step.
 */
export async function uploadVolumeBackup(ctx: VolumeBackupContext, access: EnvironmentAccess, name: string, body: Readable, declaredLength: number | undefined, limits: UploadLimits): Promise<VolumeBackupInfo> {
  const { volume: declared } = await declaredVolume(ctx.db, access, name);
  if (declaredLength !== undefined && declaredLength > limits.maxBytes) {
    throw new SlipwayError('SLW_ARTIFACT_TOO_LARGE', `the upload is ${declaredLength} bytes, more than the ${limits.maxBytes} this server accepts (SLIPWAY_MAX_ARTIFACT_BYTES)`);
  }
  const id = newId('vbk');
  const file = `${id}.tar`;
  const dir = volumeBackupDir(ctx.dataDir, access.environment.id);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const binding = bindingOf({ workspace_id: access.workspace.id, environment_id: access.environment.id, volume: name, id });
  const gzip = { is: false };
  let written: { size: number; sha256: string };
  try {
    written = await writeBackupFile(ctx.keyring, join(dir, file), binding, (out) => checkedTar(tarBytes(capped(body, limits.maxBytes), gzip), out, limits, declaredLength ?? limits.maxBytes, gzip));
  } catch (error) {
    throw asUploadError(error);
  }
  const generation = declared.generation ?? 0;
  const row: VolumeBackupsTable = { id, workspace_id: access.workspace.id, environment_id: access.environment.id, volume: name, generation, size: written.size, sha256: written.sha256, release_number: null, trigger: 'upload', created_at: nowIso(), created_by: access.principal.userId, file };
  try {
    await ctx.db.transaction().execute(async (tx) => {
      await tx.insertInto('volume_backups').values(row).execute();
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'volume.upload', targetType: 'environment', target: where(access), details: { volume: name, backup: id, size: written.size, sha256: written.sha256, gzip: gzip.is } });
    });
  } catch (error) {
    await rm(join(dir, file), { force: true });
    throw error;
  }
  // Counted like every other backup by the server's --keep-backups: the newest N stay, this one among them.
  if (ctx.keepBackups) await pruneVolumeBackups(ctx, access, name, ctx.keepBackups).catch(() => undefined);
  announceVolume(access, name, 'backed-up');
  return toVolumeBackupInfo(access, row, await emailOf(ctx.db, access.principal.userId));
}
