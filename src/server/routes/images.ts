/** Routes: building an image from an uploaded artifact. */
import { buildLookupBody, buildQuery, buildResultSchema, importBody, importResultSchema } from '../../api/images.js';
import { buildFromUpload, reuseEarlierBuild } from '../../images/build-service.js';
import { SlipwayError } from '../../core/errors.js';
import { withApiErrors } from '../../images/errors.js';
import { ownBase } from '../../images/base-images.js';
import { importImage, remoteBase } from '../../images/remote.js';
import { repositoryOfProject, type Repository } from '../../registry/repositories.js';
import { defineRoute } from '../http/route.js';
import type { ServerDeps } from '../deps.js';
import type { FastifyRequest } from 'fastify';
import { recordAudit } from '../../audit/audit.js';
import { actorOf } from '../../tenancy/principal.js';

/** Host names under which this request reached the server: its own registry's names. */
export function selfHosts(deps: ServerDeps, request: FastifyRequest): string[] {
  const hosts = new Set<string>(deps.selfHosts);
  if (request.headers.host) hosts.add(request.headers.host.toLowerCase());
  return [...hosts];
}

const project = '/api/v1/workspaces/{workspace}/projects/{project}';

/** What the build and import routes need from the server. */
export function remoteServices(deps: ServerDeps) {
  return { db: deps.db, store: deps.registry.store, keyring: deps.keyring, ...(deps.egress ? { egress: deps.egress } : {}) };
}

function buildServices(deps: ServerDeps, request: FastifyRequest) {
  const remote = remoteServices(deps);
  return {
    db: deps.db,
    registry: deps.registry,
    dataDir: deps.dataDir,
    maxArtifactBytes: deps.maxArtifactBytes,
    ...(deps.unpackLimits ? { unpackLimits: deps.unpackLimits } : {}),
    selfHosts: selfHosts(deps, request),
    remoteBase: (reference: string, target: Repository, workspaceId: string) => remoteBase(remote, reference, target, workspaceId),
  };
}

export const imageRoutes = [
  defineRoute({
    method: 'POST',
    path: `${project}/builds`,
    operationId: 'buildImage',
    summary: "Builds an image from an uploaded artifact (JAR, static site, Node app) into the project's repository",
    tag: 'registry',
    scope: 'project',
    permission: 'image.push',
    query: buildQuery,
    rawBody: { contentType: 'application/octet-stream', description: 'the artifact: a JAR, a tar/tar.gz or a zip' },
    status: 201,
    response: buildResultSchema,
    handler: async ({ deps, access, query, request }) => {
      const length = request.headers['content-length'];
      return withApiErrors(() => buildFromUpload(buildServices(deps, request), access, query, request.raw, length === undefined ? undefined : Number(length)));
    },
  }),
  defineRoute({
    method: 'POST',
    path: `${project}/builds/lookup`,
    operationId: 'lookupBuild',
    summary: 'The image an earlier build of this version made from this artifact (by its sha256) on the same base, so a client can skip the upload',
    tag: 'registry',
    scope: 'project',
    permission: 'image.push',
    body: buildLookupBody,
    response: buildResultSchema,
    handler: async ({ deps, access, body, request }) => {
      const repo = await repositoryOfProject(deps.db, access.workspace, access.project);
      const found = await withApiErrors(() => reuseEarlierBuild(buildServices(deps, request), access, repo, body, body.artifactDigest, body.artifactBytes));
      if (!found) throw new SlipwayError('SLW_IMAGE_NOT_FOUND', `no earlier build of version ${body.version} in ${repo.name}; upload the artifact`);
      return found;
    },
  }),
  defineRoute({
    method: 'POST',
    path: `${project}/images/import`,
    operationId: 'importImage',
    summary: "Copies an image built elsewhere (e.g. by CI) into the project's repository by digest, under an immutable version tag",
    tag: 'registry',
    scope: 'project',
    permission: 'image.push',
    body: importBody,
    status: 201,
    response: importResultSchema,
    handler: async ({ deps, access, body, request }) => {
      const target = await repositoryOfProject(deps.db, access.workspace, access.project);
      const result = await withApiErrors(() =>
        importImage(remoteServices(deps), target, body.source, body.version, {
          hosts: selfHosts(deps, request),
          pull: (name, ref) => ownBase(deps.db, deps.registry, access.principal, body.source, name, ref),
        }),
      );
      await recordAudit(deps.db, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'image.import', targetType: 'image', target: `${target.name}:${body.version}`, details: { digest: result.digest, source: body.source } });
      return result;
    },
  }),
];
