/**
 * Seeding workspaces through the API (and, for what the API cannot make yet, through the store
 * layer on a second connection to the same SQLite file).
 */
import { createRelease, setReleaseStatus } from '../../src/releases/releases.js';
import { resolveEnvironment, resolveProject } from '../../src/projects/projects.js';
import { newId } from '../../src/platform/ids.js';
import { tokenHint } from '../../src/core/tokens.js';
import { openStore } from '../../src/store/open.js';
import type { Db } from '../../src/store/schema.js';
import { authenticate, hashToken, mintToken } from '../../src/tenancy/tokens.js';
import { resolveWorkspace } from '../../src/tenancy/workspaces.js';
import { apiClient, ok, type Api } from './api.js';
import { requestDeploy } from '../../src/deploy/deployments.js';
import { promote } from '../../src/deploy/promotions.js';
import { applyManifest } from '../../src/pipelines/manifests.js';

/** API paths of a workspace's objects. */
export const paths = {
  workspace: (ws: string) => `/api/v1/workspaces/${ws}`,
  project: (ws: string, p: string) => `/api/v1/workspaces/${ws}/projects/${p}`,
  environment: (ws: string, p: string, e: string) => `/api/v1/workspaces/${ws}/projects/${p}/environments/${e}`,
};

/** What {@link seedWorkspace} made. */
export interface Seeded {
  workspace: string;
  project: string;
  environment: string;
  customEnvironment: string;
  secret: string;
}

/**
 * A workspace (tier high) with a project, a custom environment, base and prod config, and a
 * base and a prod secret. `admin` must be an instance admin token; it becomes the owner.
 */
export async function seedWorkspace(admin: Api, workspace: string, project: string, customEnvironment: string): Promise<Seeded> {
  ok(await admin.post('/api/v1/workspaces', { name: workspace, tier: 'high' }));
  ok(await admin.post(`${paths.workspace(workspace)}/projects`, { name: project }));
  ok(await admin.post(`${paths.project(workspace, project)}/environments`, { name: customEnvironment }));
  ok(await admin.patch(`${paths.project(workspace, project)}/config`, { set: { LOG_LEVEL: 'info', REGION: workspace } }));
  ok(await admin.patch(`${paths.environment(workspace, project, 'prod')}/config`, { set: { LOG_LEVEL: 'warn' } }));
  ok(await admin.put(`${paths.project(workspace, project)}/secrets/DB_PASSWORD`, { value: `base-${workspace}-secret` }));
  ok(await admin.put(`${paths.environment(workspace, project, 'prod')}/secrets/DB_PASSWORD`, { value: `prod-${workspace}-secret` }));
  return { workspace, project, environment: 'prod', customEnvironment, secret: 'DB_PASSWORD' };
}

/** Adds `email` to the workspace with `role`; returns their user id (from the member list: adding answers none). */
export async function addMember(owner: Api, workspace: string, email: string, role: string): Promise<string> {
  ok(await owner.post(`${paths.workspace(workspace)}/members`, { email, role }));
  const { members } = ok<{ members: Array<{ userId: string; email: string }> }>(await owner.get(`${paths.workspace(workspace)}/members`));
  const found = members.find((m) => m.email === email.toLowerCase());
  if (!found) throw new Error(`${email} is not listed as a member of ${workspace} after adding`);
  return found.userId;
}

/** Mints a workspace token (for `member`, default the caller) and returns its id and a client. */
export async function workspaceToken(owner: Api, workspace: string, role: string, member?: string): Promise<{ id: string; api: Api }> {
  const t = ok<{ id: string; token: string }>(await owner.post(`${paths.workspace(workspace)}/tokens`, { role, name: `${role} token`, ...(member ? { member } : {}) }));
  return { id: t.id, api: apiClient(owner.url, t.token) };
}

/** Runs `fn` on a second connection to a SQLite store file. */
export async function withSqliteStore<T>(file: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const store = await openStore({ engine: 'sqlite', file });
  try {
    return await fn(store.db);
  } finally {
    await store.close();
  }
}

/** Records a release of an environment through the releases context (no deploy engine yet). */
export async function insertRelease(db: Db, token: string, workspace: string, project: string, environment: string): Promise<number> {
  const principal = await authenticate(db, `Bearer ${token}`);
  const access = await resolveEnvironment(db, await resolveProject(db, await resolveWorkspace(db, principal, workspace), project), environment);
  const release = await createRelease(db, access, {
    imageDigest: `sha256:${'ab'.repeat(32)}`,
    version: '1.0.0',
    configVersion: access.project.config_version,
    secretVersions: {},
    trigger: 'deploy',
    actor: { userId: principal.userId, tokenId: principal.tokenId },
  });
  return release.number;
}

