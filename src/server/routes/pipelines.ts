/** Routes: a project's manifest (apply, show, review), its schedules (list, pause, resume), pipeline runs (trigger, list, read, cancel) and a run's log as SSE. */
import {
  manifestApplyBody,
  manifestReviewBody,
  pipelineParam,
  pipelineRunSchema,
  pipelineScheduleListSchema,
  projectManifestSchema,
  runListQuery,
  runListSchema,
  runLogStream,
  runParam,
  runTriggerBody,
  runTriggeredSchema,
  schedulePauseBody,
} from '../../api/pipelines.js';
import { resumeAfter } from '../../deploy/streams.js';
import { runLog } from '../../pipelines/logs.js';
import { applyManifest, pipelineJobs, showManifest } from '../../pipelines/manifests.js';
import { assertMayRunImage, reviewManifest } from '../../pipelines/review.js';
import { listSchedules, pauseSchedules } from '../../pipelines/schedules.js';
import { cancelRun, findRun, imageOf, listRuns, toRunInfo, triggerRun } from '../../pipelines/runs.js';
import { sendEventStream } from '../http/event-stream.js';
import { defineRoute } from '../http/route.js';

const project = '/api/v1/workspaces/{workspace}/projects/{project}';
const environment = `${project}/environments/{environment}`;
const run = '/api/v1/workspaces/{workspace}/pipeline-runs/{run}';

export const pipelineRoutes = [
  defineRoute({
    method: 'PUT',
    path: `${project}/manifest`,
    operationId: 'applyManifest',
    summary: "Applies a manifest (slipway.yaml) to the project: its pipelines, release step and gates; a malformed one is refused with file:line:column and nothing is stored",
    tag: 'pipelines',
    scope: 'project',
    permission: 'project.write',
    body: manifestApplyBody,
    response: projectManifestSchema,
    handler: async ({ deps, access, body }) => applyManifest(deps.db, access, body.yaml, { file: body.file ?? 'slipway.yaml', source: 'upload' }),
  }),
  defineRoute({
    method: 'POST',
    path: `${project}/manifest/review`,
    operationId: 'reviewManifest',
    summary: "Reviews the project's manifest (admins and owners): from then on environments that require approval run its pipelines and release step. Names the digest of the text reviewed; a manifest replaced meanwhile is refused (SLW_MANIFEST_CHANGED)",
    tag: 'pipelines',
    scope: 'project',
    permission: 'promotion.approve',
    body: manifestReviewBody,
    response: projectManifestSchema,
    handler: async ({ deps, access, body }) => {
      await reviewManifest(deps.db, access, body.digest);
      return showManifest(deps.db, access);
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/manifest`,
    operationId: 'getManifest',
    summary: "The project's applied manifest: its pipelines, release step and gates",
    tag: 'pipelines',
    scope: 'project',
    permission: 'project.read',
    response: projectManifestSchema,
    handler: async ({ deps, access }) => showManifest(deps.db, access),
  }),
  defineRoute({
    method: 'POST',
    path: `${environment}/pipelines/{pipeline}/runs`,
    operationId: 'runPipeline',
    summary: "Triggers a run of the pipeline against the environment (its config, secrets and services); '$build' jobs run the environment's current release unless an image is named. Answers started, queued (one runs) or coalesced (one waits already: that run)",
    tag: 'pipelines',
    scope: 'environment',
    permission: 'deploy.run',
    params: pipelineParam,
    body: runTriggerBody,
    status: 202,
    response: runTriggeredSchema,
    handler: async ({ deps, access, params, body }) => {
      // An unknown pipeline is said before anything about the image.
      await pipelineJobs(deps.db, access, params.pipeline);
      const imageDigest = body?.image === undefined ? undefined : await imageOf(deps.db, access, body.image);
      if (imageDigest) await assertMayRunImage(deps.db, access, imageDigest);
      const r = await triggerRun(deps.db, access, {
        pipeline: params.pipeline,
        ...(imageDigest ? { imageDigest } : {}),
        reason: body?.reason ?? 'run by hand',
        trigger: { kind: 'manual', by: access.principal.email },
      });
      return { run: await toRunInfo(deps.db, r.run), outcome: r.outcome };
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/pipeline-runs`,
    operationId: 'listPipelineRuns',
    summary: "The project's pipeline runs (and release steps), newest first",
    tag: 'pipelines',
    scope: 'project',
    permission: 'release.read',
    query: runListQuery,
    response: runListSchema,
    handler: async ({ deps, access, query }) => ({ runs: await listRuns(deps.db, access, query) }),
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/pipeline-schedules`,
    operationId: 'listPipelineSchedules',
    summary: "The schedules of the project's manifest: each pipeline's cron (UTC) and environment, its next slot and what its last slot did",
    tag: 'pipelines',
    scope: 'project',
    permission: 'release.read',
    response: pipelineScheduleListSchema,
    handler: async ({ deps, access }) => ({ schedules: await listSchedules(deps.db, access) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: `${project}/pipelines/{pipeline}/schedules`,
    operationId: 'pausePipelineSchedules',
    summary: "Pauses or resumes the pipeline's schedules (against one environment when named) without changing the manifest; a resumed schedule starts from its next slot. Answers the project's schedules",
    tag: 'pipelines',
    scope: 'project',
    permission: 'deploy.run',
    params: pipelineParam,
    body: schedulePauseBody,
    response: pipelineScheduleListSchema,
    handler: async ({ deps, access, params, body }) => ({ schedules: await pauseSchedules(deps.db, access, params.pipeline, body) }),
  }),
  defineRoute({
    method: 'GET',
    path: run,
    operationId: 'getPipelineRun',
    summary: 'One pipeline run with its jobs',
    tag: 'pipelines',
    scope: 'workspace',
    permission: 'release.read',
    params: runParam,
    response: pipelineRunSchema,
    handler: async ({ deps, access, params }) => toRunInfo(deps.db, await findRun(deps.db, access, params.run)),
  }),
  defineRoute({
    method: 'POST',
    path: `${run}/cancel`,
    operationId: 'cancelPipelineRun',
    summary: 'Cancels a run: a waiting one at once, a running one once its job is stopped',
    tag: 'pipelines',
    scope: 'workspace',
    permission: 'deploy.run',
    params: runParam,
    status: 202,
    response: pipelineRunSchema,
    handler: async ({ deps, access, params }) => toRunInfo(deps.db, await cancelRun(deps.db, await findRun(deps.db, access, params.run), access.principal.email)),
  }),
  defineRoute({
    method: 'GET',
    path: `${run}/logs`,
    operationId: 'streamPipelineRunLogs',
    summary: "A run's log as server-sent events (ids; resume with Last-Event-ID; pings); ends when the run does",
    tag: 'pipelines',
    scope: 'workspace',
    permission: 'release.read',
    params: runParam,
    response: runLogStream,
    handler: async ({ deps, access, params, request, reply }) => {
      const found = await findRun(deps.db, access, params.run);
      const header = request.headers['last-event-id'];
      const raw = (request.query ?? {}) as Record<string, string | undefined>;
      const after = resumeAfter(Array.isArray(header) ? header[0] : header, raw.after);
      await sendEventStream(deps, access.principal.tokenId, reply, () => (signal) => runLog(deps.db, found.id, after, raw.follow !== 'false', signal), { retryMs: 1000 });
    },
  }),
];
