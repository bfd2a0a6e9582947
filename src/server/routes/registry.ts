/** Routes: a project's images, its registry policy, and the instance-wide garbage collection. */
import { z } from 'zod';
import { SlipwayError } from '../../core/errors.js';
import { recordAudit } from '../../audit/audit.js';
import { actorOf } from '../../tenancy/principal.js';
import { environmentsRunning, imagesInUse } from '../../releases/releases.js';
import { collectGarbage } from '../../registry/gc.js';
import { listImages, setPolicy } from '../../registry/images.js';
import { emptyRepository, findProjectRepository, repositoryOfProject } from '../../registry/repositories.js';
import { defineRoute } from '../http/route.js';
import { timestamp } from '../http/schemas.js';
import type { Db } from '../../store/schema.js';

const imageSchema = z
  .object({
    digest: z.string(),
    mediaType: z.string(),
    size: z.number().int(),
    version: z.string().nullable(),
    tags: z.array(z.string()),
    artifactDigest: z.string().nullable(),
    createdAt: timestamp,
    environments: z.array(z.string()),
  })
  .meta({ id: 'Image' });

const policySchema = z.object({ repository: z.string(), keepVersions: z.number().int(), protectedTags: z.array(z.string()) }).meta({ id: 'RegistryPolicy' });
const tagPattern = z.string().regex(/^[A-Za-z0-9_.*-]{1,128}$/, 'a tag pattern: tag characters and * as wildcard');

const gcReportSchema = z
  .object({
    dryRun: z.boolean(),
    images: z.array(z.object({ repository: z.string(), digest: z.string(), tags: z.array(z.string()) })),
    kept: z.array(z.object({ repository: z.string(), digest: z.string(), reason: z.string() })),
    links: z.number().int(),
    blobs: z.object({ count: z.number().int(), bytes: z.number().int() }),
    uploads: z.number().int(),
  })
  .meta({ id: 'GcReport' });

const project = '/api/v1/workspaces/{workspace}/projects/{project}';

/** The project's repository for a read: reading never creates its row (an empty one reads as such). */
async function readRepository(db: Db, access: { workspace: { id: string; name: string }; project: { id: string; name: string } }) {
  return (await findProjectRepository(db, access.project.id)) ?? emptyRepository(`${access.workspace.name}/${access.project.name}`, { workspaceId: access.workspace.id, projectId: access.project.id });
}

export const registryRoutes = [
  defineRoute({
    method: 'GET',
    path: `${project}/images`,
    operationId: 'listImages',
    summary: "The project's images: versions, digests, sizes, tags, which environments run them",
    tag: 'registry',
    scope: 'project',
    permission: 'image.read',
    response: z.object({ repository: z.string(), images: z.array(imageSchema) }),
    handler: async ({ deps, access }) => {
      const repo = await readRepository(deps.db, access);
      return { repository: repo.name, images: await listImages(deps.db, repo, await environmentsRunning(deps.db, access.project.id)) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/registry-policy`,
    operationId: 'getRegistryPolicy',
    summary: "The project's retention (newest N versions kept) and protected tag patterns",
    tag: 'registry',
    scope: 'project',
    permission: 'image.read',
    response: policySchema,
    handler: async ({ deps, access }) => {
      const repo = await readRepository(deps.db, access);
      return { repository: repo.name, keepVersions: repo.keepVersions, protectedTags: repo.protectedTags };
    },
  }),
  defineRoute({
    method: 'PATCH',
    path: `${project}/registry-policy`,
    operationId: 'setRegistryPolicy',
    summary: "Changes the project's retention and protected tag patterns",
    tag: 'registry',
    scope: 'project',
    permission: 'registry.policy',
    body: z.strictObject({ keepVersions: z.number().int().min(1).max(10_000).optional(), protectedTags: z.array(tagPattern).max(50).optional() }),
    response: policySchema,
    handler: async ({ deps, access, body }) => {
      const repo = await repositoryOfProject(deps.db, access.workspace, access.project);
      const policy = await setPolicy(deps.db, repo, body);
      await recordAudit(deps.db, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'registry.policy', targetType: 'project', target: access.project.name, details: { ...policy } });
      return { repository: repo.name, ...policy };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/registry/gc',
    operationId: 'collectGarbage',
    summary: 'Applies every retention policy, then collects unreferenced blobs older than the grace period (instance admins)',
    tag: 'registry',
    scope: 'principal',
    body: z.strictObject({ dryRun: z.boolean().default(false), graceSeconds: z.number().int().min(0).max(30 * 86400).default(3600) }),
    response: gcReportSchema,
    handler: async ({ deps, principal, body }) => {
      if (!principal.instanceAdmin || principal.scope) throw new SlipwayError('SLW_FORBIDDEN', 'garbage collection spans every workspace: use an instance admin token (the first one is in <data-dir>/admin-token)');
      const report = await collectGarbage(deps.registry.store, (projectId) => imagesInUse(deps.db, projectId), { dryRun: body.dryRun, graceMs: body.graceSeconds * 1000 });
      if (!body.dryRun) deps.logger.info({ images: report.images.length, blobs: report.blobs.count, bytes: report.blobs.bytes }, 'registry garbage collected');
      return report;
    },
  }),
];
