/** Routes: releases (read-only until the deploy engine lands) and the audit log. */
import { z } from 'zod';
import { releaseStatuses, releaseTriggers } from '../../core/releases.js';
import { listAudit } from '../../audit/audit.js';
import { getRelease, listReleases } from '../../releases/releases.js';
import { defineRoute } from '../http/route.js';
import { timestamp } from '../http/schemas.js';

const releaseSchema = z
  .object({
    id: z.string(),
    number: z.number().int(),
    environment: z.string(),
    imageDigest: z.string(),
    version: z.string().nullable(),
    configVersion: z.number().int(),
    secretVersions: z.record(z.string(), z.number().int()),
    status: z.enum(releaseStatuses),
    trigger: z.enum(releaseTriggers),
    actor: z.object({ userId: z.string().nullable(), email: z.string().nullable(), tokenId: z.string().nullable() }),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    message: z.string().nullable(),
  })
  .meta({ id: 'Release' });

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
    query: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
    response: z.object({ releases: z.array(releaseSchema) }),
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
    params: z.object({ number: z.coerce.number().int().min(1) }),
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
    query: z.strictObject({
      action: z.string().max(100).optional().meta({ description: "exact action, or a prefix ending in '.*' (e.g. secret.*)" }),
      targetType: z.string().max(50).optional(),
      actor: z.string().max(320).optional().meta({ description: "actor's e-mail" }),
      since: z.iso.datetime({ offset: true }).optional(),
      before: z.string().max(100).optional().meta({ description: 'only events older than this event id (paging)' }),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
    response: z.object({
      events: z.array(
        z.object({
          id: z.string(),
          at: timestamp,
          actor: z.object({ userId: z.string().nullable(), email: z.string().nullable(), tokenId: z.string().nullable(), tokenName: z.string().nullable() }),
          action: z.string(),
          targetType: z.string(),
          target: z.string(),
          details: z.record(z.string(), z.unknown()),
        }),
      ),
    }),
    handler: async ({ deps, access, query }) => ({
      events: await listAudit(deps.db, access.workspace.id, { ...query, actorEmail: query.actor, since: query.since ? new Date(query.since).toISOString() : undefined }),
    }),
  }),
];
