/** Routes: a project's images, its registry policy, and the instance-wide garbage collection. */
import { gcBody, gcReportSchema, imageListSchema, policyBody, policySchema } from '../../api/registry.js';
import { SlipwayError } from '../../core/errors.js';
import { recordAudit } from '../../audit/audit.js';
import { actorOf } from '../../tenancy/principal.js';
import { environmentsRunning, imagesInUse } from '../../releases/releases.js';
import { collectGarbage } from '../../registry/gc.js';
import { listImages, setPolicy } from '../../registry/images.js';
import { emptyRepository, findProjectRepository, repositoryOfProject } from '../../registry/repositories.js';
import { defineRoute } from '../http/route.js';
import type { Db } from '../../store/schema.js';

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
    response: imageListSchema,
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
    body: policyBody,
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
    body: gcBody,
    response: gcReportSchema,
    handler: async ({ deps, principal, body }) => {
      if (!principal.instanceAdmin || principal.scope) throw new SlipwayError('SLW_FORBIDDEN', 'garbage collection spans every workspace: use an instance admin token (the first one is in <data-dir>/admin-token)');
      const report = await collectGarbage(deps.registry.store, (projectId) => imagesInUse(deps.db, projectId), { dryRun: body.dryRun, graceMs: body.graceSeconds * 1000 });
      if (!body.dryRun) deps.logger.info({ images: report.images.length, blobs: report.blobs.count, bytes: report.blobs.bytes }, 'registry garbage collected');
      return report;
    },
  }),
];
