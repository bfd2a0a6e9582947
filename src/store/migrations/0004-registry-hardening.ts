/**
 * Registry hardening: version tags the builder or an import wrote are remembered with the
 * digest they name, for as long as the repository lives, so no path (a registry PUT, a delete
 * and re-push, retention followed by a push) can make such a version name other content.
 * Versions built or imported before this migration are found through the audit log
 * (`image.build` / `image.import` name the repository, the version and the digest) and recorded
 * when their tag still names that digest. Never edit a released migration; add a new one.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('registry_immutable_tags')
    .addColumn('repository_id', 'text', (c) => c.notNull().references('registry_repositories.id'))
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registry_immutable_tags_pk', ['repository_id', 'tag'])
    .execute();

  const events = await sql<{ target: string; details: string }>`select target, details from audit_events where action in ('image.build', 'image.import')`.execute(db);
  for (const event of events.rows) {
    const colon = event.target.lastIndexOf(':');
    const digest = parseDigest(event.details);
    if (colon <= 0 || !digest) continue;
    const [name, tag] = [event.target.slice(0, colon), event.target.slice(colon + 1)];
    await sql`insert into registry_immutable_tags (repository_id, tag, digest, created_at)
      select t.repository_id, t.tag, t.digest, t.created_at from registry_tags t join registry_repositories r on r.id = t.repository_id
      where r.name = ${name} and t.tag = ${tag} and t.digest = ${digest}
      on conflict (repository_id, tag) do nothing`.execute(db);
  }
}

function parseDigest(details: string): string | null {
  try {
    const digest = (JSON.parse(details) as { digest?: unknown }).digest;
    return typeof digest === 'string' ? digest : null;
  } catch {
    return null;
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('registry_immutable_tags').execute();
}
