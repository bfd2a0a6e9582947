/**
 * Images of a project as people think of them: versions, digests, sizes, tags, and which
 * environments run them; and the project's registry policy (retention, protected tags).
 *
 * @module
 */
import { isVersionTag } from '../core/retention.js';
import { SlipwayError } from '../core/errors.js';
import type { Executor } from '../store/schema.js';
import type { Repository } from './repositories.js';

export interface ImageInfo {
  digest: string;
  mediaType: string;
  /** The manifest plus every blob it names, in bytes. */
  size: number;
  version: string | null;
  tags: string[];
  artifactDigest: string | null;
  createdAt: string;
  environments: string[];
}

/** Tagged images of a repository, newest first. `running` maps digest → environments. */
export async function listImages(db: Executor, repo: Repository, running: Map<string, string[]>): Promise<ImageInfo[]> {
  const tags = await db.selectFrom('registry_tags').select(['tag', 'digest', 'created_at']).where('repository_id', '=', repo.id).execute();
  const manifests = await db.selectFrom('registry_manifests').selectAll().where('repository_id', '=', repo.id).execute();
  const byDigest = new Map(manifests.map((m) => [m.digest, m]));
  const images = new Map<string, ImageInfo>();
  for (const t of tags.sort((a, b) => (a.created_at < b.created_at ? -1 : 1))) {
    const m = byDigest.get(t.digest);
    if (!m) continue;
    const image = images.get(t.digest) ?? {
      digest: m.digest,
      mediaType: m.media_type,
      size: Number(m.total_size),
      version: null,
      tags: [],
      artifactDigest: null,
      createdAt: t.created_at,
      environments: running.get(m.digest) ?? [],
    };
    image.tags.push(t.tag);
    if (isVersionTag(t.tag)) image.version = t.tag;
    else if (t.tag.startsWith('src-')) image.artifactDigest = t.tag;
    if (t.created_at > image.createdAt) image.createdAt = t.created_at;
    images.set(t.digest, image);
  }
  // Images that no tag names any more but an environment still runs.
  for (const [digest, environments] of running) {
    const m = byDigest.get(digest);
    if (m && !images.has(digest)) images.set(digest, { digest, mediaType: m.media_type, size: Number(m.total_size), version: null, tags: [], artifactDigest: null, createdAt: m.created_at, environments });
  }
  return [...images.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

export interface RegistryPolicy {
  keepVersions: number;
  protectedTags: string[];
}

/** Changes a repository's retention and tag protection. */
export async function setPolicy(db: Executor, repo: Repository, change: Partial<RegistryPolicy>): Promise<RegistryPolicy> {
  const next: RegistryPolicy = { keepVersions: change.keepVersions ?? repo.keepVersions, protectedTags: change.protectedTags ?? repo.protectedTags };
  if (!Number.isSafeInteger(next.keepVersions) || next.keepVersions < 1 || next.keepVersions > 10_000) {
    throw new SlipwayError('SLW_VALIDATION', `keep-versions must be a whole number from 1 to 10000 (got ${next.keepVersions})`);
  }
  await db.updateTable('registry_repositories').set({ keep_versions: next.keepVersions, protected_tags: JSON.stringify(next.protectedTags) }).where('id', '=', repo.id).execute();
  return next;
}
