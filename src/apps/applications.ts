/**
 * Applications: versioned products run for many customers ("operator mode"). An application is
 * backed by a project, whose repository holds its images (and whose environments will be its
 * sites): either a project of the workspace (`--from-project`: its semver tags are the versions)
 * or a project Slipway creates for an upstream repository in another registry, whose semver tags
 * are imported by digest as they appear (upstream.ts).
 *
 * Versions are semantic versions only (`1.4.2`, `v2.0.0-rc.1`); other tags (`git-3fa9c1e`,
 * `latest`) are builds, not versions. Each version keeps the digest it had when first seen.
 *
 * @module
 */
import { SlipwayError, notFound } from '../core/errors.js';
import { continuousOf, type ContinuousOptions } from '../core/continuous.js';
import { assertName } from '../core/names.js';
import { channelOf, classifyAll, isStable, latestOf, parseSemVer } from '../core/semver.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import { createProject, resolveProject } from '../projects/projects.js';
import { parseImageReference } from '../registry/client/index.js';
import type { ApplicationsTable, Db, Executor } from '../store/schema.js';
import { isUniqueViolation } from '../store/errors.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';
import { inTransaction } from './notifications.js';
import { notifyNewVersions } from './version-notices.js';

export interface Application {
  name: string;
  workspace: string;
  project: string;
  source: 'project' | 'upstream';
  upstream: string | null;
  pollSeconds: number | null;
  /** The highest stable version; null while there is none. */
  latest: string | null;
  versions: number;
  lastPolledAt: string | null;
  lastError: string | null;
  /** Where its notifications are POSTed (null: nowhere); its secret is never shown again. */
  notifyUrl: string | null;
  /** How its automatic upgrades move; `custom` false: the defaults. */
  continuous: ContinuousOptions & { custom: boolean };
  createdAt: string;
}

export interface ApplicationVersion {
  version: string;
  digest: string;
  class: 'major' | 'minor' | 'patch' | 'prerelease' | 'first';
  channel: string;
  stable: boolean;
  latest: boolean;
  discoveredAt: string;
}

export interface NewApplication {
  name: string;
  fromProject?: string | undefined;
  upstream?: string | undefined;
  pollSeconds?: number | undefined;
}

/** Polls no more often than this by default (the server's SLIPWAY_UPSTREAM_MIN_POLL). */
export const minPollSeconds = 30;
export const defaultPollSeconds = 300;

/** An upstream as stored: `registry/repository`, no tag or digest. */
export function parseUpstream(text: string, selfHosts: string[]): { registry: string; repository: string } {
  const ref = parseImageReference(text);
  // Without a tag or digest a reference means `:latest`; a repository has neither.
  const last = text.slice(text.lastIndexOf('/') + 1);
  if (ref.digest !== undefined || last.includes(':') || !text.includes('/')) {
    throw new SlipwayError('SLW_VALIDATION', `--upstream ${text} names one image; give the repository whose tags are the versions (e.g. registry.example.com/acme/shop)`);
  }
  if (selfHosts.includes(ref.registry.toLowerCase())) {
    throw new SlipwayError('SLW_VALIDATION', `${text} is in this Slipway's own registry; make the application from its project instead (--from-project)`);
  }
  return { registry: ref.registry, repository: ref.repository };
}

