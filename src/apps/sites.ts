/**
 * Sites: an application's environments, one per customer. A site is an environment of kind
 * `site` in the application's project (its own config layer and secrets over the project's base
 * layer, its domain, attached services, placement) plus a row of what herds need: labels
 * (`customer`, `region`, `plan`…), the channel whose latest it follows, its upgrade policy and
 * maintenance window.
 *
 * Creating a site is one deploy, like any environment: of `--version`, else of the latest version
 * on its channel, else (no version yet, or `deploy: false`) nothing until one is deployed.
 * Removing one removes its environment as `env delete` does (refused while a herd upgrade of the
 * application is running or paused).
 *
 * @module
 */
import { effectiveSettings, type StoredSettings } from '../core/deploy.js';
import { SlipwayError } from '../core/errors.js';
import { matches, parseSelector } from '../core/herd.js';
import { assertName } from '../core/names.js';
import { assertCan } from '../core/roles.js';
import { latestOf } from '../core/semver.js';
import { assertChannel, assertLabels, editLabels, parsePolicy, sitesByVersion, type SitePolicy, type VersionSites } from '../core/sites.js';
import { parseCron } from '../core/cron.js';
import { recordAudit } from '../audit/audit.js';
import { type Deployment } from '../deploy/deployments.js';
import { changeRunning, type Promotion } from '../deploy/promotions.js';
import { healthOf, type EnvironmentStatus } from '../deploy/queries.js';
import { assertMayChangeWhatRuns } from '../deploy/protected-config.js';
import { deleteEnvironment } from '../deploy/removal.js';
import type { Placements } from '../deploy/target.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess, ProjectAccess } from '../projects/projects.js';
import type { Keyring } from '../secrets/secrets.js';
import { isUniqueViolation } from '../store/errors.js';
import type { ApplicationsTable, Db, EnvironmentsTable, Executor, SitesTable } from '../store/schema.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';
import { syncProjectVersions } from './applications.js';
import { siteRows, siteStatusRows, type SiteStatusRow } from './site-rows.js';

/** A site as the API returns it. */
export interface Site {
  name: string;
  application: string;
  /** The application's project, where the site is an environment of the same name. */
  project: string;
  labels: Record<string, string>;
  channel: string;
  policy: SitePolicy;
  window: string | null;
  /** The version its running release has (null before its first deploy, or for an image without a version tag). */
  version: string | null;
  release: number | null;
  domain: string;
  health: EnvironmentStatus['health'];
  /** `deploying` while a deploy is queued or running, else its health. */
  state: EnvironmentStatus['health'] | 'deploying';
  deploying: { id: string; releaseNumber: number; status: string; phase: string } | null;
  replicas: { running: number; ready: number; desired: number };
  createdAt: string;
}

export interface NewSite {
  name: string;
  version?: string | undefined;
  labels?: Record<string, string> | undefined;
  channel?: string | undefined;
  policy?: string | undefined;
  window?: string | null | undefined;
  /** false: create it without deploying anything (default: deploy). */
  deploy?: boolean | undefined;
}

export interface SiteCreated {
  site: Site;
  /** The version its creation deploys (null: none). */
  version: string | null;
  deployment: Deployment | null;
  /** The request waiting for approval or its pipeline gate, when the environment has one. */
  approval: Promotion | null;
  /** Why nothing was deployed, when nothing was. */
  note: string | null;
}

export interface SiteChanges {
  labels?: { set?: Record<string, string> | undefined; unset?: string[] | undefined } | undefined;
  channel?: string | undefined;
  policy?: string | undefined;
  /** A cron expression; null removes the window. */
  window?: string | null | undefined;
}

const reservedNames = ['dev', 'staging', 'prod'];

function checkWindow(window: string | null | undefined): string | null {
  if (window === undefined || window === null) return null;
  return parseCron(window).text.trim().split(/\s+/).join(' ');
}

function toSite(app: ApplicationsTable, access: ProjectAccess, r: SiteStatusRow): Site {
  const settings = effectiveSettings({ workspace: access.workspace.name, project: access.project.name, environment: r.name }, r.settings ? (JSON.parse(r.settings) as StoredSettings) : {});
  const health = healthOf(r.release, r.observed, settings.replicas);
  const current = r.observed !== null && r.observed.release === r.release;
  return {
    name: r.name,
    application: app.name,
    project: access.project.name,
    labels: r.labels,
    channel: r.channel,
    policy: r.policy as SitePolicy,
    window: r.window,
    version: r.version,
    release: r.release,
    domain: settings.domain,
    health,
    state: r.deploying ? 'deploying' : health,
    deploying: r.deploying,
    replicas: { running: current ? r.observed!.running : 0, ready: current ? r.observed!.ready : 0, desired: settings.replicas },
    createdAt: r.createdAt,
  };
}

