/** Routes: deploys, promotions with approval (and their preview), rollback, status, deploy logs and workspace changes as SSE. */
import {
  deployBody,
  deploymentInProjectSchema,
  deploymentParam,
  projectStatusSchema,
  promotionStartedSchema,
  rollbackBody,
  scaleBody,
  scaleStartedSchema,
  startedSchema,
} from '../../api/deploy.js';
import { deployLogStream, runtimeLogQuery, runtimeLogStream, workspaceChangeStream } from '../../api/streams.js';
import { previewQuery, promoteBody, promotionListQuery, promotionListSchema, promotionParam, promotionPreviewSchema, promotionSchema, rejectBody } from '../../api/promotions.js';
import { currentRelease, findDeployment, toDeployment } from '../../deploy/deployments.js';
import { changeRunning, decide, getPromotion, listPromotions, promote } from '../../deploy/promotions.js';
import { scale } from '../../deploy/scale.js';
import { getSettings } from '../../deploy/settings.js';
import { releaseIds } from '../../deploy/spec.js';
import { workloadName } from '../../core/deploy.js';
import { healthGatesOf } from '../../deploy/health-gate-store.js';
import { environmentStatus, resolveImage, rollbackTarget } from '../../deploy/queries.js';
import { previewPromotion } from '../../deploy/preview.js';
import { deployLog, resumeAfter, runtimeOutput, workspaceChangeEvents } from '../../deploy/streams.js';
import { sendEventStream } from '../http/event-stream.js';
import { defineRoute } from '../http/route.js';

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
    body: deployBody,
    status: 202,
    response: startedSchema,
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
    body: rollbackBody,
    status: 202,
    response: startedSchema,
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
    body: scaleBody,
    status: 202,
    response: scaleStartedSchema,
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
    params: deploymentParam,
    response: deploymentInProjectSchema,
    handler: async ({ deps, access, params }) => {
      const d = await findDeployment(deps.db, access.workspace.id, params.deployment);
      return { ...toDeployment(d.environment, d.row), project: d.project, healthGate: (await healthGatesOf(deps.db, [d.row.id])).get(d.row.id) ?? null };
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
    params: deploymentParam,
    response: deployLogStream,
    handler: async ({ deps, access, params, request, reply }) => {
      const d = await findDeployment(deps.db, access.workspace.id, params.deployment);
      const header = request.headers['last-event-id'];
      const raw = (request.query ?? {}) as Record<string, string | undefined>;
      const after = resumeAfter(Array.isArray(header) ? header[0] : header, raw.after);
      await sendEventStream(deps, access.principal.tokenId, reply, () => (signal) => deployLog(deps.db, d.row.id, after, raw.follow !== 'false', signal), { retryMs: 1000 });
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
    response: workspaceChangeStream,
    handler: async ({ deps, access, reply }) => {
      await sendEventStream(deps, access.principal.tokenId, reply, () => (signal) => workspaceChangeEvents(access.workspace.id, signal), { retryMs: 1000 });
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
    query: runtimeLogQuery,
    response: runtimeLogStream,
    handler: async ({ deps, access, reply, query }) => {
      const release = await currentRelease(deps.db, access.environment.id);
      const settings = await getSettings(deps.db, access);
      const target = release ? deps.deploy.placements.resolve(settings.target).target : null;
      const workload = release ? workloadName(releaseIds(access, release.number)) : null;
      const why = release ? undefined : `${access.project.name}/${access.environment.name} runs nothing yet`;
      await sendEventStream(deps, access.principal.tokenId, reply, () => runtimeOutput(target, workload, query.tail, why));
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
    body: promoteBody,
    status: 201,
    response: promotionStartedSchema,
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
    query: previewQuery,
    response: promotionPreviewSchema,
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
    query: promotionListQuery,
    response: promotionListSchema,
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
    params: promotionParam,
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
    params: promotionParam,
    response: promotionStartedSchema,
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
    params: promotionParam,
    body: rejectBody,
    response: promotionStartedSchema,
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
    response: projectStatusSchema,
    handler: async ({ deps, access }) => ({ environments: await environmentStatus(deps.db, access) }),
  }),
];
