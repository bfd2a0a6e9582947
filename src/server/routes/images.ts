/** Routes: building an image from an uploaded artifact. */
import { z } from 'zod';
import { buildFromUpload, reuseEarlierBuild } from '../../images/build-service.js';
import { isSlipwayError, SlipwayError } from '../../core/errors.js';
import { withApiErrors } from '../../images/errors.js';
import { ownBase } from '../../images/base-images.js';
import { importImage, remoteBase } from '../../images/remote.js';
import { repositoryOfProject, type Repository } from '../../registry/repositories.js';
import { defineRoute } from '../http/route.js';
import type { ServerDeps } from '../deps.js';
import type { FastifyRequest } from 'fastify';
import { recordAudit } from '../../audit/audit.js';
import { actorOf } from '../../tenancy/principal.js';
import { parseRuntime } from '../../builder/runtimes/detect.js';
import { runtimes } from '../../builder/types.js';

const buildResultSchema = z
  .object({
    repository: z.string(),
    version: z.string(),
    digest: z.string(),
    mediaType: z.string(),
    tags: z.array(z.string()),
    runtime: z.enum(['java', 'static', 'node']),
    artifactDigest: z.string(),
    artifactBytes: z.number().int(),
    size: z.number().int(),
    base: z.object({ reference: z.string(), digest: z.string() }),
    newBlobs: z.number().int(),
    steps: z.array(z.object({ name: z.string(), ms: z.number() })),
  })
  .meta({ id: 'BuildResult' });

/** Host names under which this request reached the server: its own registry's names. */
function selfHosts(deps: ServerDeps, request: FastifyRequest): string[] {
  const hosts = new Set<string>(deps.selfHosts);
  if (request.headers.host) hosts.add(request.headers.host.toLowerCase());
  return [...hosts];
}

const project = '/api/v1/workspaces/{workspace}/projects/{project}';

/** `java`, `static` or `node`; anything else is SLW_RUNTIME_UNKNOWN (never looked up as given). */
const runtimeSchema = z
  .string()
  .superRefine((value, ctx) => {
    try {
      parseRuntime(value);
    } catch (error) {
      if (!isSlipwayError(error)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message, params: { code: error.code } });
    }
  })
  .meta({ enum: [...runtimes], description: 'java, static or node; detected when absent' });

/** What the build and import routes need from the server. */
function remoteServices(deps: ServerDeps) {
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
    query: z.strictObject({
      version: z.string().min(1).max(128).meta({ description: 'the version tag (immutable)' }),
      runtime: runtimeSchema.optional(),
      base: z.string().min(1).max(512).optional().meta({ description: 'base image reference; a default per runtime when absent' }),
    }),
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
    body: z.strictObject({
      version: z.string().min(1).max(128),
      artifactDigest: z.string().regex(/^sha256:[a-f0-9]{64}$/, 'sha256:<64 hex>'),
      artifactBytes: z.number().int().min(1),
      runtime: runtimeSchema.optional(),
      base: z.string().min(1).max(512).optional(),
    }),
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
    body: z.strictObject({
      source: z.string().min(1).max(1024).meta({ description: 'image reference, e.g. ghcr.io/acme/api:1.4.2 or …@sha256:…', examples: ['127.0.0.1:9/ci/app:1.0.0'] }),
      version: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, 'a version tag: letters, digits, ., _ and -, at most 128').meta({ description: 'the version tag (immutable)' }),
    }),
    status: 201,
    response: z.object({ repository: z.string(), version: z.string(), digest: z.string(), mediaType: z.string(), source: z.string(), size: z.number().int() }).meta({ id: 'ImportResult' }),
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
