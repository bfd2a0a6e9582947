/** Routes: deploys, promotions with approval (and their preview), rollback, status, deploy logs and workspace changes as SSE. */
import { z } from 'zod';
import { currentRelease, deploymentStatuses, findDeployment, toDeployment } from '../../deploy/deployments.js';
import { changeRunning, decide, getPromotion, listPromotions, promote, promotionStatuses } from '../../deploy/promotions.js';
import { scale } from '../../deploy/scale.js';
import { getSettings } from '../../deploy/settings.js';
import { releaseIds } from '../../deploy/spec.js';
import { workloadName } from '../../core/deploy.js';
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
    kind: z.enum(['release', 'scale']).meta({ description: 'release: rolls out a new release; scale: changes the replicas of the release that runs' }),
    releaseNumber: z.number().int(),
    status: z.enum(deploymentStatuses),
    phase: z.string(),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    error: z.string().nullable(),
    supersededBy: z.string().nullable(),
  })
  .meta({ id: 'Deployment' });

const promotionSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['promotion', 'deploy', 'rollback']).meta({ description: 'what the request changes: a promotion from another environment, a direct deploy, or a rollback' }),
    project: z.string(),
    from: z.string(),
    to: z.string(),
    fromRelease: z.number().int(),
    imageDigest: z.string(),
    version: z.string().nullable(),
    status: z.enum(promotionStatuses),
    requestedBy: z.string().nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: timestamp.nullable(),
    reason: z.string().nullable(),
    deploymentId: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'Promotion' });

