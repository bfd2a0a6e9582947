/**
 * Building a commit of a project's linked repository, and deploying what it built.
 *
 * Stable entry points (the webhooks and branch-environment code calls them):
 *
 * - `buildCommit(deps, access, { ref, sha? })` → `CommitBuild` (`version`, `digest`, `commit`,
 *   `ref`, `method`, `id`, …): fetches the one commit, builds it (a Dockerfile with buildah, else
 *   the tree with the daemonless builder: static/Node/JAR) into the project's repository under
 *   its version (a version tag pointing at the commit, else `git-<12 hex>`), records the build in
 *   `git_builds` (its log, status and error). Failures are SlipwayErrors (SLW_GIT_*,
 *   SLW_VERSION_EXISTS, SLW_BASE_IMAGE_UNAVAILABLE, SLW_ARTIFACT_INVALID, …), recorded too.
 * - `deployBuild(deps, access, build, environment)` → the deploy request (the same path as
 *   `slipway deploy --version`: changeRunning, approvals and all), then nudges the engine.
 * - `defaultEnvironment(db, access)`: where a push to the default branch deploys (the first
 *   environment of the project's pipeline: dev, else staging, else prod).
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { SlipwayError, toSlipwayError } from '../core/errors.js';
import { assertGitRef, isCommitSha, parseGitUrl, versionOfCommit } from '../core/git.js';
import { pipelineOrder } from '../core/tiers.js';
import { recordAudit } from '../audit/audit.js';
import { changeRunning, type RequestResult } from '../deploy/promotions.js';
import { openBuildArea } from '../images/artifact-upload.js';
import { apiErrorOf } from '../images/errors.js';
import { buildFromUpload, type BuildServices } from '../images/build-service.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import { resolveEnvironment, type ProjectAccess } from '../projects/projects.js';
import { repositoryOfProject } from '../registry/repositories.js';
import type { Keyring } from '../secrets/secrets.js';
import type { Db, Executor, GitBuildsTable } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { buildDockerfile } from './buildah.js';
import { archiveTree, fetchCommit, hasFile, readFile, type FetchedCommit } from './fetch.js';
import { scrub, type GitHostPolicy } from './git-cli.js';
import { buildSettingsOf, manifestTextOf, type BuildSettings } from './manifest.js';
import { applyManifest } from '../pipelines/manifests.js';
import { openCredential, requireGitSource } from './sources.js';
import { storeBuiltImage } from './store-image.js';

/** What a git build needs: the builder's services plus the keyring and the git host policy. */
export interface GitBuildDeps extends BuildServices {
  keyring: Keyring;
  gitHosts: GitHostPolicy;
}

export interface CommitBuild {
  /** The git build's id (`gbd_…`). */
  id: string;
  repository: string;
  version: string;
  digest: string;
  commit: string;
  /** The full ref built (refs/heads/main, refs/tags/v1) or the sha asked for. */
  ref: string;
  /** `dockerfile` (buildah) or `builder` (static/Node/JAR). */
  method: 'dockerfile' | 'builder';
  /** The repository URL (never with a credential). */
  url: string;
  /** Blobs new to the project's repository (0: the same image was there). */
  newBlobs: number;
  steps: { name: string; ms: number }[];
}

