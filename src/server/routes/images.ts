/** Routes: building an image from an uploaded artifact. */
import { z } from 'zod';
import { buildFromUpload } from '../../images/build-service.js';
import { defineRoute } from '../http/route.js';
import type { ServerDeps } from '../deps.js';
import type { FastifyRequest } from 'fastify';

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
      runtime: z.string().optional().meta({ description: 'java, static or node; detected when absent' }),
      base: z.string().min(1).max(512).optional().meta({ description: 'base image reference; a default per runtime when absent' }),
    }),
    rawBody: { contentType: 'application/octet-stream', description: 'the artifact: a JAR, a tar/tar.gz or a zip' },
    status: 201,
    response: buildResultSchema,
    handler: async ({ deps, access, query, request }) => {
      const length = request.headers['content-length'];
      return buildFromUpload(
        { db: deps.db, registry: deps.registry, dataDir: deps.dataDir, maxArtifactBytes: deps.maxArtifactBytes, selfHosts: selfHosts(deps, request) },
        access,
        query,
        request.raw,
        length === undefined ? undefined : Number(length),
      );
    },
  }),
];
