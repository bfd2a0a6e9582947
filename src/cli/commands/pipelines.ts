/**
 * `slipway pipeline …`: apply, show and review a project's manifest, run its pipelines against an
 * environment, list, pause and resume schedules, follow a run's log, cancel a run. `run` says whether the
 * run started, queued behind the one in flight, or coalesced into the one already waiting.
 *
 * @module
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ManifestJobInfo, PipelineRunInfo, PipelineScheduleList, ProjectManifest, RunEnd, RunList, RunLog, RunTriggered } from '../../api/pipelines.js';
import { SlipwayError } from '../../core/errors.js';
import { apiPath } from '../client.js';
import { envOption, required, withEnvironment, withProject, withWorkspace, type Ctx, type Runner } from '../context.js';
import { emit, pc, prunedLine, shortTime, table } from '../output.js';
import { followEvents } from '../sse.js';

const short = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);
const projectPath = (ctx: Ctx, ...rest: string[]) => apiPath('workspaces', required(ctx, 'workspace'), 'projects', required(ctx, 'project'), ...rest);
const runPath = (ctx: Ctx, id: string, ...rest: string[]) => apiPath('workspaces', required(ctx, 'workspace'), 'pipeline-runs', id, ...rest);

function printLine(e: RunLog & { id: number }): void {
  const text = e.stream === 'system' ? pc.cyan(e.line) : e.stream === 'stderr' ? pc.yellow(e.line) : e.line;
  process.stdout.write(`${pc.dim(e.at.slice(11, 19))} ${pc.bold((e.job || '-').padEnd(10))} ${text}\n`);
}

function runSummary(r: PipelineRunInfo): string {
  const jobs = r.jobs.map((j) => `${j.name}:${j.status}${j.exitCode === null ? '' : `(${j.exitCode})`}`).join(' ');
  return `run ${r.id} of ${r.pipeline} on ${r.environment}: ${r.status}${r.error ? ` — ${r.error}` : ''}${jobs ? `\n  jobs: ${jobs}` : ''}`;
}

/** Where the manifest stands with the environments that require approval (docs/pipelines.md#review). */
function reviewLine(m: ProjectManifest): string {
  const guarded = m.review.protectedEnvironments;
  if (m.review.reviewed) return `review: reviewed by ${m.review.reviewedBy ?? 'unknown'} ${shortTime(m.review.reviewedAt)}${guarded.length > 0 ? ` (runs in ${guarded.join(', ')} too)` : ''}`;
  if (guarded.length === 0) return 'review: not reviewed (no environment requires approval, so every one runs it)';
  return pc.yellow(`review: pending — ${guarded.join(', ')} require${guarded.length === 1 ? 's' : ''} approval and run${guarded.length === 1 ? 's' : ''} none of its jobs until an admin or owner reviews it: slipway pipeline review -p ${m.project}`);
}

/** A diff as the API gives it, removed lines red and added ones green. */
const colourDiff = (diff: string) => diff.split('\n').map((l) => (l.startsWith('- ') ? pc.red(l) : l.startsWith('+ ') ? pc.green(l) : pc.dim(l))).join('\n');

/** One row of `pipeline show`: the job's pipeline (`(release)` for the release step), name, image, command, timeout and the volumes it mounts. */
const jobRow = (pipeline: string, j: ManifestJobInfo) => [pipeline, j.name, j.image, j.command?.join(' ') ?? '(image)', `${j.timeoutSeconds}s`, j.volumes.join(', ') || '-'];

const jobColumns = ['PIPELINE', 'JOB', 'IMAGE', 'COMMAND', 'TIMEOUT', 'VOLUMES'];

function jobRows(m: ProjectManifest): string[][] {
  return [...m.pipelines.flatMap((p) => p.jobs.map((j) => jobRow(p.name, j))), ...(m.release ?? []).map((j) => jobRow('(release)', j))];
}

const outcomeText: Record<RunTriggered['outcome'], string> = {
  started: 'started',
  queued: 'queued behind the run in flight',
  coalesced: 'coalesced into the run already waiting',
};

