/**
 * Blobs in repositories: stat, link, mount, and upload sessions (monolithic, streamed, chunked).
 * A blob is visible in a repository only through a link row, written after its bytes were
 * verified and committed, so a half-uploaded blob is never visible anywhere.
 *
 * @module
 */
import type { Readable } from 'node:stream';
import { isDigest, isForeignDigest } from '../core/oci.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { Db, Executor } from '../store/schema.js';
import { BlobTooLargeError, ConcurrentAppendError, type BlobStore } from './blob-store.js';
import { RegistryError } from './errors.js';
import type { Repository } from './repositories.js';

export interface RegistryStore {
  db: Db;
  blobs: BlobStore;
}

/** Size of a blob the repository may read, or null. */
export async function statBlob(db: Executor, repo: Repository, digest: string): Promise<number | null> {
  const row = await db
    .selectFrom('registry_repo_blobs as l')
    .innerJoin('registry_blobs as b', 'b.digest', 'l.digest')
    .select('b.size')
    .where('l.repository_id', '=', repo.id)
    .where('l.digest', '=', digest)
    .executeTakeFirst();
  return row ? Number(row.size) : null;
}

export function assertDigest(digest: string): void {
  if (isDigest(digest)) return;
  if (isForeignDigest(digest)) throw new RegistryError('UNSUPPORTED', `digest algorithm of ${digest} is not supported; use sha256`);
  throw new RegistryError('DIGEST_INVALID', `${JSON.stringify(digest)} is not a sha256 digest (sha256:<64 hex>)`);
}

/** Records a committed blob and links it into a repository (idempotent). */
export async function linkBlob(db: Executor, repo: Repository, digest: string, size: number): Promise<void> {
  const at = nowIso();
  await db.insertInto('registry_blobs').values({ digest, size, created_at: at }).onConflict((oc) => oc.column('digest').doNothing()).execute();
  await db.insertInto('registry_repo_blobs').values({ repository_id: repo.id, digest, linked_at: at }).onConflict((oc) => oc.columns(['repository_id', 'digest']).doUpdateSet({ linked_at: at })).execute();
}

/** Mounts a blob from `from` into `repo` when `from` holds it; false otherwise. */
export async function mountBlob(db: Executor, from: Repository, repo: Repository, digest: string): Promise<boolean> {
  const size = await statBlob(db, from, digest);
  if (size === null) return false;
  await linkBlob(db, repo, digest, size);
  return true;
}

/** Limits on upload sessions (see RegistryLimits). */
export interface UploadLimits {
  maxBlobBytes: number;
  uploadIdleMs: number;
  maxUploadSessions: number;
}

/**
 * Starts an upload session. With `limits` (registry clients' uploads), refuses when the
 * repository's workspace already has `maxUploadSessions` open (idle ones, about to expire, do
 * not count): TOOMANYREQUESTS. Two sessions started at the same instant may both pass the
 * count, so the cap can be passed by a few, never by many. The server's own copies (imports,
 * base images) pass no limits.
 */
export async function startUpload(store: RegistryStore, repo: Repository, limits?: UploadLimits): Promise<string> {
  if (limits) await assertUploadSlot(store, repo, limits);
  const id = newId('upl').slice(4).replace('_', '-');
  await store.blobs.startUpload(id);
  const at = nowIso();
  await store.db.insertInto('registry_uploads').values({ id, repository_id: repo.id, size: 0, started_at: at, updated_at: at }).execute();
  return id;
}

async function assertUploadSlot(store: RegistryStore, repo: Repository, limits: UploadLimits): Promise<void> {
  const active = new Date(Date.now() - limits.uploadIdleMs).toISOString();
  const open = await store.db
    .selectFrom('registry_uploads as u')
    .innerJoin('registry_repositories as r', 'r.id', 'u.repository_id')
    .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
    .where('r.workspace_id', '=', repo.workspaceId)
    .where('u.updated_at', '>=', active)
    .executeTakeFirstOrThrow();
  if (Number(open.n) >= limits.maxUploadSessions) {
    throw new RegistryError('TOOMANYREQUESTS', `this workspace already has ${limits.maxUploadSessions} upload sessions open (the server's --max-upload-sessions); finish or cancel some, idle ones expire after ${Math.round(limits.uploadIdleMs / 1000)} s`);
  }
}

