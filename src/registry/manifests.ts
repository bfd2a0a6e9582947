/**
 * Manifests and tags: put (verified against what the repository holds), get, delete, tag
 * listing with pagination, and the referrers index.
 *
 * A manifest's bytes are stored exactly as pushed, as a blob in the content store; its row says
 * what it refers to so deletion, retention and GC need not re-parse it.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { isProtectedTag } from '../core/retention.js';
import { ManifestError, isDigest, isTag, mediaTypes, parseManifest, type Descriptor } from '../core/oci.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { Executor } from '../store/schema.js';
import { assertDigest, linkBlob, statBlob, type RegistryStore } from './blobs.js';
import { RegistryError } from './errors.js';
import type { Repository } from './repositories.js';

/** Largest manifest accepted (the spec asks for at least 4 MB). */
export const maxManifestBytes = 8 * 1024 * 1024;

export interface StoredManifest {
  digest: string;
  mediaType: string;
  size: number;
}

export interface PutManifestOptions {
  /**
   * The tag is a version the builder or an import writes: it is recorded as immutable, and from
   * then on names this digest for good, whatever path tries to move it.
   */
  immutableTag?: boolean;
  /** The builder's write of a content tag (`src-…`), which only the builder may move. */
  contentTag?: boolean;
  /**
   * Makes the repository's row when `repo` has none yet (a project's first push), called only
   * once the manifest passed every check: a refused push stores nothing.
   */
  ensureRepository?: () => Promise<Repository>;
}

/** A content tag (`src-<12 hex>`): the builder's name for the newest build of an artifact. */
const contentTagPattern = /^src-[0-9a-f]{12}$/;

/** The digest a version tag was made immutable with, or null when the tag is not one. */
export async function immutableTagDigest(db: Executor, repo: Repository, tag: string): Promise<string | null> {
  const row = await db.selectFrom('registry_immutable_tags').select('digest').where('repository_id', '=', repo.id).where('tag', '=', tag).executeTakeFirst();
  return row?.digest ?? null;
}

function versionImmutable(repo: Repository, tag: string, digest: string): RegistryError {
  return new RegistryError('TAG_IMMUTABLE', `tag ${tag} of ${repo.name} is a version and names ${digest}; versions are immutable: push a new version (a new tag) instead`, { tag, digest });
}

