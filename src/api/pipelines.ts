/** API shapes: a project's manifest, pipeline runs, their jobs and their log stream. */
import { z } from 'zod';
import { jobStatuses, runStatuses, triggerKinds } from '../core/pipelines.js';
import { logsPrunedAt, timestamp } from './common.js';

/** Matches what the manifest reader accepts (src/manifest/parse.ts refuses larger ones with line-less error). */
const maxManifestText = 256 * 1024;

export const manifestApplyBody = z.strictObject({
  yaml: z.string().max(maxManifestText).meta({ description: 'the manifest as YAML (slipway.yaml)' }),
  file: z.string().max(255).optional().meta({ description: 'the file name errors are reported against (default slipway.yaml)' }),
});

export const manifestReviewBody = z.strictObject({
  digest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, 'a digest sha256:<64 hex digits>, as the manifest shows it')
    .meta({ description: "the manifest's digest as read (GET …/manifest): the review is refused if it was replaced since" }),
});

export const manifestJobSchema = z.object({
  name: z.string(),
  image: z.string().meta({ description: "'$build' (the version being released or tested) or an image reference" }),
  command: z.array(z.string()).nullable(),
  env: z.record(z.string(), z.string()),
  timeoutSeconds: z.number(),
  resources: z.object({ cpuMillis: z.number().nullable(), memoryBytes: z.number().nullable() }),
  volumes: z.array(z.string()).meta({ description: "names of the environment's volumes the job mounts, at the paths the environment gives them (empty: none)" }),
});
export type ManifestJobInfo = z.output<typeof manifestJobSchema>;

export const projectManifestSchema = z
  .object({
    project: z.string(),
    applied: z.boolean().meta({ description: 'false: no manifest was applied to the project yet (no pipelines, no release step, no gates)' }),
    source: z.enum(['upload', 'git']).nullable(),
    commit: z.string().nullable(),
    appliedAt: timestamp.nullable(),
    appliedBy: z.string().nullable(),
    digest: z.string().nullable().meta({ description: "sha256 of the manifest's text; a review names it, so what is reviewed is what was read" }),
    review: z
      .object({
        reviewed: z.boolean().meta({ description: 'an admin or owner applied or reviewed what it runs; until then environments that require approval do not run its jobs' }),
        reviewedAt: timestamp.nullable(),
        reviewedBy: z.string().nullable(),
        protectedEnvironments: z.array(z.string()).meta({ description: 'the environments that require approval: they run its jobs only once reviewed' }),
        diff: z.string().nullable().meta({ description: "while it waits for review: what changed since the text last reviewed, a line each ('- ', '+ ', '  ' context, '…' lines left out); null when reviewed or never reviewed before (read it whole)" }),
      })
      .meta({ description: 'review for protected environments (docs/pipelines.md#review)' }),
    yaml: z.string(),
    pipelines: z.array(z.object({ name: z.string(), jobs: z.array(manifestJobSchema), schedules: z.array(z.object({ cron: z.string(), environment: z.string() })).meta({ description: 'when it runs by itself (cron fields in UTC) and against which environment' }) })),
    release: z.array(manifestJobSchema).nullable().meta({ description: 'the release step: jobs run against the new image before traffic switches' }),
    gates: z.record(z.string(), z.unknown()).meta({ description: 'gates by environment name, as the manifest declares them' }),
  })
  .meta({ id: 'ProjectManifest' });
export type ProjectManifest = z.output<typeof projectManifestSchema>;

export const runJobSchema = z.object({
  name: z.string(),
  image: z.string(),
  status: z.enum(jobStatuses),
  exitCode: z.number().int().nullable(),
  message: z.string().nullable(),
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
});

