/**
 * Seeds an application with many sites straight into the store (for the store tests and the
 * planning benchmark, where creating 10,000 sites through the API would measure the API): each
 * site an environment of kind `site` with a label set and one succeeded release of `version`.
 */
import { newId } from '../../platform/ids.js';
import { nowIso } from '../../platform/time.js';
import type { ApplicationsTable, Db, EnvironmentsTable, ReleasesTable, SitesTable } from '../../store/schema.js';

export interface SeedOptions {
  count: number;
  version: string;
  digest: string;
  /** Labels of the i-th site. */
  labels?: (i: number) => Record<string, string>;
  name?: (i: number) => string;
}

export async function seedSites(db: Db, app: ApplicationsTable, o: SeedOptions): Promise<void> {
  const now = nowIso();
  const envs: EnvironmentsTable[] = [];
  const sites: SitesTable[] = [];
  const releases: ReleasesTable[] = [];
  for (let i = 0; i < o.count; i += 1) {
    const id = newId('env');
    const name = o.name?.(i) ?? `site-${String(i).padStart(5, '0')}`;
    envs.push({ id, project_id: app.project_id, name, kind: 'site', created_at: now });
    sites.push({ environment_id: id, application_id: app.id, workspace_id: app.workspace_id, name, labels: JSON.stringify(o.labels?.(i) ?? {}), channel: 'stable', policy: 'manual', maintenance_window: null, created_at: now, created_by: null });
    releases.push({ id: newId('rel'), workspace_id: app.workspace_id, project_id: app.project_id, environment_id: id, number: 1, image_digest: o.digest, version_tag: o.version, config_version: 0, secret_versions: '{}', service_credentials: '{}', volumes: '[]', status: 'succeeded', trigger: 'deploy', actor_user_id: null, actor_token_id: null, created_at: now, started_at: now, finished_at: now, message: null });
  }
  await db.transaction().execute(async (tx) => {
    for (let i = 0; i < o.count; i += 500) {
      await tx.insertInto('environments').values(envs.slice(i, i + 500)).execute();
      await tx.insertInto('sites').values(sites.slice(i, i + 500)).execute();
      await tx.insertInto('releases').values(releases.slice(i, i + 500)).execute();
    }
  });
}

/** An application row of `projectId` with versions `tags` (fake digests), stored. */
export async function seedApplication(db: Db, workspaceId: string, projectId: string, name: string, tags: string[]): Promise<ApplicationsTable> {
  const app: ApplicationsTable = { id: newId('app'), workspace_id: workspaceId, name, project_id: projectId, source: 'project', upstream: null, poll_seconds: null, last_polled_at: null, last_error: null, created_at: nowIso(), created_by: null, notify_url: null, notify_secret_envelope: null, continuous_options: null };
  await db.insertInto('applications').values(app).execute();
  if (tags.length > 0) await db.insertInto('application_versions').values(tags.map((tag, i) => ({ application_id: app.id, tag, digest: `sha256:${String(i).padStart(64, '0')}`, discovered_at: nowIso() }))).execute();
  return app;
}