/** Stores a manifest under a tag or its digest. */
export async function putManifest(store: RegistryStore, found: Repository, reference: string, contentType: string | undefined, bytes: Buffer, options: PutManifestOptions = {}): Promise<StoredManifest & { subject?: string }> {
  let repo = found;
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const byDigest = reference.includes(':');
  if (byDigest) {
    assertDigest(reference);
    if (reference !== digest) throw new RegistryError('DIGEST_INVALID', `manifest content has digest ${digest}, not ${reference}`);
  } else if (!isTag(reference)) {
    throw new RegistryError('MANIFEST_INVALID', `${JSON.stringify(reference)} is not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127})`);
  }
  let info;
  try {
    info = parseManifest(bytes, contentType);
  } catch (error) {
    if (error instanceof ManifestError) throw new RegistryError('MANIFEST_INVALID', error.message);
    throw error;
  }
  let total = bytes.length;
  for (const blob of info.blobs) {
    const size = isDigest(blob.digest) ? await statBlob(store.db, repo, blob.digest) : null;
    if (size === null) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `manifest names blob ${blob.digest}, which ${repo.name} does not hold; push the blob first`, { digest: blob.digest });
    if (size !== blob.size) throw new RegistryError('MANIFEST_INVALID', `manifest says blob ${blob.digest} has ${blob.size} bytes; it has ${size}`);
    total += size;
  }
  for (const child of info.manifests) {
    const row = await findManifest(store.db, repo, child.digest);
    if (!row) throw new RegistryError('MANIFEST_BLOB_UNKNOWN', `index names manifest ${child.digest}, which ${repo.name} does not hold; push it first`, { digest: child.digest });
  }
  if (!byDigest) await assertTagMovable(store.db, repo, reference, digest, options);
  if (repo.id === '') {
    if (!options.ensureRepository) throw new Error(`putManifest: repository ${repo.name} has no row and no way to make one`);
    repo = await options.ensureRepository();
  }

  const at = nowIso();
  await store.blobs.withDigestLock(digest, async () => {
    await store.blobs.putBytes(digest, bytes, `m-${newId('upl').slice(4)}`);
    await store.db.transaction().execute(async (tx) => {
      await linkBlob(tx, repo, digest, bytes.length);
      await tx
        .insertInto('registry_manifests')
        .values({
          repository_id: repo.id,
          digest,
          media_type: info.mediaType,
          size: bytes.length,
          total_size: total,
          artifact_type: info.artifactType ?? info.configMediaType ?? null,
          subject_digest: info.subject?.digest ?? null,
          annotations: info.annotations ? JSON.stringify(info.annotations) : null,
          created_at: at,
        })
        .onConflict((oc) => oc.columns(['repository_id', 'digest']).doNothing())
        .execute();
      const refs = [...info.blobs.map((d) => ({ d, kind: 'blob' })), ...info.manifests.map((d) => ({ d, kind: 'manifest' }))];
      for (const { d, kind } of refs) {
        await tx.insertInto('registry_manifest_refs').values({ repository_id: repo.id, manifest_digest: digest, child_digest: d.digest, kind }).onConflict((oc) => oc.columns(['repository_id', 'manifest_digest', 'child_digest']).doNothing()).execute();
      }
      if (!byDigest) {
        // Checked again inside the transaction: a build recording this version at the same
        // moment wins, and this write rolls back.
        if (options.immutableTag) await tx.insertInto('registry_immutable_tags').values({ repository_id: repo.id, tag: reference, digest, created_at: at }).onConflict((oc) => oc.columns(['repository_id', 'tag']).doNothing()).execute();
        const fixed = await immutableTagDigest(tx, repo, reference);
        if (fixed !== null && fixed !== digest) throw versionImmutable(repo, reference, fixed);
        await tx
          .insertInto('registry_tags')
          .values({ repository_id: repo.id, tag: reference, digest, created_at: at, updated_at: at })
          .onConflict((oc) => oc.columns(['repository_id', 'tag']).doUpdateSet({ digest, updated_at: at }))
          .execute();
      }
    });
  });
  return { digest, mediaType: info.mediaType, size: bytes.length, ...(info.subject ? { subject: info.subject.digest } : {}) };
}

/**
 * Refuses to move a tag that may not move: a version the builder or an import made immutable
 * (even when its image was deleted since), a content tag (unless the builder moves it), a tag
 * a protection rule holds. Putting the same digest again is always fine.
 */
async function assertTagMovable(db: Executor, repo: Repository, tag: string, digest: string, options: PutManifestOptions): Promise<void> {
  const fixed = await immutableTagDigest(db, repo, tag);
  if (fixed !== null && fixed !== digest) throw versionImmutable(repo, tag, fixed);
  const current = await db.selectFrom('registry_tags').select('digest').where('repository_id', '=', repo.id).where('tag', '=', tag).executeTakeFirst();
  if (!current || current.digest === digest) return;
  if (options.immutableTag) throw versionImmutable(repo, tag, current.digest);
  if (contentTagPattern.test(tag) && !options.contentTag) throw new RegistryError('TAG_IMMUTABLE', `tag ${tag} of ${repo.name} is a content tag the builder keeps (it names ${current.digest}); registry clients cannot move it (it is immutable to them): push under another tag`, { tag, digest: current.digest });
  if (isProtectedTag(repo.protectedTags, tag)) throw new RegistryError('TAG_IMMUTABLE', `tag ${tag} of ${repo.name} is protected by a tag-immutability rule and cannot be moved`, { tag });
}

async function findManifest(db: Executor, repo: Repository, digest: string) {
  return db.selectFrom('registry_manifests').selectAll().where('repository_id', '=', repo.id).where('digest', '=', digest).executeTakeFirst();
}

