/** Routes: a project's git source (link, show, unlink), building a commit now (and deploying it as a push would), its git builds. */
import type { FastifyRequest } from 'fastify';
import { deletedSchema } from '../../api/common.js';
import { gitBuildBody, gitBuildDetailSchema, gitBuildListSchema, gitBuildParam, gitBuildResultSchema, gitLinkBody, gitSourceSchema } from '../../api/git.js';
import { assertCan } from '../../core/roles.js';
import { buildCommit, defaultEnvironment, deployBuild, getGitBuild, listGitBuilds, type GitBuildDeps } from '../../git/builds.js';
import { GitHostPolicy } from '../../git/git-cli.js';
import { linkGitSource, requireGitSource, toGitSource, unlinkGitSource } from '../../git/sources.js';
import { remoteBase } from '../../images/remote.js';
import type { Repository } from '../../registry/repositories.js';
import type { ServerDeps } from '../deps.js';
import { defineRoute } from '../http/route.js';

const project = '/api/v1/workspaces/{workspace}/projects/{project}';
const strictGitHosts = new GitHostPolicy();

function gitHosts(deps: ServerDeps): GitHostPolicy {
  return deps.gitHosts ?? strictGitHosts;
}

/**
 * What a git build needs from the server (the builder's services, as `slipway build` gets them).
 * `request`: its Host header also names this server's registry (a Dockerfile's FROM may use it).
 */
export function gitBuildDeps(deps: ServerDeps, request?: FastifyRequest): GitBuildDeps {
  const hosts = new Set<string>(deps.selfHosts);
  if (request?.headers.host) hosts.add(request.headers.host.toLowerCase());
  const remote = { db: deps.db, store: deps.registry.store, keyring: deps.keyring, ...(deps.egress ? { egress: deps.egress } : {}) };
  return {
    db: deps.db,
    registry: deps.registry,
    dataDir: deps.dataDir,
    maxArtifactBytes: deps.maxArtifactBytes,
    ...(deps.unpackLimits ? { unpackLimits: deps.unpackLimits } : {}),
    selfHosts: [...hosts],
    remoteBase: (reference: string, target: Repository, workspaceId: string) => remoteBase(remote, reference, target, workspaceId),
    keyring: deps.keyring,
    gitHosts: gitHosts(deps),
  };
}

export const gitRoutes = [
  defineRoute({
    method: 'PUT',
    path: `${project}/git`,
    operationId: 'linkGitSource',
    summary: "Links (or re-links) the project's git repository: URL, default branch, branch-environment patterns, a write-only credential, runtime and base",
    tag: 'git',
    scope: 'project',
    permission: 'project.write',
    body: gitLinkBody,
    response: gitSourceSchema,
    handler: async ({ deps, access, body }) => linkGitSource({ db: deps.db, keyring: deps.keyring, hosts: gitHosts(deps) }, access, body),
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/git`,
    operationId: 'getGitSource',
    summary: "The project's git source (the credential only as set or none)",
    tag: 'git',
    scope: 'project',
    permission: 'project.read',
    response: gitSourceSchema,
    handler: async ({ deps, access }) => toGitSource(access.project.name, await requireGitSource(deps.db, access)),
  }),
  defineRoute({
    method: 'DELETE',
    path: `${project}/git`,
    operationId: 'unlinkGitSource',
    summary: "Unlinks the project's git repository (its credential is deleted; built images stay)",
    tag: 'git',
    scope: 'project',
    permission: 'project.write',
    response: deletedSchema,
    handler: async ({ deps, access }) => {
      await unlinkGitSource(deps.db, access);
      return { deleted: access.project.name };
    },
  }),
  defineRoute({
    method: 'POST',
    path: `${project}/git/builds`,
    operationId: 'buildGitCommit',
    summary: 'Fetches and builds a commit now (default: the head of the default branch), then deploys it as a push to that ref would: the default branch to the first environment',
    tag: 'git',
    scope: 'project',
    permission: 'image.push',
    body: gitBuildBody,
    status: 201,
    response: gitBuildResultSchema,
    handler: async ({ deps, access, body, request }) => {
      const source = await requireGitSource(deps.db, access);
      const deploy = body.deploy !== false;
      if (deploy) assertCan(access.role, 'deploy.run');
      const built = await buildCommit(gitBuildDeps(deps, request), access, { ref: body.ref ?? source.default_branch });
      const branch = built.ref.startsWith('refs/heads/') ? built.ref.slice('refs/heads/'.length) : null;
      if (!deploy || branch !== source.default_branch) return { ...built, deploy: null };
      const environment = await defaultEnvironment(deps.db, access);
      const r = await deployBuild({ db: deps.db, keyring: deps.keyring, enqueue: (id) => deps.deploy.enqueue(id) }, access, built, environment);
      return { ...built, deploy: { environment, deployment: r.deployment?.id ?? null, releaseNumber: r.deployment?.releaseNumber ?? null, approval: r.promotion?.id ?? null } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/git/builds`,
    operationId: 'listGitBuilds',
    summary: "The project's recent git builds (newest first, at most 20)",
    tag: 'git',
    scope: 'project',
    permission: 'project.read',
    response: gitBuildListSchema,
    handler: async ({ deps, access }) => listGitBuilds(deps.db, access),
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/git/builds/{build}`,
    operationId: 'getGitBuild',
    summary: 'One git build with its log',
    tag: 'git',
    scope: 'project',
    permission: 'project.read',
    params: gitBuildParam,
    response: gitBuildDetailSchema,
    handler: async ({ deps, access, params }) => getGitBuild(deps.db, access, params.build),
  }),
];