/** Gives an existing user an instance token (the API mints only workspace tokens) and returns it. */
export async function insertInstanceToken(db: Db, email: string): Promise<string> {
  const user = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
  const token = mintToken();
  await db
    .insertInto('tokens')
    .values({ id: newId('tok'), workspace_id: null, user_id: user.id, role: null, name: 'instance token (test)', hint: tokenHint(token), hash: hashToken(token), created_at: new Date().toISOString(), created_by: null, expires_at: null, revoked_at: null, last_used_at: null })
    .execute();
  return token;
}

/**
 * A finished deployment (of `dev`, from a succeeded release) and a promotion dev → prod waiting
 * for approval, asked for by the holder of `requesterToken`; recorded through the deploy context
 * with no engine involved. Returns their ids.
 */
export async function seedDeployRecords(dbFile: string, adminToken: string, requesterToken: string, workspace: string, project: string): Promise<{ deployment: string; promotion: string; run: string; pipeline: string; upgrade: string }> {
  return withSqliteStore(dbFile, (db) => seedDeployRecordsIn(db, adminToken, requesterToken, workspace, project));
}

/** {@link seedDeployRecords} on an open store of either engine. */
export async function seedDeployRecordsIn(db: Db, adminToken: string, requesterToken: string, workspace: string, project: string): Promise<{ deployment: string; promotion: string; run: string; pipeline: string; upgrade: string }> {
  const admin = await authenticate(db, `Bearer ${adminToken}`);
  const projectAccess = await resolveProject(db, await resolveWorkspace(db, admin, workspace), project);
  const dev = await resolveEnvironment(db, projectAccess, 'dev');
  const actor = { userId: admin.userId, tokenId: admin.tokenId };
  const release = await createRelease(db, dev, { imageDigest: `sha256:${'cd'.repeat(32)}`, version: '1.0.0', configVersion: dev.project.config_version, secretVersions: {}, trigger: 'deploy', actor });
  await setReleaseStatus(db, dev, release.number, 'running');
  await setReleaseStatus(db, dev, release.number, 'succeeded');
  const { deployment } = await requestDeploy(db, dev, { imageDigest: `sha256:${'cd'.repeat(32)}`, version: '1.0.0', trigger: 'deploy', actor });
  await db.updateTable('deployments').set({ status: 'failed', phase: 'failed', error: 'seeded for tests', finished_at: new Date().toISOString() }).where('id', '=', deployment.id).execute();
  await db.updateTable('releases').set({ status: 'failed', finished_at: new Date().toISOString() }).where('environment_id', '=', dev.environment.id).where('status', '=', 'pending').execute();
  const requester = await authenticate(db, `Bearer ${requesterToken}`);
  const asRequester = await resolveProject(db, await resolveWorkspace(db, requester, workspace), project);
  const { promotion } = await promote(db, asRequester, 'dev', 'prod');
  const run = await seedPipelineRun(db, projectAccess, dev.environment.id);
  const upgrade = await seedHerdUpgrade(db, projectAccess.workspace.id);
  return { deployment: deployment.id, promotion: promotion!.id, run, pipeline: 'test', upgrade };
}

/** A finished herd upgrade of the workspace (of its first application, if any), stored directly: no runner involved. */
async function seedHerdUpgrade(db: Db, workspaceId: string): Promise<string> {
  const id = newId('hup');
  const now = new Date().toISOString();
  const app = await db.selectFrom('applications').select('id').where('workspace_id', '=', workspaceId).executeTakeFirst();
  const options = { canary: 1, batch: '25%', parallel: 5, bakeSeconds: 0, failureBudget: '0', window: null, allowDowngrade: false };
  await db
    .insertInto('herd_upgrades')
    .values({ id, workspace_id: workspaceId, application_id: app?.id ?? 'app_none', active_key: null, to_version: '1.0.0', to_digest: `sha256:${'cd'.repeat(32)}`, selector: null, options: JSON.stringify(options), failure_budget: 0, failures: 0, state: 'succeeded', trigger: 'manual', reason: null, created_at: now, created_by: null, updated_at: now, finished_at: now, lease_owner: null, lease_until: null })
    .execute();
  const site = app ? await db.selectFrom('sites').select(['environment_id', 'name']).where('application_id', '=', app.id).executeTakeFirst() : undefined;
  if (site) {
    await db.insertInto('herd_upgrade_sites').values({ upgrade_id: id, environment_id: site.environment_id, site: site.name, wave: 0, position: 0, step: 'done', from_version: null, from_release: null, backups: '[]', deployment_id: null, revert_deployment_id: null, clone_environment_id: null, error: null, started_at: now, step_started_at: now, finished_at: now }).execute();
    await db.insertInto('herd_site_events').values({ upgrade_id: id, environment_id: site.environment_id, seq: 1, at: now, step: 'done', message: 'seeded for tests' }).execute();
  }
  return id;
}