/** Resolves a tag or digest to a stored manifest, or MANIFEST_UNKNOWN. */
export async function resolveManifest(db: Executor, repo: Repository, reference: string): Promise<StoredManifest> {
  let digest = reference;
  if (!reference.includes(':')) {
    if (!isTag(reference)) throw new RegistryError('MANIFEST_INVALID', `${JSON.stringify(reference)} is not a valid tag`);
    const tag = await db.selectFrom('registry_tags').select('digest').where('repository_id', '=', repo.id).where('tag', '=', reference).executeTakeFirst();
    if (!tag) throw new RegistryError('MANIFEST_UNKNOWN', `${repo.name} has no tag ${reference}`);
    digest = tag.digest;
  } else {
    assertDigest(reference);
  }
  const row = await findManifest(db, repo, digest);
  if (!row) throw new RegistryError('MANIFEST_UNKNOWN', `${repo.name} has no manifest ${digest}`);
  return { digest: row.digest, mediaType: row.media_type, size: Number(row.size) };
}

/** Deletes a tag (reference is a tag) or a manifest and every tag naming it (a digest). */
export async function deleteManifest(db: Executor, repo: Repository, reference: string): Promise<void> {
  if (!reference.includes(':')) {
    const fixed = await immutableTagDigest(db, repo, reference);
    if (fixed !== null) throw new RegistryError('TAG_IMMUTABLE', `tag ${reference} of ${repo.name} is a version and names ${fixed}; versions are immutable: a version goes only with its image (delete it by digest, or let retention remove it)`, { tag: reference, digest: fixed });
    if (isProtectedTag(repo.protectedTags, reference)) throw new RegistryError('DENIED', `tag ${reference} of ${repo.name} is protected by a tag-immutability rule and cannot be deleted`);
    const result = await db.deleteFrom('registry_tags').where('repository_id', '=', repo.id).where('tag', '=', reference).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw new RegistryError('MANIFEST_UNKNOWN', `${repo.name} has no tag ${reference}`);
    return;
  }
  const manifest = await resolveManifest(db, repo, reference);
  const tags = await db.selectFrom('registry_tags').select('tag').where('repository_id', '=', repo.id).where('digest', '=', manifest.digest).execute();
  const held = tags.find((t) => isProtectedTag(repo.protectedTags, t.tag));
  if (held) throw new RegistryError('DENIED', `manifest ${manifest.digest} carries tag ${held.tag}, protected by a tag-immutability rule`);
  await removeManifest(db, repo, manifest.digest);
}

/** Removes a manifest, its tags and its reference rows (blobs stay linked until GC). */
export async function removeManifest(db: Executor, repo: Repository, digest: string): Promise<void> {
  await db.deleteFrom('registry_tags').where('repository_id', '=', repo.id).where('digest', '=', digest).execute();
  await db.deleteFrom('registry_manifest_refs').where('repository_id', '=', repo.id).where('manifest_digest', '=', digest).execute();
  await db.deleteFrom('registry_manifests').where('repository_id', '=', repo.id).where('digest', '=', digest).execute();
  await db.deleteFrom('registry_repo_blobs').where('repository_id', '=', repo.id).where('digest', '=', digest).execute();
}

/** Tags in code-point order, from after `last`, at most `n` (undefined: all). */
export async function listTags(db: Executor, repo: Repository, n: number | undefined, last: string | undefined): Promise<{ tags: string[]; more: boolean }> {
  const rows = await db.selectFrom('registry_tags').select('tag').where('repository_id', '=', repo.id).execute();
  // Sorted and cut after `last` here, not in SQL: collations differ between engines and the spec
  // wants one order; and `last` is any text the client sent (a NUL would fail on PostgreSQL).
  const all = rows
    .map((r) => r.tag)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .filter((t) => last === undefined || t > last);
  if (n === undefined) return { tags: all, more: false };
  return { tags: all.slice(0, n), more: all.length > n };
}

/** The referrers index of `subject`: manifests in the repository whose subject it is. */
export async function referrers(db: Executor, repo: Repository, subject: string, artifactType: string | undefined) {
  // The artifactType filter applies here, not in SQL: it is any text the client sent.
  const all = await db.selectFrom('registry_manifests').selectAll().where('repository_id', '=', repo.id).where('subject_digest', '=', subject).orderBy('digest').execute();
  const rows = artifactType === undefined ? all : all.filter((r) => r.artifact_type === artifactType);
  const manifests: Descriptor[] = rows.map((r) => ({
    mediaType: r.media_type,
    digest: r.digest,
    size: Number(r.size),
    ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
    ...(r.annotations ? { annotations: JSON.parse(r.annotations) as Record<string, string> } : {}),
  }));
  return { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests };
}