const supersededSchema = z.object({ id: z.string(), releaseNumber: z.number().int(), status: z.enum(['cancelled', 'cancelling']) }).nullable().meta({ description: 'the deployment this request superseded: cancelled before it started, or being ended (undone before its traffic switch, completed after it)' });
const started = z.object({
  deployment: deploymentSchema.nullable().meta({ description: 'null while the request waits for approval' }),
  releaseNumber: z.number().int().nullable(),
  approval: promotionSchema.nullable().meta({ description: 'the request waiting for approval, when the environment requires it' }),
  superseded: supersededSchema,
});
const approvalFlags = {
  skipApproval: z.boolean().optional().meta({ description: 'admins and owners: deploy at once although the environment requires approval (recorded in the audit log)' }),
};
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
    body: z.strictObject({
      version: z.string().min(1).max(128).optional(),
      digest: z.string().max(71).optional(),
      supersede: z.boolean().optional().meta({ description: 'end a deployment in progress instead of refusing (undone before its traffic switch, completed after it)' }),
      ...approvalFlags,
    }),
    status: 202,
    response: started,
    handler: async ({ deps, access, body }) => {
      const image = await resolveImage(deps.db, access, body);
      const r = await changeRunning(deps.db, access, 'deploy', image, { skipApproval: body.skipApproval === true, supersede: body.supersede === true, keyring: deps.keyring });
      if (r.deployment) deps.deploy.enqueue(access.environment.id);
      return { deployment: r.deployment, releaseNumber: r.deployment?.releaseNumber ?? null, approval: r.promotion, superseded: r.superseded };
    },
  }),
  defineRoute({
    method: 'POST',
    path: `${environment}/rollback`,
    operationId: 'rollback',
    summary: "A new release with an earlier release's image and config snapshot (default: the previous successful one); supersedes a deploy in progress",
    tag: 'deploy',
    scope: 'environment',
    permission: 'deploy.run',
    body: z.strictObject({ to: z.number().int().min(1).optional(), ...approvalFlags }),
    status: 202,
    response: started,
    handler: async ({ deps, access, body }) => {
      const target = await rollbackTarget(deps.db, access, body.to);
      const r = await changeRunning(deps.db, access, 'rollback', { digest: target.image_digest, version: target.version_tag, release: target.number }, { skipApproval: body.skipApproval === true, keyring: deps.keyring });
      if (r.deployment) deps.deploy.enqueue(access.environment.id);
      return { deployment: r.deployment, releaseNumber: r.deployment?.releaseNumber ?? null, approval: r.promotion, superseded: r.superseded };
    },
  }),
  defineRoute({
    method: 'POST',
    path: `${environment}/scale`,
    operationId: 'scale',
    summary: 'Changes the number of replicas and rolls the release that runs to it at once, without downtime (no new release)',
    tag: 'deploy',
    scope: 'environment',
    permission: 'deploy.run',
    body: z.strictObject({ replicas: z.number().int() }),
    status: 202,
    response: z.object({ deployment: deploymentSchema }),
    handler: async ({ deps, access, body }) => {
      const deployment = await scale(deps.db, access, body.replicas);
      deps.deploy.enqueue(access.environment.id);
      return { deployment };
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
      const settings = await getSettings(deps.db, access);
      const target = release ? deps.deploy.placements.resolve(settings.target).target : null;
      const workload = release ? workloadName(releaseIds(access, release.number)) : null;
      await withStreamSlot(deps, access.principal.tokenId, () => streamRuntimeLogs(target, workload, request, reply, query.tail, release ? undefined : `${access.project.name}/${access.environment.name} runs nothing yet`));
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
    body: z.strictObject({ from: z.string().min(1).max(63), to: z.string().min(1).max(63), ...approvalFlags }),
    status: 201,
    response: z.object({ promotion: promotionSchema, deployment: deploymentSchema.nullable(), superseded: supersededSchema }),
    handler: async ({ deps, access, body }) => {
      const result = await promote(deps.db, access, body.from, body.to, { skipApproval: body.skipApproval === true });
      if (result.deployment) deps.deploy.enqueue((await deps.db.selectFrom('deployments').select('environment_id').where('id', '=', result.deployment.id).executeTakeFirstOrThrow()).environment_id);
      return { ...result, promotion: result.promotion! };
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
    query: z.strictObject({ status: z.enum(promotionStatuses).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
    response: z.object({ promotions: z.array(promotionSchema) }),
    handler: async ({ deps, access, query }) => ({ promotions: await listPromotions(deps.db, access, access.project.id, query.status, query.limit) }),
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
    summary: 'Approves a pending request (promotion, deploy or rollback) and starts its deploy (admins and owners; not the requester while another approver exists)',
    tag: 'deploy',
    scope: 'workspace',
    permission: 'promotion.approve',
    params: z.object({ promotion: z.string().max(64) }),
    response: z.object({ promotion: promotionSchema, deployment: deploymentSchema.nullable(), superseded: supersededSchema }),
    handler: async ({ deps, access, params }) => {
      const result = await decide(deps.db, deps.keyring, access, params.promotion, 'approve');
      if (result.deployment) deps.deploy.enqueue((await deps.db.selectFrom('deployments').select('environment_id').where('id', '=', result.deployment.id).executeTakeFirstOrThrow()).environment_id);
      return result;
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/v1/workspaces/{workspace}/promotions/{promotion}/reject',
    operationId: 'rejectPromotion',
    summary: 'Rejects a pending request (admins and owners)',
    tag: 'deploy',
    scope: 'workspace',
    permission: 'promotion.approve',
    params: z.object({ promotion: z.string().max(64) }),
    body: z.strictObject({ reason: z.string().max(500).optional() }),
    response: z.object({ promotion: promotionSchema, deployment: deploymentSchema.nullable(), superseded: supersededSchema }),
    handler: async ({ deps, access, params, body }) => decide(deps.db, deps.keyring, access, params.promotion, 'reject', body.reason),
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
          target: z.string(),
          release: z
            .object({ number: z.number().int(), version: z.string().nullable(), imageDigest: z.string(), configVersion: z.number().int(), finishedAt: timestamp.nullable(), trigger: z.string(), actor: z.string().nullable().meta({ description: 'e-mail of the user who made the release' }) })
            .nullable(),
          replicas: z.object({ running: z.number().int(), ready: z.number().int(), desired: z.number().int(), observedAt: timestamp.nullable() }).meta({ description: 'as the engine last observed them (after each deploy, and every 30 s)' }),
          health: z.enum(['healthy', 'degraded', 'down', 'not-deployed', 'unknown']),
          deploying: deploymentSchema.nullable(),
        }),
      ),
    }),
    handler: async ({ deps, access }) => ({ environments: await environmentStatus(deps.db, access) }),
  }),
];