/** The application's project, as the access its environments are resolved with. */
export async function applicationProject(db: Executor, access: WorkspaceAccess, app: ApplicationsTable): Promise<ProjectAccess> {
  const project = await db.selectFrom('projects').selectAll().where('id', '=', app.project_id).where('workspace_id', '=', access.workspace.id).executeTakeFirst();
  if (!project) throw new SlipwayError('SLW_NOT_FOUND', `the project of application '${app.name}' was deleted; its sites went with it`);
  return { ...access, project };
}

export async function findSite(db: Executor, app: ApplicationsTable, name: string): Promise<SitesTable> {
  const row = await db.selectFrom('sites').selectAll().where('application_id', '=', app.id).where('name', '=', name).executeTakeFirst();
  if (!row) throw new SlipwayError('SLW_NOT_FOUND', `site '${name}' not found in application '${app.name}' (slipway site list -a ${app.name})`);
  return row;
}

/** The site's environment, for what every environment has (deploys, config, removal). */
export async function siteEnvironment(db: Executor, access: WorkspaceAccess, app: ApplicationsTable, site: SitesTable): Promise<EnvironmentAccess> {
  const project = await applicationProject(db, access, app);
  const environment = await db.selectFrom('environments').selectAll().where('id', '=', site.environment_id).executeTakeFirstOrThrow();
  return { ...project, environment };
}

export async function showSite(db: Executor, access: WorkspaceAccess, app: ApplicationsTable, name: string): Promise<Site> {
  const project = await applicationProject(db, access, app);
  const [row] = await siteStatusRows(db, app.id, { names: [name] });
  if (!row) throw new SlipwayError('SLW_NOT_FOUND', `site '${name}' not found in application '${app.name}' (slipway site list -a ${app.name})`);
  return toSite(app, project, row);
}

/** The application's sites by name, only those `selector` matches if one is given (one query, then the filter). */
export async function listSites(db: Executor, access: WorkspaceAccess, app: ApplicationsTable, selector?: string): Promise<Site[]> {
  const parsed = selector === undefined || selector === '' ? null : parseSelector(selector);
  const project = await applicationProject(db, access, app);
  const rows = await siteStatusRows(db, app.id);
  return (parsed ? rows.filter((r) => matches(parsed, r)) : rows).map((r) => toSite(app, project, r));
}

/** How many sites run each version (and the first `cap` names of each): one query, no status. */
export async function versionSites(db: Executor, app: ApplicationsTable, cap: number): Promise<{ total: number; versions: VersionSites[] }> {
  const rows = await siteRows(db, app.id);
  return { total: rows.length, versions: sitesByVersion(rows, cap) };
}

/** The version a new site deploys: the one asked for (it must be a version of the application), else its channel's latest. */
async function versionToDeploy(db: Executor, app: ApplicationsTable, asked: string | undefined, channel: string): Promise<{ tag: string; digest: string } | null> {
  await syncProjectVersions(db, app);
  const versions = await db.selectFrom('application_versions').select(['tag', 'digest']).where('application_id', '=', app.id).execute();
  if (asked !== undefined) {
    const v = versions.find((x) => x.tag === asked);
    if (!v) {
      const known = latestOf(versions.map((x) => x.tag))?.tag;
      throw new SlipwayError('SLW_NOT_FOUND', `application '${app.name}' has no version '${asked}'${known ? ` (its latest is ${known})` : ' (it has no versions yet)'}; see slipway app versions ${app.name}`);
    }
    return v;
  }
  const latest = latestOf(versions.map((x) => x.tag), channel);
  return latest ? versions.find((x) => x.tag === latest.tag)! : null;
}

