/**
 * The registry's metadata: repositories (one per project), the content-addressed blob index,
 * which repository may read which blob, manifests and what they refer to, tags, upload sessions,
 * per-project retention policy, base-image cache and registry credentials.
 *
 * Blob bytes live on the filesystem (see src/registry/blob-store.ts); this is the index GC and
 * access checks read. Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('registry_repositories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('project_id', 'text', (c) => c.notNull().unique().references('projects.id'))
    .addColumn('keep_versions', 'integer', (c) => c.notNull().defaultTo(20))
    .addColumn('protected_tags', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('registry_blobs')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('registry_repo_blobs')
    .addColumn('repository_id', 'text', (c) => c.notNull().references('registry_repositories.id'))
    .addColumn('digest', 'text', (c) => c.notNull().references('registry_blobs.digest'))
    .addColumn('linked_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_repo_blobs_pk', ['repository_id', 'digest'])
    .execute();
  await db.schema.createIndex('registry_repo_blobs_digest').on('registry_repo_blobs').column('digest').execute();

  await db.schema
    .createTable('registry_manifests')
    .addColumn('repository_id', 'text', (c) => c.notNull().references('registry_repositories.id'))
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('total_size', 'bigint', (c) => c.notNull())
    .addColumn('artifact_type', 'text')
    .addColumn('subject_digest', 'text')
    .addColumn('annotations', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_manifests_pk', ['repository_id', 'digest'])
    .execute();
  await db.schema.createIndex('registry_manifests_subject').on('registry_manifests').columns(['repository_id', 'subject_digest']).execute();

  await db.schema
    .createTable('registry_manifest_refs')
    .addColumn('repository_id', 'text', (c) => c.notNull())
    .addColumn('manifest_digest', 'text', (c) => c.notNull())
    .addColumn('child_digest', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_manifest_refs_pk', ['repository_id', 'manifest_digest', 'child_digest'])
    .execute();
  await db.schema.createIndex('registry_manifest_refs_child').on('registry_manifest_refs').columns(['child_digest']).execute();

  await db.schema
    .createTable('registry_tags')
    .addColumn('repository_id', 'text', (c) => c.notNull().references('registry_repositories.id'))
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_tags_pk', ['repository_id', 'tag'])
    .execute();

  await db.schema
    .createTable('registry_uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('repository_id', 'text', (c) => c.notNull().references('registry_repositories.id'))
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('registry_credentials')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('envelope', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('registry_credentials_host', ['workspace_id', 'host'])
    .execute();

  await db.schema
    .createTable('registry_base_cache')
    .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id'))
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('manifest_digest', 'text', (c) => c.notNull())
    .addColumn('repository_id', 'text', (c) => c.notNull())
    .addColumn('fetched_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_base_cache_pk', ['workspace_id', 'reference'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['registry_base_cache', 'registry_credentials', 'registry_uploads', 'registry_tags', 'registry_manifest_refs', 'registry_manifests', 'registry_repo_blobs', 'registry_blobs', 'registry_repositories']) {
    await db.schema.dropTable(table).execute();
  }
}