/** A recorded git build as the API returns it. */
export interface GitBuild {
  id: string;
  ref: string;
  commit: string | null;
  version: string | null;
  digest: string | null;
  method: string | null;
  status: string;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export function toGitBuild(row: GitBuildsTable): GitBuild {
  return { id: row.id, ref: row.ref, commit: row.commit_sha, version: row.version, digest: row.digest, method: row.method, status: row.status, error: row.error, startedAt: row.started_at, finishedAt: row.finished_at };
}

const maxLogBytes = 256 * 1024;

/** Fetches and builds one commit; see the module comment. */
export async function buildCommit(deps: GitBuildDeps, access: ProjectAccess, request: { ref: string; sha?: string | undefined }): Promise<CommitBuild> {
  const source = await requireGitSource(deps.db, access);
  assertGitRef(request.ref);
  if (request.sha !== undefined && !isCommitSha(request.sha)) throw new SlipwayError('SLW_VALIDATION', `sha ${JSON.stringify(request.sha)} is not a 40-hex commit id`);
  const url = parseGitUrl(source.url);
  const credential = openCredential(deps.keyring, source);
  const id = newId('gbd');
  const lines: string[] = [];
  let logBytes = 0;
  const remote = { url, address: '', credential };
  const log = (line: string) => {
    const clean = scrub(line, remote).replace(/\s+$/, '');
    if (clean === '' || logBytes > maxLogBytes) return;
    logBytes += clean.length + 1;
    lines.push(logBytes > maxLogBytes ? '… (log cut at 256 KiB)' : clean);
  };
  const startedAt = nowIso();
  await deps.db.insertInto('git_builds').values({ id, workspace_id: access.workspace.id, project_id: access.project.id, ref: request.ref, commit_sha: request.sha ?? null, version: null, digest: null, method: null, status: 'running', error: null, log: '', created_by: access.principal.userId, started_at: startedAt, finished_at: null }).execute();
  const steps: CommitBuild['steps'] = [];
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    log(`step: ${name}`);
    const result = await run();
    steps.push({ name, ms: Math.round(performance.now() - t) });
    return result;
  };
  const area = await openBuildArea(deps.dataDir);
  let partial: Partial<GitBuildsTable> = {};
  try {
    const commit = await step('fetch commit', () => fetchCommit(join(area.dir, 'git'), deps.gitHosts, url, credential, request, log));
    const version = versionOfCommit(commit.sha, commit.tags);
    partial = { commit_sha: commit.sha, version };
    log(`commit ${commit.sha} (${commit.ref}) → version ${version}`);
    const manifestText = await manifestTextOf(commit);
    const settings = buildSettingsOf(manifestText, { runtime: source.runtime, base: source.base });
    const dockerfile = settings.dockerfile ?? ((await hasFile(commit, 'Dockerfile')) ? 'Dockerfile' : null);
    const labels = { 'org.opencontainers.image.revision': commit.sha, 'org.opencontainers.image.source': url.url };
    let result: Omit<CommitBuild, 'id' | 'steps' | 'url' | 'ref' | 'commit'>;
    if (dockerfile !== null) {
      partial.method = 'dockerfile';
      result = await step('buildah build', () => dockerfileBuild(deps, access, commit, area.dir, dockerfile, settings, version, labels, log));
    } else {
      partial.method = 'builder';
      result = await step('build image', () => treeBuild(deps, access, commit, area.dir, settings, version, labels, log));
    }
    log(`built ${result.repository}:${result.version} ${result.digest}`);
    // The default branch's slipway.yaml is the project's manifest (pipelines, release step,
    // gates) from now on, before its deploy starts; a branch's never replaces it.
    if (manifestText !== null && commit.ref.replace(/^refs\/heads\//, '') === source.default_branch) {
      await applyManifest(deps.db, access, manifestText, { source: 'git', commit: commit.sha });
      log(`applied slipway.yaml of ${commit.sha.slice(0, 12)} as the project's manifest`);
    }
    const build: CommitBuild = { id, ...result, commit: commit.sha, ref: commit.ref, url: url.url, steps };
    await finish(deps.db, id, { ...partial, digest: build.digest, status: 'succeeded' }, lines);
    await recordAudit(deps.db, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'git.build', targetType: 'image', target: `${build.repository}:${build.version}`, details: { commit: build.commit, ref: build.ref, digest: build.digest, method: build.method } });
    return build;
  } catch (error) {
    const e = toSlipwayError(apiErrorOf(error));
    const message = e.code === 'SLW_INTERNAL' ? `internal error${error instanceof Error ? `: ${scrub(error.message, remote)}` : ''}` : scrub(e.message, remote);
    log(`failed: ${message}`);
    await finish(deps.db, id, { ...partial, status: 'failed', error: `${e.code}: ${message}` }, lines).catch(() => undefined);
    throw e.code === 'SLW_INTERNAL' ? e : new SlipwayError(e.code, scrub(e.message, remote));
  } finally {
    await area.remove();
  }
}

async function finish(db: Db, id: string, set: Partial<GitBuildsTable>, lines: string[]): Promise<void> {
  await db.updateTable('git_builds').set({ ...set, log: lines.join('\n'), finished_at: nowIso() }).where('id', '=', id).execute();
}

/** Extracts the commit's tree into `dir` (git archive | tar -x: no .git, no checkout hooks). */
async function extractTree(commit: FetchedCommit, tarFile: string, dir: string): Promise<void> {
  await archiveTree(commit, tarFile);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await new Promise<void>((resolve, reject) => {
    const child = spawn('tar', ['--no-same-owner', '--no-same-permissions', '-xf', tarFile, '-C', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new SlipwayError('SLW_ARTIFACT_INVALID', `the commit's tree could not be unpacked: ${err.slice(0, 300)}`))));
  });
}

