/** Routes: releases (read-only until the deploy engine lands) and the audit log. */
import { auditListSchema, auditQuery, releaseListQuery, releaseListSchema, releaseParam, releaseSchema } from '../../api/releases.js';
import { listAudit } from '../../audit/audit.js';
import { getRelease, listReleases } from '../../releases/releases.js';
import { defineRoute } from '../http/route.js';

const environment = '/api/v1/workspaces/{workspace}/projects/{project}/environments/{environment}';

export const releaseRoutes = [
  defineRoute({
    method: 'GET',
    path: `${environment}/releases`,
    operationId: 'listReleases',
    summary: "An environment's releases, newest first",
    tag: 'releases',
    scope: 'environment',
    permission: 'release.read',
    query: releaseListQuery,
    response: releaseListSchema,
    handler: async ({ deps, access, query }) => ({ releases: await listReleases(deps.db, access, query.limit) }),
  }),
  defineRoute({
    method: 'GET',
    path: `${environment}/releases/{number}`,
    operationId: 'getRelease',
    summary: 'One release by number',
    tag: 'releases',
    scope: 'environment',
    permission: 'release.read',
    params: releaseParam,
    response: releaseSchema,
    handler: async ({ deps, access, params }) => getRelease(deps.db, access, params.number),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/workspaces/{workspace}/audit',
    operationId: 'listAudit',
    summary: "The workspace's audit log, newest first",
    tag: 'audit',
    scope: 'workspace',
    permission: 'audit.read',
    query: auditQuery,
    response: auditListSchema,
    handler: async ({ deps, access, query }) => ({
      events: await listAudit(deps.db, access.workspace.id, { ...query, actorEmail: query.actor, since: query.since ? new Date(query.since).toISOString() : undefined }),
    }),
  }),
];
