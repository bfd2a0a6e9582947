/**
 * Committing an image buildah pushed to an OCI layout into the project's repository, under its
 * version tag, with the rules of `slipway build`: a version tag that already names other content
 * is SLW_VERSION_EXISTS and nothing is stored; the same image again stores nothing new.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { RegistryError } from '../registry/errors.js';
import { linkFrom, statBlob, storeOwnBlob } from '../registry/blobs.js';
import { immutableTagDigest, putManifest } from '../registry/manifests.js';
import type { Registry } from '../registry/registry.js';
import type { Repository } from '../registry/repositories.js';
import type { Db } from '../store/schema.js';
import type { BuildahImage } from './buildah.js';

export function versionExists(repo: Repository, version: string, digest: string): SlipwayError {
  return new SlipwayError('SLW_VERSION_EXISTS', `version ${version} of ${repo.name} already names another image (${digest}); versions are immutable: tag the commit with a new version, or build another commit`);
}

/** Stores the image's blobs and manifest in `repo` under `version`; returns how many blobs were new to the repository. */
export async function storeBuiltImage(db: Db, registry: Registry, repo: Repository, version: string, image: BuildahImage): Promise<{ newBlobs: number; size: number }> {
  const existing = await db.selectFrom('registry_tags').select('digest').where('repository_id', '=', repo.id).where('tag', '=', version).executeTakeFirst();
  const fixed = existing?.digest ?? (await immutableTagDigest(db, repo, version));
  if (fixed !== null && fixed !== image.digest) throw versionExists(repo, version, fixed);
  let newBlobs = 0;
  for (const layer of image.linked) {
    if ((await statBlob(db, repo, layer.digest)) !== null) continue;
    if (layer.source.id !== repo.id) await linkFrom(db, layer.source, repo, [layer.digest]);
    newBlobs += 1;
  }
  for (const blob of image.blobs) {
    const linked = (await statBlob(db, repo, blob.digest)) !== null;
    await storeOwnBlob(registry.store, repo, { digest: blob.digest, size: blob.size, file: blob.file });
    if (!linked) newBlobs += 1;
  }
  const manifestKnown = await db.selectFrom('registry_manifests').select('digest').where('repository_id', '=', repo.id).where('digest', '=', image.digest).executeTakeFirst();
  try {
    await putManifest(registry.store, repo, version, image.mediaType, image.manifest, { immutableTag: true });
  } catch (error) {
    if (error instanceof RegistryError && error.code === 'TAG_IMMUTABLE') throw versionExists(repo, version, String((error.detail as { digest?: string }).digest ?? ''));
    throw error;
  }
  if (!manifestKnown) newBlobs += 1;
  return { newBlobs, size: image.manifest.length + image.blobs.reduce((n, b) => n + b.size, 0) };
}