export async function createApplication(db: Db, access: WorkspaceAccess, input: NewApplication, selfHosts: string[], shortestPoll = minPollSeconds): Promise<ApplicationsTable> {
  const name = assertName('project', input.name);
  if ((input.fromProject === undefined) === (input.upstream === undefined)) {
    throw new SlipwayError('SLW_VALIDATION', 'give exactly one of --from-project P (versions are the project’s images) or --upstream REGISTRY/REPO (versions are imported from its tags)');
  }
  if (input.fromProject !== undefined && input.pollSeconds !== undefined) throw new SlipwayError('SLW_VALIDATION', '--poll is for an upstream application; a project application sees its versions as they are built');
  const poll = input.pollSeconds ?? Math.max(defaultPollSeconds, shortestPoll);
  if (!Number.isInteger(poll) || poll < shortestPoll || poll > 7 * 86_400) throw new SlipwayError('SLW_VALIDATION', `--poll ${poll}s: poll every ${shortestPoll}s to 7 days`);
  const upstream = input.upstream === undefined ? null : parseUpstream(input.upstream, selfHosts);
  const taken = await db.selectFrom('applications').select('id').where('workspace_id', '=', access.workspace.id).where('name', '=', name).executeTakeFirst();
  if (taken) throw new SlipwayError('SLW_ALREADY_EXISTS', `application '${name}' already exists in workspace '${access.workspace.name}'`);
  let projectId: string;
  if (input.fromProject !== undefined) {
    const project = await resolveProject(db, access, input.fromProject);
    const backing = await db.selectFrom('applications').select('name').where('project_id', '=', project.project.id).executeTakeFirst();
    if (backing) throw new SlipwayError('SLW_ALREADY_EXISTS', `project '${input.fromProject}' already backs application '${backing.name}'`);
    projectId = project.project.id;
  } else {
    // The project that holds the imported images: named like the application.
    const exists = await db.selectFrom('projects').select('id').where('workspace_id', '=', access.workspace.id).where('name', '=', name).executeTakeFirst();
    if (exists) throw new SlipwayError('SLW_ALREADY_EXISTS', `project '${name}' exists already, and an upstream application gets a project of its own name: pick another name, or make the application from that project (--from-project ${name})`);
    const project = await createProject(db, access, { name });
    projectId = project.id;
  }
  const row: ApplicationsTable = {
    id: newId('app'),
    workspace_id: access.workspace.id,
    name,
    project_id: projectId,
    source: upstream ? 'upstream' : 'project',
    upstream: upstream ? `${upstream.registry}/${upstream.repository}` : null,
    poll_seconds: upstream ? poll : null,
    last_polled_at: null,
    last_error: null,
    created_at: nowIso(),
    created_by: access.principal.userId,
    notify_url: null,
    notify_secret_envelope: null,
    continuous_options: null,
  };
  try {
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('applications').values(row).execute();
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'application.create', targetType: 'application', target: name, details: { source: row.source, ...(row.upstream ? { upstream: row.upstream } : { project: input.fromProject }) } });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new SlipwayError('SLW_ALREADY_EXISTS', `application '${name}' already exists in workspace '${access.workspace.name}'`);
    throw error;
  }
  return row;
}

export async function findApplication(db: Executor, access: WorkspaceAccess, name: string): Promise<ApplicationsTable> {
  const row = await db.selectFrom('applications').selectAll().where('workspace_id', '=', access.workspace.id).where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound('application', name);
  return row;
}

/**
 * Records the semver tags of a project application's repository that are not versions yet, and
 * announces each (once: see version-notices.ts) unless they are the application's first. `poke`
 * nudges the notification deliverer (absent: its sweep finds the notifications within seconds).
 */
export async function syncProjectVersions(db: Executor, app: ApplicationsTable, poke?: () => void): Promise<void> {
  if (app.source !== 'project') return;
  const tags = await db
    .selectFrom('registry_tags as t')
    .innerJoin('registry_repositories as r', 'r.id', 't.repository_id')
    .leftJoin('application_versions as v', (j) => j.onRef('v.tag', '=', 't.tag').on('v.application_id', '=', app.id))
    .select(['t.tag', 't.digest'])
    .where('r.project_id', '=', app.project_id)
    .where('v.tag', 'is', null)
    .execute();
  const fresh = tags.filter((t) => parseSemVer(t.tag) !== null);
  if (fresh.length === 0) return;
  const at = nowIso();
  const notified = await inTransaction(db, async (tx) => {
    await tx
      .insertInto('application_versions')
      .values(fresh.map((t) => ({ application_id: app.id, tag: t.tag, digest: t.digest, discovered_at: at })))
      .onConflict((oc) => oc.columns(['application_id', 'tag']).doNothing())
      .execute();
    // Versions other than these, whoever recorded these: none means these are the first.
    const before = await tx.selectFrom('application_versions').select((eb) => eb.fn.countAll<number>().as('n')).where('application_id', '=', app.id).where('tag', 'not in', fresh.map((t) => t.tag)).executeTakeFirst();
    return Number(before?.n ?? 0) === 0 ? 0 : notifyNewVersions({ db: tx }, app, fresh.map((t) => t.tag));
  });
  if (notified > 0 && !db.isTransaction) poke?.();
}