export function registerPipelines(program: Command, run: Runner): void {
  const pipeline = program.command('pipeline').description("a project's pipelines (slipway.yaml): manifest, runs against an environment, their logs");

  withProject(pipeline.command('apply <file>').description('store the manifest (slipway.yaml) of the project: pipelines, release step, gates; a malformed one is refused with file:line:column')).action(
    run(async (ctx, [file = '']) => {
      let yaml: string;
      try {
        yaml = readFileSync(file, 'utf8');
      } catch (error) {
        throw new SlipwayError('SLW_USAGE', `cannot read ${file}: ${(error as Error).message}`);
      }
      const m = await ctx.client.request<ProjectManifest>('PUT', projectPath(ctx, 'manifest'), { yaml, file: basename(file) });
      const schedules = m.pipelines.reduce((n, p) => n + p.schedules.length, 0);
      emit(ctx.io, ctx.json, m, () => `manifest applied to ${m.project}: pipelines ${m.pipelines.map((p) => p.name).join(', ') || 'none'}; release step ${m.release ? `${m.release.length} job(s)` : 'none'}; gates ${Object.keys(m.gates).join(', ') || 'none'}${schedules > 0 ? `; ${schedules} schedule(s): slipway pipeline schedules` : ''}\n${reviewLine(m)}`);
    }),
  );

  withProject(pipeline.command('show').description("the project's manifest: pipelines, release step, gates")).action(
    run(async (ctx) => {
      const m = await ctx.client.request<ProjectManifest>('GET', projectPath(ctx, 'manifest'));
      if (!m.applied) {
        emit(ctx.io, ctx.json, m, () => `project ${m.project} has no manifest yet: slipway pipeline apply slipway.yaml -w ${required(ctx, 'workspace')} -p ${m.project}`);
        return;
      }
      const rows = jobRows(m);
      emit(ctx.io, ctx.json, m, () =>
        [
          `manifest of ${m.project} (${m.source ?? 'upload'}${m.commit ? ` ${m.commit.slice(0, 12)}` : ''}, applied ${shortTime(m.appliedAt)}${m.appliedBy ? ` by ${m.appliedBy}` : ''}; ${short(m.digest ?? '')})`,
          reviewLine(m),
          ...(m.review.diff !== null ? ['changes since the last review:', colourDiff(m.review.diff)] : []),
          rows.length > 0 ? table(jobColumns, rows) : 'no pipelines and no release step',
          ...m.pipelines.flatMap((p) => p.schedules.map((sc) => `schedule of ${p.name}: '${sc.cron}' (UTC) against ${sc.environment}`)),
          ...Object.entries(m.gates).map(([env, g]) => `gates of ${env}: ${JSON.stringify(g)}`),
        ].join('\n'),
      );
    }),
  );

  withProject(
    pipeline
      .command('review')
      .description('review the manifest (admins and owners): environments that require approval run its pipelines and release step only once it is reviewed')
      .option('--digest <sha256>', "the digest of the manifest you read (pipeline show --json); refused if it was replaced since (default: the one shown now)"),
  ).action(
    run(async (ctx) => {
      const read = await ctx.client.request<ProjectManifest>('GET', projectPath(ctx, 'manifest'));
      const digest = (typeof ctx.opts.digest === 'string' ? ctx.opts.digest : undefined) ?? read.digest;
      if (!digest) throw new SlipwayError('SLW_NO_MANIFEST', `project ${required(ctx, 'project')} has no manifest to review; apply one with 'slipway pipeline apply slipway.yaml'`);
      const m = await ctx.client.request<ProjectManifest>('POST', projectPath(ctx, 'manifest', 'review'), { digest });
      const rows = jobRows(m);
      // What was reviewed: the changes since the last review when the digest is the one just read, else the jobs.
      const diff = read.digest === digest ? read.review.diff : null;
      emit(ctx.io, ctx.json, m, () =>
        [`reviewed the manifest of ${m.project} (${short(digest)}, applied by ${m.appliedBy ?? 'unknown'} ${shortTime(m.appliedAt)})${diff !== null ? '; its changes since the last review:' : ':'}`, diff !== null ? colourDiff(diff) : rows.length > 0 ? table(jobColumns, rows) : 'no pipelines and no release step', reviewLine(m)].join('\n'),
      );
    }),
  );

  withEnvironment(
    pipeline
      .command('run <name>')
      .description("run a pipeline against an environment ($build jobs: the environment's current release unless --image); says whether it started, queued or coalesced")
      .option('--image <ref>', 'the image $build jobs run: a version tag or a digest of the project repository')
      .option('--reason <text>', 'why (shown with the run)')
      .option('--follow', 'follow the run log until it ends; fail if the run fails'),
  ).action(
    run(async (ctx, [name = '']) => {
      const body = { ...(typeof ctx.opts.image === 'string' ? { image: ctx.opts.image } : {}), ...(typeof ctx.opts.reason === 'string' ? { reason: ctx.opts.reason } : {}) };
      const r = await ctx.client.request<RunTriggered>('POST', projectPath(ctx, 'environments', required(ctx, 'env'), 'pipelines', name, 'runs'), body);
      if (ctx.opts.follow !== true || r.outcome === 'coalesced') {
        emit(ctx.io, ctx.json, r, () => `run ${r.run.id} of ${r.run.pipeline} on ${r.run.environment} ${outcomeText[r.outcome]} (image ${short(r.run.imageDigest) || 'none'}); follow it with 'slipway pipeline logs ${r.run.id} -w ${required(ctx, 'workspace')} --follow'`);
        return;
      }
      if (!ctx.json) process.stderr.write(`run ${r.run.id} ${outcomeText[r.outcome]}\n`);
      await followRun(ctx, r.run.id, { outcome: r.outcome });
    }),
  );

  withProject(
    pipeline
      .command('runs')
      .description("the project's pipeline runs and release steps, newest first")
      .option('-e, --env <name>', 'only runs against this environment')
      .option('--pipeline <name>', 'only runs of this pipeline')
      .option('--limit <n>', 'at most this many', '50'),
  ).action(
    run(async (ctx) => {
      const q = new URLSearchParams({ limit: String(Number(ctx.opts.limit)) });
      const env = envOption(ctx);
      if (env) q.set('environment', env);
      if (typeof ctx.opts.pipeline === 'string') q.set('pipeline', ctx.opts.pipeline);
      const r = await ctx.client.request<RunList>('GET', `${projectPath(ctx, 'pipeline-runs')}?${q.toString()}`);
      emit(ctx.io, ctx.json, r, () =>
        r.runs.length === 0
          ? 'no runs yet: slipway pipeline run NAME -e ENV'
          : table(
              ['RUN', 'PIPELINE', 'ENV', 'STATUS', 'IMAGE', 'TRIGGER', 'CREATED', 'ERROR'],
              r.runs.map((x) => [x.id, x.pipeline, x.environment, x.status, short(x.imageDigest), `${x.trigger.kind}${x.trigger.by ? ` ${x.trigger.by}` : ''}`, shortTime(x.createdAt), x.error]),
            ),
      );
    }),
  );

  withProject(pipeline.command('schedules').description("the manifest's schedules: each pipeline's cron (UTC) and environment, its next slot and what its last slot did")).action(
    run(async (ctx) => {
      const r = await ctx.client.request<PipelineScheduleList>('GET', projectPath(ctx, 'pipeline-schedules'));
      emit(ctx.io, ctx.json, r, () =>
        r.schedules.length === 0
          ? "no schedules: give a pipeline 'schedules:' (cron and environment) in slipway.yaml"
          : table(
              ['PIPELINE', 'ENV', 'CRON (UTC)', 'NEXT', 'LAST SLOT', 'OUTCOME', 'RUN', 'ERROR'],
              r.schedules.map((x) => [x.pipeline, x.environment, x.cron, x.paused ? `paused ${shortTime(x.paused.at)}${x.paused.by ? ` by ${x.paused.by}` : ''}` : shortTime(x.nextAt), x.last ? shortTime(x.last.slotAt) : null, x.last?.outcome ?? null, x.last?.runId ?? null, x.last?.error ?? null]),
            ),
      );
    }),
  );

  for (const [verb, paused] of [['pause', true], ['resume', false]] as const) {
    withProject(
      pipeline
        .command(`${verb} <name>`)
        .description(paused ? "pause the pipeline's schedules (its slots do not run) without changing the manifest" : "resume the pipeline's paused schedules from their next slot (none missed meanwhile runs)")
        .option('-e, --env <name>', 'only its schedules against this environment'),
    ).action(
      run(async (ctx, [name = '']) => {
        const env = envOption(ctx);
        const r = await ctx.client.request<PipelineScheduleList>('PATCH', projectPath(ctx, 'pipelines', name, 'schedules'), { paused, ...(env ? { environment: env } : {}) });
        const mine = r.schedules.filter((x) => x.pipeline === name && (!env || x.environment === env));
        emit(ctx.io, ctx.json, r, () => mine.map((x) => `schedule '${x.cron}' of ${name} against ${x.environment}: ${x.paused ? 'paused' : `runs; next slot ${shortTime(x.nextAt)}`}`).join('\n'));
      }),
    );
  }

  withWorkspace(pipeline.command('logs <run>').description("a run's log (its jobs' output); --follow until it ends").option('--follow', 'keep following until the run ends; fail if it failed')).action(
    run(async (ctx, [id = '']) => {
      if (ctx.opts.follow === true) {
        await followRun(ctx, id, {});
        return;
      }
      const lines: Array<RunLog & { id: number }> = [];
      const end = await followEvents<RunLog, RunEnd>(ctx.client, `${runPath(ctx, id, 'logs')}?follow=false`, (e) => lines.push(e), { maxRetries: 0 });
      const pruned = prunedLine(end.logsPrunedAt);
      emit(ctx.io, ctx.json, { lines, end }, () => [...lines.map((e) => `${shortTime(e.at)} ${(e.job || '-').padEnd(10)} ${e.line}`), ...(pruned ? [pc.yellow(pruned)] : []), `(${end.status}${end.error ? `: ${end.error}` : ''})`].join('\n'));
    }),
  );

  withWorkspace(pipeline.command('cancel <run>').description('cancel a run: a waiting one at once, a running one once its job is stopped')).action(
    run(async (ctx, [id = '']) => {
      const r = await ctx.client.request<PipelineRunInfo>('POST', runPath(ctx, id, 'cancel'));
      emit(ctx.io, ctx.json, r, () => (r.status === 'cancelled' ? `run ${r.id} cancelled` : `run ${r.id}: cancel asked; its job is being stopped`));
    }),
  );
}

/** Follows a run's log to its end (resuming with Last-Event-ID after a network blip); fails the command when the run did not succeed. */
async function followRun(ctx: Ctx, id: string, extra: Record<string, unknown>): Promise<void> {
  const lines: Array<RunLog & { id: number }> = [];
  const end = await followEvents<RunLog, RunEnd>(ctx.client, runPath(ctx, id, 'logs'), (e) => (ctx.json ? lines.push(e) : printLine(e)));
  const final = await ctx.client.request<PipelineRunInfo>('GET', runPath(ctx, id));
  const pruned = prunedLine(end.logsPrunedAt);
  if (pruned && !ctx.json) process.stdout.write(`${pc.yellow(pruned)}\n`);
  // A failed run is one error (one JSON document with --json); its log was printed as it came.
  if (end.status !== 'succeeded') {
    if (!ctx.json) process.stderr.write(`${pc.red(runSummary(final))}\n`);
    throw new SlipwayError('SLW_RUN_FAILED', `run ${id} ${end.status}: ${end.error ?? 'see slipway pipeline logs'}`);
  }
  emit(ctx.io, ctx.json, { ...extra, run: final, lines }, () => pc.green(runSummary(final)));
}