export async function createSite(db: Db, access: WorkspaceAccess, app: ApplicationsTable, input: NewSite, keyring: Keyring): Promise<SiteCreated> {
  const name = assertName('environment', input.name);
  if (reservedNames.includes(name)) throw new SlipwayError('SLW_INVALID_NAME', `'${name}' is a default environment's name (${reservedNames.join(', ')}); give the site the customer's name, e.g. acme`);
  const labels = assertLabels(input.labels ?? {});
  const channel = assertChannel(input.channel ?? 'stable');
  const policy = parsePolicy(input.policy ?? 'manual');
  const window = checkWindow(input.window);
  const deploy = input.deploy !== false;
  if (!deploy && input.version !== undefined) throw new SlipwayError('SLW_VALIDATION', 'a version to deploy and no deploy: give --version or --no-deploy, not both');
  if (deploy) assertCan(access.role, 'deploy.run');
  const project = await applicationProject(db, access, app);
  const version = deploy ? await versionToDeploy(db, app, input.version, channel) : null;
  const taken = await db.selectFrom('environments').select(['kind']).where('project_id', '=', project.project.id).where('name', '=', name).executeTakeFirst();
  if (taken) throw new SlipwayError('SLW_ALREADY_EXISTS', taken.kind === 'site' ? `site '${name}' already exists in application '${app.name}'` : `project '${project.project.name}' (application '${app.name}') already has an environment '${name}' (${taken.kind}); pick another site name`);
  const now = nowIso();
  const environment: EnvironmentsTable = { id: newId('env'), project_id: project.project.id, name, kind: 'site', created_at: now };
  const row: SitesTable = { environment_id: environment.id, application_id: app.id, workspace_id: access.workspace.id, name, labels: JSON.stringify(labels), channel, policy, maintenance_window: window, created_at: now, created_by: access.principal.userId };
  try {
    await db.transaction().execute(async (tx) => {
      // A site is not a custom environment: the tier's custom-environment rule does not apply to it.
      await tx.insertInto('environments').values(environment).execute();
      await tx.insertInto('sites').values(row).execute();
      await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'site.create', targetType: 'site', target: `${app.name}/${name}`, details: { labels, channel, policy, window, version: version?.tag ?? null } });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new SlipwayError('SLW_ALREADY_EXISTS', `site '${name}' already exists in application '${app.name}'`);
    throw error;
  }
  let deployment: Deployment | null = null;
  let approval: Promotion | null = null;
  if (version) {
    const r = await changeRunning(db, { ...project, environment }, 'deploy', { digest: version.digest, version: version.tag }, { keyring });
    deployment = r.deployment;
    approval = r.promotion;
  }
  const note = version
    ? null
    : !deploy
      ? `nothing deployed (created without a deploy); deploy a version with slipway deploy -a ${app.name} -e ${name} --version V`
      : `application '${app.name}' has no version on the ${channel} channel yet; the site runs nothing until one is deployed (slipway deploy -a ${app.name} -e ${name} --version V)`;
  return { site: await showSite(db, access, app, name), version: version?.tag ?? null, deployment, approval, note };
}

/** Changes a site's labels, channel, policy or window. Labels reach its workloads at their next deploy (or job run). */
export async function updateSite(db: Db, access: WorkspaceAccess, app: ApplicationsTable, name: string, changes: SiteChanges): Promise<Site> {
  const site = await findSite(db, app, name);
  // Labels reach the site's workloads as SLIPWAY_SITE_LABEL_* variables (site-variables.ts): what a site that requires approval runs with.
  if (changes.labels) await assertMayChangeWhatRuns(db, await siteEnvironment(db, access, app, site), 'its labels (its SLIPWAY_SITE_LABEL_* variables)');
  const labels = changes.labels ? editLabels(JSON.parse(site.labels) as Record<string, string>, changes.labels) : undefined;
  const set: Partial<SitesTable> = {};
  if (labels) set.labels = JSON.stringify(labels);
  if (changes.channel !== undefined) set.channel = assertChannel(changes.channel);
  if (changes.policy !== undefined) set.policy = parsePolicy(changes.policy);
  if (changes.window !== undefined) set.maintenance_window = checkWindow(changes.window);
  if (Object.keys(set).length === 0) throw new SlipwayError('SLW_VALIDATION', 'nothing to change: give labels, a channel, a policy or a window');
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('sites').set(set).where('environment_id', '=', site.environment_id).execute();
    const details: Record<string, unknown> = {};
    if (changes.labels) details.labels = { set: changes.labels.set ?? {}, unset: changes.labels.unset ?? [] };
    if (set.channel !== undefined) details.channel = set.channel;
    if (set.policy !== undefined) details.policy = set.policy;
    if (changes.window !== undefined) details.window = set.maintenance_window;
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'site.update', targetType: 'site', target: `${app.name}/${name}`, details });
  });
  return showSite(db, access, app, name);
}

/** Removes a site: its environment as `env delete` removes one (workloads, route, releases, config, secrets). */
export async function removeSite(db: Db, placements: Placements, access: WorkspaceAccess, app: ApplicationsTable, name: string): Promise<void> {
  const site = await findSite(db, app, name);
  const env = await siteEnvironment(db, access, app, site);
  await deleteEnvironment(db, placements, env, (tx) => recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'site.remove', targetType: 'site', target: `${app.name}/${name}` }));
}