export async function applicationVersions(db: Executor, app: ApplicationsTable): Promise<ApplicationVersion[]> {
  await syncProjectVersions(db, app);
  const rows = await db.selectFrom('application_versions').selectAll().where('application_id', '=', app.id).execute();
  const byTag = new Map(rows.map((r) => [r.tag, r]));
  const latest = latestOf(rows.map((r) => r.tag))?.tag ?? null;
  return classifyAll(rows.map((r) => r.tag)).map(({ version, class: c }) => ({
    version: version.tag,
    digest: byTag.get(version.tag)!.digest,
    class: c,
    channel: channelOf(version),
    stable: isStable(version),
    latest: version.tag === latest,
    discoveredAt: byTag.get(version.tag)!.discovered_at,
  }));
}

export async function describeApplication(db: Executor, access: WorkspaceAccess, app: ApplicationsTable): Promise<Application> {
  await syncProjectVersions(db, app);
  const project = await db.selectFrom('projects').select('name').where('id', '=', app.project_id).executeTakeFirst();
  const tags = (await db.selectFrom('application_versions').select('tag').where('application_id', '=', app.id).execute()).map((r) => r.tag);
  return {
    name: app.name,
    workspace: access.workspace.name,
    project: project?.name ?? '(deleted)',
    source: app.source as Application['source'],
    upstream: app.upstream,
    pollSeconds: app.poll_seconds,
    latest: latestOf(tags)?.tag ?? null,
    versions: tags.length,
    lastPolledAt: app.last_polled_at,
    lastError: app.last_error,
    notifyUrl: app.notify_url,
    continuous: { ...continuousOf(app.continuous_options), custom: app.continuous_options !== null },
    createdAt: app.created_at,
  };
}

export async function listApplications(db: Executor, access: WorkspaceAccess): Promise<Application[]> {
  const rows = await db.selectFrom('applications').selectAll().where('workspace_id', '=', access.workspace.id).orderBy('name').execute();
  const out: Application[] = [];
  for (const row of rows) out.push(await describeApplication(db, access, row));
  return out;
}

/** Forgets an application (refused while it has sites), its version list, notifications and upstream hook; its project, images and environments stay. */
export async function removeApplication(db: Db, access: WorkspaceAccess, name: string): Promise<void> {
  const app = await findApplication(db, access, name);
  const sites = await db.selectFrom('sites').select((eb) => eb.fn.countAll<number>().as('n')).where('application_id', '=', app.id).executeTakeFirstOrThrow();
  if (Number(sites.n) > 0) throw new SlipwayError('SLW_HAS_SITES', `application '${name}' still has ${Number(sites.n)} site(s); remove them first (slipway site list -a ${name}, slipway site remove NAME -a ${name})`);
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('application_versions').where('application_id', '=', app.id).execute();
    await tx.deleteFrom('application_notifications').where('application_id', '=', app.id).execute();
    await tx.deleteFrom('application_hooks').where('application_id', '=', app.id).execute();
    const upgrades = tx.selectFrom('herd_upgrades').select('id').where('application_id', '=', app.id);
    await tx.deleteFrom('herd_site_events').where('upgrade_id', 'in', upgrades).execute();
    await tx.deleteFrom('herd_upgrade_sites').where('upgrade_id', 'in', upgrades).execute();
    await tx.deleteFrom('herd_upgrades').where('application_id', '=', app.id).execute();
    await tx.deleteFrom('applications').where('id', '=', app.id).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'application.remove', targetType: 'application', target: name, details: {} });
  });
}