/** A manifest with a pipeline `test` applied to the project, and one finished run of it (stored directly: no runner involved). */
async function seedPipelineRun(db: Db, access: Awaited<ReturnType<typeof resolveProject>>, environmentId: string): Promise<string> {
  await applyManifest(db, access, 'pipelines:\n  test:\n    jobs:\n      - name: unit\n        image: $build\n        command: echo ok\n');
  const id = newId('run');
  const now = new Date().toISOString();
  const jobs = [{ name: 'unit', image: '$build', command: ['/bin/sh', '-c', 'echo ok'], env: {}, timeoutSeconds: 600, resources: { cpuMillis: null, memoryBytes: null } }];
  await db
    .insertInto('pipeline_runs')
    .values({ id, workspace_id: access.workspace.id, project_id: access.project.id, environment_id: environmentId, pipeline: 'test', status: 'succeeded', image_digest: `sha256:${'cd'.repeat(32)}`, jobs: JSON.stringify(jobs), trigger_kind: 'manual', trigger_by: 'seed', reason: 'seeded for tests', promotion_id: null, deployment_id: null, cancel_requested: 0, owner: null, lease_until: null, fence: 1, created_at: now, started_at: now, finished_at: now, error: null })
    .execute();
  await db.insertInto('pipeline_run_jobs').values({ run_id: id, idx: 0, name: 'unit', image: '$build', status: 'succeeded', exit_code: 0, message: null, started_at: now, finished_at: now }).execute();
  await db.insertInto('pipeline_run_logs').values({ run_id: id, seq: 1, job: 'unit', stream: 'stdout', line: 'ok', at: now }).execute();
  return id;
}

/**
 * A service row of `workspace` (an adopted Redis at 127.0.0.1:6379) attached to `project`'s
 * `environment`, stored directly for the route walks: reading a service, its attachments or their
 * backups never opens an envelope, so the envelopes are dummies.
 */
export async function seedService(dbFile: string, workspace: string, name: string, project: string, environment = 'prod'): Promise<void> {
  await withSqliteStore(dbFile, async (db) => {
    const ws = await db.selectFrom('workspaces').select('id').where('name', '=', workspace).executeTakeFirstOrThrow();
    const p = await db.selectFrom('projects').select('id').where('workspace_id', '=', ws.id).where('name', '=', project).executeTakeFirstOrThrow();
    const e = await db.selectFrom('environments').select('id').where('project_id', '=', p.id).where('name', '=', environment).executeTakeFirstOrThrow();
    const now = new Date().toISOString();
    const serviceId = newId('svc');
    await db
      .insertInto('services')
      .values({ id: serviceId, workspace_id: ws.id, name, kind: 'redis', mode: 'adopted', host: '127.0.0.1', port: 6379, workload_host: '127.0.0.1', workload_port: 6379, admin_envelope: 'sealed-elsewhere', server_version: '7.0.0', created_at: now, created_by: null })
      .execute();
    await db
      .insertInto('service_attachments')
      .values({ id: newId('att'), workspace_id: ws.id, service_id: serviceId, project_id: p.id, environment_id: e.id, prefix: '', resource: 'slw_seeded0000', state: 'attached', drop_data: 0, generation: 1, created_at: now, created_by: null })
      .execute();
  });
}

/**
 * A git source of `workspace`'s `project` (an https URL on a private address: a build is refused
 * at once by the git host policy, nothing is fetched) and one failed build of it, stored directly
 * for the route walks. Returns the build's id.
 */
export async function seedGitSource(dbFile: string, workspace: string, project: string): Promise<{ build: string }> {
  return withSqliteStore(dbFile, async (db) => {
    const ws = await db.selectFrom('workspaces').select('id').where('name', '=', workspace).executeTakeFirstOrThrow();
    const p = await db.selectFrom('projects').select('id').where('workspace_id', '=', ws.id).where('name', '=', project).executeTakeFirstOrThrow();
    const now = new Date().toISOString();
    await db
      .insertInto('git_sources')
      .values({ project_id: p.id, workspace_id: ws.id, url: 'https://10.0.0.1/team/app.git', default_branch: 'main', branch_envs: '["feature/*"]', credential_envelope: null, credential_generation: 0, runtime: null, base: null, created_at: now, updated_at: now, updated_by: null })
      .execute();
    const build = newId('gbd');
    await db
      .insertInto('git_builds')
      .values({ id: build, workspace_id: ws.id, project_id: p.id, ref: 'main', commit_sha: null, version: null, digest: null, method: null, status: 'failed', error: 'SLW_GIT_UNREACHABLE: seeded for tests', log: 'seeded', created_by: null, started_at: now, finished_at: now })
      .execute();
    return { build };
  });
}