async function dockerfileBuild(deps: GitBuildDeps, access: ProjectAccess, commit: FetchedCommit, scratch: string, dockerfile: string, settings: BuildSettings, version: string, labels: Record<string, string>, log: (l: string) => void) {
  if (!(await hasFile(commit, dockerfile))) throw new SlipwayError('SLW_GIT_BUILD_FAILED', `the commit has no ${dockerfile} (named by slipway.yaml build.dockerfile)`);
  const context = join(scratch, 'context');
  await extractTree(commit, join(scratch, 'tree.tar'), context);
  const text = (await readFile(commit, dockerfile)) ?? '';
  const image = await buildDockerfile(
    { db: deps.db, registry: deps.registry, dataDir: deps.dataDir, selfHosts: deps.selfHosts },
    { workspaceId: access.workspace.id, principal: access.principal, contextDir: context, dockerfile, scratch, timestamp: commit.commitTime, network: settings.network, labels: { ...labels, 'org.opencontainers.image.version': version }, log },
    text,
  );
  const repo = await repositoryOfProject(deps.db, access.workspace, access.project);
  const stored = await storeBuiltImage(deps.db, deps.registry, repo, version, image);
  return { repository: repo.name, version, digest: image.digest, method: 'dockerfile' as const, newBlobs: stored.newBlobs };
}

async function treeBuild(deps: GitBuildDeps, access: ProjectAccess, commit: FetchedCommit, scratch: string, settings: BuildSettings, version: string, labels: Record<string, string>, log: (l: string) => void) {
  const tar = join(scratch, 'tree.tar');
  await archiveTree(commit, tar);
  const size = (await stat(tar)).size;
  log(`tree archive: ${size} bytes`);
  const built = await buildFromUpload(deps, access, { version, ...(settings.runtime ? { runtime: settings.runtime } : {}), ...(settings.base ? { base: settings.base } : {}), labels }, createReadStream(tar), size);
  for (const s of built.steps) log(`  ${s.name}: ${s.ms} ms`);
  return { repository: built.repository, version: built.version, digest: built.digest, method: 'builder' as const, newBlobs: built.newBlobs };
}

/** Where a push to the default branch deploys: the first environment of the project's pipeline (dev, staging, prod, then custom by name). */
export async function defaultEnvironment(db: Executor, access: ProjectAccess): Promise<string> {
  const rows = await db.selectFrom('environments').select(['name', 'kind']).where('project_id', '=', access.project.id).execute();
  const standard = rows.filter((r) => r.kind !== 'branch' && r.kind !== 'preview').map((r) => r.name);
  const first = standard.sort((a, b) => pipelineOrder(a).localeCompare(pipelineOrder(b)))[0];
  if (!first) throw new SlipwayError('SLW_NOT_FOUND', `project ${access.project.name} has no environment to deploy to`);
  return first;
}

/**
 * Deploys a build's image to `environment` exactly as `slipway deploy --version` would (approval
 * rules included); a deploy in progress there is superseded (a newer push wins). Nudges the engine.
 */
export async function deployBuild(deps: { db: Db; keyring: Keyring; enqueue(environmentId: string): void }, access: ProjectAccess, build: { version: string; digest: string }, environment: string): Promise<RequestResult> {
  const env = await resolveEnvironment(deps.db, access, environment);
  const result = await changeRunning(deps.db, env, 'deploy', { digest: build.digest, version: build.version }, { supersede: true, keyring: deps.keyring });
  if (result.deployment) deps.enqueue(env.environment.id);
  return result;
}

/** The project's recent git builds, newest first. */
export async function listGitBuilds(db: Executor, access: ProjectAccess, limit = 20): Promise<GitBuild[]> {
  const rows = await db.selectFrom('git_builds').selectAll().where('project_id', '=', access.project.id).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map(toGitBuild);
}

/** One git build with its log. */
export async function getGitBuild(db: Executor, access: ProjectAccess, id: string): Promise<GitBuild & { log: string }> {
  const row = await db.selectFrom('git_builds').selectAll().where('project_id', '=', access.project.id).where('id', '=', id).executeTakeFirst();
  if (!row) throw new SlipwayError('SLW_NOT_FOUND', `git build '${id}' not found in project '${access.project.name}'`);
  return { ...toGitBuild(row), log: row.log };
}