/** The upload session `id` of `repo`, or BLOB_UPLOAD_UNKNOWN (also when it sat idle too long: it is cancelled). */
export async function findUpload(store: RegistryStore, repo: Repository, id: string, limits: UploadLimits): Promise<{ id: string; size: number }> {
  const row = /^[0-9a-f-]{1,64}$/.test(id) ? await store.db.selectFrom('registry_uploads').select(['id', 'size', 'updated_at']).where('id', '=', id).where('repository_id', '=', repo.id).executeTakeFirst() : undefined;
  const unknown = () => new RegistryError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown in ${repo.name} (finished, cancelled or expired); start a new one`);
  if (!row) throw unknown();
  if (Date.parse(row.updated_at) < Date.now() - limits.uploadIdleMs && !store.blobs.isReceiving(row.id)) {
    await cancelUpload(store, row.id);
    throw unknown();
  }
  return { id: row.id, size: Number(row.size) };
}

/**
 * Cancels upload sessions that received nothing for `idleMs` (except one receiving a chunk
 * right now); returns how many.
 */
export async function expireIdleUploads(store: RegistryStore, idleMs: number, nowMs = Date.now()): Promise<number> {
  const cutoff = new Date(nowMs - idleMs).toISOString();
  const idle = await store.db.selectFrom('registry_uploads').select('id').where('updated_at', '<', cutoff).execute();
  let expired = 0;
  for (const { id } of idle) {
    if (store.blobs.isReceiving(id)) continue;
    await cancelUpload(store, id);
    expired += 1;
  }
  return expired;
}

/**
 * Appends a chunk. With `range`, the chunk must start where the upload ends (else 416, the
 * upload unchanged); without, it is a streamed chunk and simply appended.
 */
export async function appendUpload(store: RegistryStore, upload: { id: string; size: number }, body: Readable, range: { start: number; end: number } | null, contentLength: number | undefined, maxBlobBytes = Number.POSITIVE_INFINITY): Promise<number> {
  const current = await store.blobs.uploadSize(upload.id);
  if (current + (contentLength ?? 0) > maxBlobBytes) throw blobTooLarge(maxBlobBytes);
  // Receiving a chunk is activity: a long one is not expired while it streams.
  await store.db.updateTable('registry_uploads').set({ updated_at: nowIso() }).where('id', '=', upload.id).execute();
  let expected = contentLength;
  if (range) {
    if (range.start !== current) throw new RegistryError('RANGE_INVALID', `chunk starts at ${range.start} but the upload holds ${current} bytes; send the chunk starting at ${current}`, { size: current });
    const length = range.end - range.start + 1;
    if (contentLength !== undefined && contentLength !== length) throw new RegistryError('RANGE_INVALID', `Content-Range covers ${length} bytes but Content-Length is ${contentLength}`, { size: current });
    expected = length;
  }
  let size: number;
  try {
    size = await store.blobs.append(upload.id, body, expected, maxBlobBytes);
  } catch (error) {
    if (error instanceof BlobTooLargeError) throw blobTooLarge(maxBlobBytes);
    if (error instanceof RangeError) throw new RegistryError('SIZE_INVALID', error.message);
    if (error instanceof ConcurrentAppendError) throw new RegistryError('RANGE_INVALID', error.message, { size: current });
    throw error;
  }
  await store.db.updateTable('registry_uploads').set({ size, updated_at: nowIso() }).where('id', '=', upload.id).execute();
  return size;
}

/** Closes an upload: verifies the digest, commits the bytes, links the blob. */
export async function finishUpload(store: RegistryStore, repo: Repository, upload: { id: string }, digest: string): Promise<number> {
  assertDigest(digest);
  const actual = await store.blobs.uploadDigest(upload.id);
  if (actual !== digest) {
    // The session ends either way: a client retries with a new upload.
    await cancelUpload(store, upload.id);
    throw new RegistryError('DIGEST_INVALID', `uploaded content has digest ${actual}, not ${digest}; nothing was stored`);
  }
  return store.blobs.withDigestLock(digest, async () => {
    let size: number;
    try {
      size = await store.blobs.commit(upload.id, digest);
    } catch (error) {
      if (error instanceof ConcurrentAppendError) throw new RegistryError('BLOB_UPLOAD_INVALID', error.message);
      throw error;
    }
    await store.db.transaction().execute(async (tx) => {
      await linkBlob(tx, repo, digest, size);
      await tx.deleteFrom('registry_uploads').where('id', '=', upload.id).execute();
    });
    return size;
  });
}

function blobTooLarge(limit: number): RegistryError {
  return new RegistryError('SIZE_INVALID', `blob is larger than the ${limit} bytes this registry accepts (the server's --max-blob-size); nothing of this chunk was stored`, { limit }, 413);
}

export async function cancelUpload(store: RegistryStore, id: string): Promise<void> {
  await store.db.deleteFrom('registry_uploads').where('id', '=', id).execute();
  await store.blobs.cancelUpload(id);
}

/** Unlinks a blob from a repository (the bytes go at the next GC if nothing else holds them). */
export async function deleteBlob(db: Executor, repo: Repository, digest: string): Promise<void> {
  const result = await db.deleteFrom('registry_repo_blobs').where('repository_id', '=', repo.id).where('digest', '=', digest).executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not in ${repo.name}`);
}

/**
 * Stores a blob the server wrote itself (a built layer file, a config) and links it into `repo`.
 * Returns true when the bytes were new to the content store, false when they were already there.
 */
export async function storeOwnBlob(store: RegistryStore, repo: Repository, blob: { digest: string; size: number } & ({ file: string } | { bytes: Buffer })): Promise<boolean> {
  return store.blobs.withDigestLock(blob.digest, async () => {
    const known = await store.db.selectFrom('registry_blobs').select('digest').where('digest', '=', blob.digest).executeTakeFirst();
    const onDisk = (await store.blobs.size(blob.digest)) === blob.size;
    if ('file' in blob) await store.blobs.adoptFile(blob.digest, blob.file);
    else await store.blobs.putBytes(blob.digest, blob.bytes, `own-${newId('upl').slice(4)}`);
    await linkBlob(store.db, repo, blob.digest, blob.size);
    return !(known && onDisk);
  });
}

/** Links blobs `from` holds into `repo` (a base image's layers into the project repository). */
export async function linkFrom(db: Executor, from: Repository, repo: Repository, digests: string[]): Promise<void> {
  for (const digest of digests) {
    if (!(await mountBlob(db, from, repo, digest))) throw new RegistryError('BLOB_UNKNOWN', `blob ${digest} is not in ${from.name}`);
  }
}
