/**
 * Retention and online garbage collection.
 *
 * 1. Retention, per repository: the policy "keep the newest N versions" (core/retention.ts)
 *    untags and deletes older images, never one a release can roll back to (the `inUse` port,
 *    filled from the releases by the caller) nor one a protected tag holds. Referrers of a
 *    deleted image (signatures, SBOMs) go with it.
 * 2. Link sweep: a repository's link to a blob no manifest there names, older than the grace
 *    period, is removed (a blob pushed just now, whose manifest is still on its way, stays).
 * 3. Blob sweep: a blob no repository links, older than the grace period, is deleted from disk.
 * 4. Abandoned upload sessions older than a day are cancelled.
 *
 * A dry run runs the very same steps inside a database transaction that is rolled back, and
 * deletes no file, so its report is exactly what a real run would do at that moment.
 *
 * @module
 */
import { planRetention, type TaggedImage } from '../core/retention.js';
import type { Executor } from '../store/schema.js';
import type { RegistryStore } from './blobs.js';
import { removeManifest } from './manifests.js';
import type { Repository } from './repositories.js';

/** Digests of a project that a release can still roll back to (the deploy engine's port). */
export type InUse = (projectId: string) => Promise<ReadonlySet<string>>;

export interface GcOptions {
  dryRun: boolean;
  /** Blobs and links younger than this are never collected. */
  graceMs: number;
  /** Upload sessions idle longer than this are cancelled. */
  uploadExpiryMs?: number;
  /** Only these repositories' retention runs (the blob sweep is always global). */
  repositoryIds?: string[];
  now?: number;
}

export interface GcReport {
  dryRun: boolean;
  images: { repository: string; digest: string; tags: string[] }[];
  kept: { repository: string; digest: string; reason: string }[];
  links: number;
  blobs: { count: number; bytes: number };
  uploads: number;
}

class DryRunRollback extends Error {}

export async function collectGarbage(store: RegistryStore, inUse: InUse, options: GcOptions): Promise<GcReport> {
  // Read outside any transaction: on SQLite a query on another connection would wait for it.
  const held = new Map<string, ReadonlySet<string>>();
  for (const repo of await store.db.selectFrom('registry_repositories').select('project_id').execute()) held.set(repo.project_id, await inUse(repo.project_id));
  if (!options.dryRun) return sweep(store, store.db, held, options);
  let report: GcReport | undefined;
  try {
    await store.db.transaction().execute(async (tx) => {
      report = await sweep(store, tx, held, options);
      throw new DryRunRollback();
    });
  } catch (error) {
    if (!(error instanceof DryRunRollback)) throw error;
  }
  return report!;
}

