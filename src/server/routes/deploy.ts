/** Routes: deploys, promotions with approval (and their preview), rollback, status, deploy logs and workspace changes as SSE. */
import { z } from 'zod';
import { actorOf } from '../../tenancy/principal.js';
import { currentRelease, findDeployment, requestDeploy, toDeployment } from '../../deploy/deployments.js';
import { decide, getPromotion, listPromotions, promote } from '../../deploy/promotions.js';
import { environmentStatus, resolveImage, rollbackTarget } from '../../deploy/queries.js';
import { previewPromotion } from '../../deploy/preview.js';
import { streamDeployEvents, streamRuntimeLogs, streamWorkspaceChanges } from '../../deploy/sse.js';
import { withStreamSlot } from '../http/stream-limits.js';
import { defineRoute } from '../http/route.js';
import { timestamp } from '../http/schemas.js';

const deploymentSchema = z
  .object({
    id: z.string(),
    environment: z.string(),
    releaseNumber: z.number().int(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed']),
    phase: z.string(),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'Deployment' });

const promotionSchema = z
  .object({
    id: z.string(),
    project: z.string(),
    from: z.string(),
    to: z.string(),
    fromRelease: z.number().int(),
    imageDigest: z.string(),
    version: z.string().nullable(),
    status: z.enum(['pending-approval', 'rejected', 'deploying', 'succeeded', 'failed']),
    requestedBy: z.string().nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: timestamp.nullable(),
    reason: z.string().nullable(),
    deploymentId: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'Promotion' });

const started = z.object({ deployment: deploymentSchema, releaseNumber: z.number().int() });
const previewSide = z.object({
  environment: z.string(),
  release: z.object({ number: z.number().int(), version: z.string().nullable(), imageDigest: z.string(), configVersion: z.number().int() }).nullable(),
});
const keyDiff = z.object({ onlyInFrom: z.array(z.string()), onlyInTo: z.array(z.string()), differ: z.array(z.string()) }).meta({ description: 'names only, sorted; never a value' });
const project = '/api/v1/workspaces/{workspace}/projects/{project}';
const environment = `${project}/environments/{environment}`;

export const deployRoutes = [
  defineRoute({
    method: 'POST',
    path: `${environment}/deployments`,
    operationId: 'deploy',
    summary: 'Deploys an image (by version or digest) to the environment as a new release; returns at once',
    tag: 'deploy',
    scope: 'environment',
    permission: 'deploy.run',
    body: z.strictObject({ version: z.string().min(1).max(128).optional(), digest: z.string().optional() }),
    status: 202,
    response: started,
    handler: async ({ deps, access, body }) => {
      const image = await resolveImage(deps.db, access, body);
      const { deployment, release } = await requestDeploy(deps.db, access, { imageDigest: image.digest, version: image.version, trigger: 'deploy', actor: actorOf(access.principal) });
      deps.deploy.enqueue(access.environment.id);
      return { deployment, releaseNumber: release.number };
    },
  }),
  defineRoute({
    method: 'POST',
    path: `${environment}/rollback`,
    operationId: 'rollback',
    summary: "A new release with an earlier release's image and config snapshot (default: the previous successful one)",
    tag: 'deploy',
    scope: 'environment',
    permission: 'deploy.run',
    body: z.strictObject({ to: z.number().int().min(1).optional() }),
    status: 202,
    response: started,
    handler: async ({ deps, access, body }) => {
      const target = await rollbackTarget(deps.db, access, body.to);
      const { deployment, release } = await requestDeploy(deps.db, access, {
        imageDigest: target.image_digest,
        version: target.version_tag,
        trigger: 'rollback',
        actor: actorOf(access.principal),
        configVersion: target.config_version,
        secretVersions: JSON.parse(target.secret_versions) as Record<string, { scope: string; version: number }>,
      });
      deps.deploy.enqueue(access.environment.id);
      return { deployment, releaseNumber: release.number };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/workspaces/{workspace}/deployments/{deployment}',
    operationId: 'getDeployment',
    summary: 'One deployment: its release, status and phase',
    tag: 'deploy',
    scope: 'workspace',
    permission: 'release.read',
    params: z.object({ deployment: z.string().max(64) }),
    response: deploymentSchema.extend({ project: z.string() }),
    handler: async ({ deps, access, params }) => {
      const d = await findDeployment(deps.db, access.workspace.id, params.deployment);
      return { ...toDeployment(d.environment, d.row), project: d.project };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/workspaces/{workspace}/deployments/{deployment}/events',
    operationId: 'streamDeploymentEvents',
    summary: "A deployment's log as server-sent events (ids; resume with Last-Event-ID; pings); ends when the deployment does",
    tag: 'deploy',
    scope: 'workspace',
    permission: 'release.read',
    params: z.object({ deployment: z.string().max(64) }),
    response: z.unknown().meta({ description: 'text/event-stream: `event: log` with {step, level, message, at}, then `event: end` with {status, error}' }),
    handler: async ({ deps, access, params, request, reply }) => {
      const d = await findDeployment(deps.db, access.workspace.id, params.deployment);
      await withStreamSlot(deps, access.principal.tokenId, () => streamDeployEvents(deps.db, d.row.id, request, reply));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/workspaces/{workspace}/events',
    operationId: 'streamWorkspaceEvents',
    summary: "The workspace's deployment and promotion state changes as server-sent events, live (no replay: refetch on connect); pings",
    tag: 'deploy',
    scope: 'workspace',
    permission: 'release.read',
    response: z.unknown().meta({ description: 'text/event-stream: `event: change` with {kind: deployment|promotion, id, project, environment, status, at}' }),
    handler: async ({ deps, access, request, reply }) => {
      await withStreamSlot(deps, access.principal.tokenId, () => streamWorkspaceChanges(access.workspace.id, request, reply));
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${environment}/logs`,
    operationId: 'streamRuntimeLogs',
    summary: "The output of the environment's running containers as server-sent events, following",
    tag: 'deploy',
    scope: 'environment',
    permission: 'release.read',
    query: z.strictObject({ tail: z.coerce.number().int().min(0).max(50).default(20) }),
    response: z.unknown().meta({ description: 'text/event-stream: `event: log` with {replica, stream, line}' }),
    handler: async ({ deps, access, request, reply, query }) => {
      const release = await currentRelease(deps.db, access.environment.id);
      const labels = release ? { 'io.slipway.environment-id': access.environment.id, 'io.slipway.release': String(release.number) } : null;
      const why = !deps.deploy.target ? 'this server runs without the deploy engine (start it with --proxy-listen)' : !release ? `${access.project.name}/${access.environment.name} runs nothing yet` : undefined;
      await withStreamSlot(deps, access.principal.tokenId, () => streamRuntimeLogs(why ? null : deps.deploy.target, labels ?? {}, request, reply, query.tail, why));
    },
  }),
  defineRoute({
    method: 'POST',
    path: `${project}/promotions`,
    operationId: 'promote',
    summary: "Promotes the image of one environment's current release to another (no build); waits for approval where required",
    tag: 'deploy',
    scope: 'project',
    permission: 'deploy.run',
    body: z.strictObject({ from: z.string().min(1).max(63), to: z.string().min(1).max(63) }),
    status: 201,
    response: z.object({ promotion: promotionSchema, deployment: deploymentSchema.nullable() }),
    handler: async ({ deps, access, body }) => {
      const result = await promote(deps.db, access, body.from, body.to);
      if (result.deployment) deps.deploy.enqueue((await deps.db.selectFrom('deployments').select('environment_id').where('id', '=', result.deployment.id).executeTakeFirstOrThrow()).environment_id);
      return result;
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/promotions/preview`,
    operationId: 'previewPromotion',
    summary: 'What promoting one environment to another would change: releases, image, approval, and the config keys and secret names that differ (names only)',
    tag: 'deploy',
    scope: 'project',
    permission: 'release.read',
    query: z.strictObject({ from: z.string().min(1).max(63), to: z.string().min(1).max(63) }),
    response: z.object({ from: previewSide, to: previewSide, imageChanges: z.boolean(), requiresApproval: z.boolean(), config: keyDiff, secrets: keyDiff }),
    handler: async ({ deps, access, query }) => previewPromotion(deps.db, access, query.from, query.to),
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/promotions`,
    operationId: 'listPromotions',
    summary: "The project's promotions, newest first",
    tag: 'deploy',
    scope: 'project',
    permission: 'release.read',
    query: z.strictObject({ status: z.enum(['pending-approval', 'rejected', 'deploying', 'succeeded', 'failed']).optional() }),
    response: z.object({ promotions: z.array(promotionSchema) }),
    handler: async ({ deps, access, query }) => ({ promotions: await listPromotions(deps.db, access, access.project.id, query.status) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/v1/workspaces/{workspace}/promotions/{promotion}',
    operationId: 'getPromotion',
    summary: 'One promotion with who asked and who decided',
    tag: 'deploy',
    scope: 'workspace',
    permission: 'release.read',
    params: z.object({ promotion: z.string().max(64) }),
    response: promotionSchema,
    handler: async ({ deps, access, params }) => getPromotion(deps.db, access, params.promotion),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/workspaces/{workspace}/promotions/{promotion}/approve',
    operationId: 'approvePromotion',
    summary: 'Approves a pending promotion and starts its deploy (admins and owners; not the requester while another approver exists)',
    tag: 'deploy',
    scope: 'workspace',
    permission: 'promotion.approve',
    params: z.object({ promotion: z.string().max(64) }),
    response: z.object({ promotion: promotionSchema, deployment: deploymentSchema.nullable() }),
    handler: async ({ deps, access, params }) => {
      const result = await decide(deps.db, access, params.promotion, 'approve');
      if (result.deployment) deps.deploy.enqueue((await deps.db.selectFrom('deployments').select('environment_id').where('id', '=', result.deployment.id).executeTakeFirstOrThrow()).environment_id);
      return result;
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/workspaces/{workspace}/promotions/{promotion}/reject',
    operationId: 'rejectPromotion',
    summary: 'Rejects a pending promotion (admins and owners)',
    tag: 'deploy',
    scope: 'workspace',
    permission: 'promotion.approve',
    params: z.object({ promotion: z.string().max(64) }),
    body: z.strictObject({ reason: z.string().max(500).optional() }),
    response: z.object({ promotion: promotionSchema, deployment: deploymentSchema.nullable() }),
    handler: async ({ deps, access, params, body }) => decide(deps.db, access, params.promotion, 'reject', body.reason),
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/status`,
    operationId: 'projectStatus',
    summary: "Each environment's running release, its replicas' health, and any deploy in progress",
    tag: 'deploy',
    scope: 'project',
    permission: 'release.read',
    response: z.object({
      environments: z.array(
        z.object({
          name: z.string(),
          domain: z.string(),
          release: z
            .object({ number: z.number().int(), version: z.string().nullable(), imageDigest: z.string(), configVersion: z.number().int(), finishedAt: timestamp.nullable(), trigger: z.string(), actor: z.string().nullable().meta({ description: 'e-mail of the user who made the release' }) })
            .nullable(),
          replicas: z.object({ running: z.number().int(), desired: z.number().int() }),
          health: z.enum(['healthy', 'degraded', 'down', 'not-deployed', 'unknown']),
          deploying: deploymentSchema.nullable(),
        }),
      ),
    }),
    handler: async ({ deps, access }) => ({ environments: await environmentStatus(deps.db, access, deps.deploy.target) }),
  }),
];
