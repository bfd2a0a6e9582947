/** The tables of pipelines: each project's applied manifest, pipeline runs, their jobs and their logs (see src/store/schema.ts). */

/** The manifest applied to a project (one per project; a new apply replaces it). */
export interface ProjectManifestsTable {
  project_id: string;
  workspace_id: string;
  /** The YAML as applied. */
  yaml: string;
  /** The parsed manifest (core/manifest.ts `Manifest`) as JSON. */
  parsed: string;
  /** `upload` (slipway pipeline apply) or `git` (read from the repository at a build). */
  source: string;
  /** The git commit it was read from (source `git`). */
  commit_sha: string | null;
  applied_at: string;
  applied_by: string | null;
  /** sha256 of what it runs (pipelines with their schedules, the release step), canonical JSON. */
  runs_digest: string;
  /** When an admin or owner applied or reviewed what it runs; null: not reviewed (protected environments do not run it). */
  reviewed_at: string | null;
  reviewed_by: string | null;
  /** The text last reviewed (this one's when reviewed; an earlier one's while it waits); null: none. */
  reviewed_yaml: string | null;
}

/** One run of a pipeline (or of a deployment's release step) against an environment. */
export interface PipelineRunsTable {
  id: string;
  workspace_id: string;
  project_id: string;
  environment_id: string;
  /** The pipeline's name in the manifest; `:release` for a release step. */
  pipeline: string;
  /** queued → running → succeeded | failed | cancelled | timed-out. */
  status: string;
  /** The image `$build` jobs ran (the version being released or tested). */
  image_digest: string;
  /** The jobs as the manifest said when the run was triggered (JSON `ManifestJob[]`). */
  jobs: string;
  /** manual | webhook | gate | release. */
  trigger_kind: string;
  trigger_by: string | null;
  reason: string;
  promotion_id: string | null;
  deployment_id: string | null;
  /** 1 once a cancel was asked for (the runner stops the job that runs). */
  cancel_requested: number;
  owner: string | null;
  lease_until: string | null;
  /** Grows at every claim; writes of an owner whose fence is stale change nothing. */
  fence: number;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  /** When log retention removed its output (`server --keep-logs`); null: it is all there. */
  logs_pruned_at: string | null;
}

/** One job of a run. */
export interface PipelineRunJobsTable {
  run_id: string;
  /** 0-based position in the run. */
  idx: number;
  name: string;
  /** The image reference it ran (by digest for `$build`). */
  image: string;
  /** pending | running | succeeded | failed | timed-out | cancelled | skipped. */
  status: string;
  exit_code: number | null;
  message: string | null;
  started_at: string | null;
  finished_at: string | null;
}

/** One line of a run's output, numbered (the SSE stream's ids). */
export interface PipelineRunLogsTable {
  run_id: string;
  seq: number;
  job: string;
  /** stdout | stderr | system (a line of Slipway's own about the run). */
  stream: string;
  line: string;
  at: string;
}

/** A schedule of a project's manifest: when its pipeline runs by itself against an environment. */
export interface PipelineSchedulesTable {
  id: string;
  workspace_id: string;
  project_id: string;
  pipeline: string;
  /** The environment's name, as the manifest says it (looked up when a slot is due). */
  environment: string;
  /** Five cron fields, UTC, normalised (single spaces). */
  cron: string;
  /** The next slot; a slot is taken by moving this on with a conditional update. */
  next_at: string;
  last_slot_at: string | null;
  last_run_id: string | null;
  /** What the last slot did: `started`, `queued`, `coalesced`, `missed` or `failed`. */
  last_outcome: string | null;
  last_error: string | null;
  created_at: string;
  /** When it was paused (its slots do not run until resumed); null while it runs. */
  paused_at: string | null;
  paused_by: string | null;
}