async function sweep(store: RegistryStore, db: Executor, held: ReadonlyMap<string, ReadonlySet<string>>, options: GcOptions): Promise<GcReport> {
  const now = options.now ?? Date.now();
  const cutoff = new Date(now - options.graceMs).toISOString();
  const report: GcReport = { dryRun: options.dryRun, images: [], kept: [], links: 0, blobs: { count: 0, bytes: 0 }, uploads: 0 };

  let repos = await db.selectFrom('registry_repositories').selectAll().execute();
  if (options.repositoryIds) repos = repos.filter((r) => options.repositoryIds!.includes(r.id));
  for (const row of repos) {
    const repo: Repository = { id: row.id, name: row.name, workspaceId: row.workspace_id, projectId: row.project_id, keepVersions: row.keep_versions, protectedTags: JSON.parse(row.protected_tags) as string[] };
    const plan = planRetention({ images: await taggedImages(db, repo.id), keep: repo.keepVersions, inUse: held.get(repo.projectId) ?? new Set(), protectedTags: repo.protectedTags });
    for (const k of plan.kept) if (k.reason !== 'newest') report.kept.push({ repository: repo.name, ...k });
    for (const image of plan.removed) {
      report.images.push({ repository: repo.name, ...image });
      await removeWithReferrers(db, repo, image.digest);
    }
  }

  // Links no manifest of their repository names (manifests name themselves through their own link).
  const orphanLinks = await db
    .selectFrom('registry_repo_blobs as l')
    .select(['l.repository_id', 'l.digest'])
    .where('l.linked_at', '<', cutoff)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('registry_manifest_refs as r').select('r.child_digest').whereRef('r.repository_id', '=', 'l.repository_id').whereRef('r.child_digest', '=', 'l.digest'))),
    )
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('registry_manifests as m').select('m.digest').whereRef('m.repository_id', '=', 'l.repository_id').whereRef('m.digest', '=', 'l.digest'))),
    )
    .execute();
  for (const link of orphanLinks) {
    report.links += 1;
    await db.deleteFrom('registry_repo_blobs').where('repository_id', '=', link.repository_id).where('digest', '=', link.digest).where('linked_at', '<', cutoff).execute();
  }

  const candidates = await db
    .selectFrom('registry_blobs as b')
    .select(['b.digest', 'b.size'])
    .where('b.created_at', '<', cutoff)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('registry_repo_blobs as l').select('l.digest').whereRef('l.digest', '=', 'b.digest'))))
    .execute();
  for (const blob of candidates) {
    const deleted = await store.blobs.withDigestLock(blob.digest, async () => {
      const result = await db
        .deleteFrom('registry_blobs')
        .where('digest', '=', blob.digest)
        .where(({ not, exists, selectFrom }) => not(exists(selectFrom('registry_repo_blobs as l').select('l.digest').where('l.digest', '=', blob.digest))))
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      if (!options.dryRun) await store.blobs.deleteBlob(blob.digest);
      return true;
    });
    if (deleted) {
      report.blobs.count += 1;
      report.blobs.bytes += Number(blob.size);
    }
  }

  const expiry = new Date(now - (options.uploadExpiryMs ?? 24 * 3600_000)).toISOString();
  const stale = await db.selectFrom('registry_uploads').select('id').where('updated_at', '<', expiry).execute();
  report.uploads = stale.length;
  for (const upload of stale) {
    await db.deleteFrom('registry_uploads').where('id', '=', upload.id).execute();
    if (!options.dryRun) await store.blobs.cancelUpload(upload.id);
  }
  return report;
}

async function taggedImages(db: Executor, repositoryId: string): Promise<TaggedImage[]> {
  const tags = await db.selectFrom('registry_tags').select(['tag', 'digest', 'created_at']).where('repository_id', '=', repositoryId).execute();
  const byDigest = new Map<string, TaggedImage>();
  for (const t of tags) {
    const image = byDigest.get(t.digest) ?? { digest: t.digest, tags: [] };
    image.tags.push({ tag: t.tag, createdAt: t.created_at });
    byDigest.set(t.digest, image);
  }
  return [...byDigest.values()];
}

/** Removes an image, the referrers that point at it, and index children nothing else names. */
async function removeWithReferrers(db: Executor, repo: Repository, digest: string): Promise<void> {
  const referrers = await db.selectFrom('registry_manifests').select('digest').where('repository_id', '=', repo.id).where('subject_digest', '=', digest).execute();
  const children = await db.selectFrom('registry_manifest_refs').select('child_digest').where('repository_id', '=', repo.id).where('manifest_digest', '=', digest).where('kind', '=', 'manifest').execute();
  await removeManifest(db, repo, digest);
  for (const r of referrers) await removeWithReferrers(db, repo, r.digest);
  for (const c of children) {
    const named = await db.selectFrom('registry_manifest_refs').select('manifest_digest').where('repository_id', '=', repo.id).where('child_digest', '=', c.child_digest).executeTakeFirst();
    const tagged = await db.selectFrom('registry_tags').select('tag').where('repository_id', '=', repo.id).where('digest', '=', c.child_digest).executeTakeFirst();
    if (!named && !tagged) await removeWithReferrers(db, repo, c.child_digest);
  }
}