export const pipelineRunSchema = z
  .object({
    id: z.string(),
    project: z.string(),
    environment: z.string(),
    pipeline: z.string().meta({ description: "the pipeline's name; ':release' for a deployment's release step" }),
    status: z.enum(runStatuses),
    imageDigest: z.string().meta({ description: 'the image $build jobs ran' }),
    trigger: z.object({ kind: z.enum(triggerKinds), by: z.string().nullable() }),
    reason: z.string(),
    promotionId: z.string().nullable(),
    deploymentId: z.string().nullable(),
    cancelRequested: z.boolean(),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    error: z.string().nullable(),
    logsPrunedAt,
    jobs: z.array(runJobSchema),
  })
  .meta({ id: 'PipelineRun' });
export type PipelineRunInfo = z.output<typeof pipelineRunSchema>;

export const runParam = z.object({ run: z.string().max(64) });
export const pipelineParam = z.object({ pipeline: z.string().max(64) });

export const runTriggerBody = z
  .strictObject({
    image: z.string().min(1).max(200).optional().meta({ description: "the image $build jobs run: a version tag or a digest of the project's repository (default: the environment's current release)" }),
    reason: z.string().max(500).optional(),
  })
  .optional();

export const runTriggeredSchema = z.object({
  run: pipelineRunSchema,
  outcome: z.enum(['started', 'queued', 'coalesced']).meta({ description: 'started: runs now; queued: waits for the run in flight; coalesced: joined the run already waiting (its id is returned)' }),
});
export type RunTriggered = z.output<typeof runTriggeredSchema>;

export const runListQuery = z.strictObject({
  environment: z.string().max(63).optional(),
  pipeline: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const runListSchema = z.object({ runs: z.array(pipelineRunSchema) });
export type RunList = z.output<typeof runListSchema>;

/** One line of a run's log, as the stream sends it (the event id is its sequence number). */
export const runLogSchema = z.object({ job: z.string(), stream: z.enum(['stdout', 'stderr', 'system']), line: z.string(), at: timestamp });
export type RunLog = z.output<typeof runLogSchema>;

export const runEndSchema = z.object({ status: z.string(), error: z.string().nullable(), logsPrunedAt });
export type RunEnd = z.output<typeof runEndSchema>;

export const runLogStream = z.unknown().meta({ description: 'text/event-stream: `event: log` with {job, stream, line, at} (id = sequence number; resume with Last-Event-ID), then `event: end` with {status, error, logsPrunedAt} (logsPrunedAt: when log retention removed its output, or null)' });

export const pipelineScheduleSchema = z
  .object({
    pipeline: z.string(),
    environment: z.string(),
    cron: z.string().meta({ description: 'five cron fields, UTC' }),
    nextAt: timestamp.meta({ description: 'the next slot it runs at (while paused: none runs; resuming starts from the next slot after then)' }),
    paused: z.object({ at: timestamp, by: z.string().nullable() }).nullable().meta({ description: 'paused (slipway pipeline pause): its slots do not run until it is resumed; null while it runs' }),
    last: z
      .object({
        slotAt: timestamp,
        outcome: z.enum(['started', 'queued', 'coalesced', 'missed', 'failed']).nullable().meta({ description: "what the slot did: a run started, queued behind the run in flight, coalesced into the one waiting; missed (the server was down past the catch-up time); failed (no such environment, nothing deployed to test…: see error); null while it is being triggered" }),
        runId: z.string().nullable(),
        error: z.string().nullable(),
      })
      .nullable()
      .meta({ description: 'the last slot taken, null before the first' }),
  })
  .meta({ id: 'PipelineSchedule' });
export type PipelineScheduleInfo = z.output<typeof pipelineScheduleSchema>;

export const schedulePauseBody = z.strictObject({
  paused: z.boolean().meta({ description: 'true pauses the schedules, false resumes them (from their next slot after now: none missed meanwhile runs)' }),
  environment: z.string().max(100).optional().meta({ description: 'only the schedules against this environment (default: every schedule of the pipeline)' }),
});

export const pipelineScheduleListSchema = z.object({ schedules: z.array(pipelineScheduleSchema) });
export type PipelineScheduleList = z.output<typeof pipelineScheduleListSchema>;
