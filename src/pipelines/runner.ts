/**
 * The pipeline runner: moves every unfinished run one step further per reconcile, never waiting
 * inside one for a job to end.
 *
 * `reconcile(runId)` is the controller's unit of work, level-based: it re-reads the run, starts
 * a waiting one once its pipeline has nothing running (the unique index decides), claims it (a
 * lease stamped with a fencing token, renewed by a heartbeat of its own, so two servers never
 * run one run), and looks at its current job on the target of the environment's placement:
 * pending → started (`runJob`, idempotent: the name is deterministic); running → asked again
 * shortly (asking is also when the target enforces the timeout); ended → its exit code judged,
 * the next job, or the run's end. Output is followed into the run's numbered log while the job
 * runs; after a restart of the control plane the follow resumes past the lines already stored.
 * A cancel removes the running job's container and ends the run `cancelled`.
 *
 * @module
 */
import type { Logger } from 'pino';
import { effectiveSettings, type StoredSettings } from '../core/deploy.js';
import type { ManifestJob } from '../core/manifest.js';
import { judgeJob, jobWorkloadName, overdue, releasePipeline, runEnded, type RunStatus } from '../core/pipelines.js';
import { environmentAccess } from '../deploy/engine.js';
import { storedSettings } from '../deploy/settings.js';
import type { RegistryAccess } from '../deploy/spec.js';
import type { Placements, Target } from '../deploy/target.js';
import { RowClaims, renewLeasesEvery } from '../controllers/index.js';
import { nowIso } from '../platform/time.js';
import type { Keyring } from '../secrets/secrets.js';
import type { Db, PipelineRunJobsTable, PipelineRunsTable } from '../store/schema.js';
import { isUniqueViolation } from '../store/errors.js';
import { jobSpec, redactLine, runSecrets } from './job-spec.js';
import { appendRunLines, storedOutputLines, type RunLine } from './logs.js';
import { getRun, wakeRun } from './runs.js';

export interface RunnerOptions {
  db: Db;
  keyring: Keyring;
  logger: Logger;
  /** This server's identity as a lease owner. */
  owner: string;
  placements: Placements;
  registry: RegistryAccess;
  instance: string;
  /** @default 30_000 */
  leaseMs?: number;
}

/** While a job runs it is looked at this often: its end is noticed (and its timeout enforced) within half a second, at one inspect call per look. */
const pollMs = 500;
/** How long the end of a job waits for its output follower to deliver the last lines before reading them once more. */
const followerDrainMs = 10_000;
/** A follow asks the target for the whole output (the engine's `tail`). */
const wholeOutput = 1_000_000;

interface Follower {
  abort: AbortController;
  done: Promise<void>;
}

export class PipelineRunner {
  readonly #claims: RowClaims;
  readonly #followers = new Map<string, Follower>();
  /** Appends of one run go one after another (sequence numbers are max + 1). */
  readonly #appends = new Map<string, Promise<void>>();
  /** The secret values each run's jobs see, redacted from their output before it is stored. */
  readonly #secrets = new Map<string, string[]>();
  readonly #stopRenewing: () => void;

  constructor(private readonly o: RunnerOptions) {
    this.#claims = new RowClaims(o.owner);
    this.#stopRenewing = renewLeasesEvery(this.leaseMs, () => this.#renew(), (error) => o.logger.warn({ err: error }, 'renewing pipeline run leases failed'));
  }

  get leaseMs(): number {
    return this.o.leaseMs ?? 30_000;
  }

  stop(): void {
    this.#stopRenewing();
    for (const f of this.#followers.values()) f.abort.abort();
  }

  /** Runs that are not finished (the controller's resync list). */
  async pending(): Promise<string[]> {
    const rows = await this.o.db.selectFrom('pipeline_runs').select('id').where('status', 'in', ['queued', 'running']).orderBy('created_at').execute();
    return rows.map((r) => r.id);
  }

  async reconcile(runId: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number } | void> {
    let run = await getRun(this.o.db, runId);
    if (!run || signal.aborted) return;
    if (runEnded(run.status)) {
      this.#claims.release(runId);
      return;
    }
    if (run.status === 'queued') {
      if (!(await this.#promote(run))) return; // the run in flight wakes it when it ends (and the resync looks again)
      run = (await getRun(this.o.db, runId))!;
    }
    const fence = await this.#claim(run);
    if (fence === null) {
      const left = run.lease_until ? Date.parse(run.lease_until) - Date.now() : 0;
      return { requeueAfterMs: Math.max(200, left + 100) };
    }
    run = { ...run, fence, owner: this.o.owner };
    for (let i = 0; i < 8 && !signal.aborted; i += 1) {
      const next = await this.#step(run);
      if (next === 'done') return;
      if (next > 0) return { requeueAfterMs: next };
      const fresh = await getRun(this.o.db, runId);
      if (!fresh || fresh.fence !== fence || runEnded(fresh.status)) return;
      run = fresh;
    }
    return { requeueAfterMs: 0 };
  }

  /** A waiting run starts once nothing else of its pipeline runs; false while one does. */
  async #promote(run: PipelineRunsTable): Promise<boolean> {
    try {
      const r = await this.o.db.updateTable('pipeline_runs').set({ status: 'running' }).where('id', '=', run.id).where('status', '=', 'queued').executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async #claim(run: PipelineRunsTable): Promise<number | null> {
    const now = nowIso();
    const claim = await this.#claims.claim(run, now, async (fence) => {
      const result = await this.o.db
        .updateTable('pipeline_runs')
        .set({ owner: this.o.owner, fence, lease_until: new Date(Date.now() + this.leaseMs).toISOString(), started_at: run.started_at ?? now })
        .where('id', '=', run.id)
        .where('fence', '=', run.fence)
        .where('status', '=', 'running')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
    if (!claim?.taken) return claim?.fence ?? null;
    if (run.owner !== null) await this.#say(run, '', `continuing after a restart of the control plane`);
    else wakeRun(run.id);
    return claim.fence;
  }

  async #renew(): Promise<void> {
    if (this.#claims.size === 0) return;
    await this.o.db.updateTable('pipeline_runs').set({ lease_until: new Date(Date.now() + this.leaseMs).toISOString() }).where('owner', '=', this.o.owner).where('status', '=', 'running').execute();
  }

  /** One step; the delay before the next one (0: at once), or `done`. */
  async #step(run: PipelineRunsTable): Promise<number | 'done'> {
    const jobs = JSON.parse(run.jobs) as ManifestJob[];
    const rows = await this.o.db.selectFrom('pipeline_run_jobs').selectAll().where('run_id', '=', run.id).orderBy('idx').execute();
    const current = rows.find((r) => r.status === 'pending' || r.status === 'running');
    let target: Target;
    let access;
    let port: number;
    try {
      access = await environmentAccess(this.o.db, run.environment_id);
      const settings = effectiveSettings({ workspace: access.workspace.name, project: access.project.name, environment: access.environment.name }, (await storedSettings(this.o.db, run.environment_id)) as StoredSettings);
      const placementName = run.deployment_id ? ((await this.o.db.selectFrom('deployments').select('target').where('id', '=', run.deployment_id).executeTakeFirst())?.target ?? settings.target) : settings.target;
      target = this.o.placements.resolve(placementName).target;
      port = settings.port;
    } catch (error) {
      return this.#end(run, 'failed', `cannot run: ${(error as Error).message}`, current);
    }
    if (run.cancel_requested === 1) {
      if (current?.status === 'running') {
        await this.#stopFollower(run.id, current.idx);
        await target.removeJob(jobWorkloadName(run.id, current.idx)).catch(() => undefined);
        await this.#setJob(run, current.idx, { status: 'cancelled', message: 'cancelled', finished_at: nowIso() });
      }
      await this.#say(run, current?.name ?? '', `run cancelled`);
      return this.#end(run, 'cancelled', run.error ?? 'cancelled', undefined);
    }
    if (!current) return this.#end(run, 'succeeded', null, undefined);
    const job = jobs[current.idx]!;
    const name = jobWorkloadName(run.id, current.idx);
    if (current.status === 'pending') {
      let spec;
      try {
        spec = await jobSpec(this.o.db, this.o.keyring, this.o.registry, this.o.instance, access, run, current.idx, job, port);
      } catch (error) {
        return this.#couldNotStart(run, current.idx, job, error);
      }
      if (!(await this.#mayStart(run.id))) return 0; // cancelled (or deleted) meanwhile: the next step ends it
      const mounts = spec.volumes.length > 0 ? `, volumes ${(job.volumes ?? []).map((v, i) => `${v} at ${spec.volumes[i]?.path ?? '?'}`).join(', ')}` : '';
      await this.#say(run, job.name, `job '${job.name}' starting (${job.image === '$build' ? `$build = ${run.image_digest}` : spec.image}, timeout ${job.timeoutSeconds}s${mounts})`);
      await target.runJob(spec);
      if (!(await this.#setJob(run, current.idx, { status: 'running', started_at: nowIso() }))) return 'done';
      return pollMs;
    }
    const secrets = this.#secrets.get(run.id) ?? (await runSecrets(this.o.db, this.o.keyring, access, run, port));
    this.#secrets.set(run.id, secrets);
    const status = await target.job(name);
    if (status === null) {
      // The target does not know it (never taken, or lost): ask again; the name keeps it one job.
      if (!(await this.#mayStart(run.id))) return 0;
      let spec;
      try {
        spec = await jobSpec(this.o.db, this.o.keyring, this.o.registry, this.o.instance, access, run, current.idx, job, port);
      } catch (error) {
        return this.#couldNotStart(run, current.idx, job, error); // e.g. a volume it mounts was removed since
      }
      await target.runJob(spec);
      return pollMs * 2;
    }
    if (status.state === 'pending' || status.state === 'running') {
      if (status.state === 'running') this.#follow(run, current.idx, job.name, target, name, secrets);
      const late = overdue({ state: status.state, startedAt: status.startedAt }, current.started_at, job.timeoutSeconds, Date.now());
      if (late !== null) {
        // The target did not stop (or start) it in time: the runner does.
        await this.#stopFollower(run.id, current.idx);
        await target.removeJob(name).catch(() => undefined);
        return this.#jobEnded(run, current, job, { state: 'failed', exitCode: null, message: late }, null, secrets);
      }
      return pollMs;
    }
    return this.#jobEnded(run, current, job, { state: status.state, exitCode: status.exitCode, message: status.message }, target, secrets);
  }

  /** A job whose spec could not be made (an image of another workspace, a volume its environment does not declare): it fails before it starts, and ends the run. */
  async #couldNotStart(run: PipelineRunsTable, idx: number, job: ManifestJob, error: unknown): Promise<'done'> {
    const message = `job '${job.name}' could not start: ${(error as Error).message}`;
    await this.#setJob(run, idx, { status: 'failed', message, finished_at: nowIso() });
    await this.#say(run, job.name, message);
    return this.#end(run, 'failed', message, undefined);
  }

  /**
   * Whether a job may be started (again) now: not when its run was cancelled or deleted since this
   * step read it — a deletion stores the cancel before it removes the job's container.
   */
  async #mayStart(runId: string): Promise<boolean> {
    const fresh = await getRun(this.o.db, runId);
    return fresh !== undefined && fresh.cancel_requested !== 1 && !runEnded(fresh.status);
  }

  async #jobEnded(run: PipelineRunsTable, current: PipelineRunJobsTable, job: ManifestJob, end: { state: 'succeeded' | 'failed'; exitCode: number | null; message: string | null }, target: Target | null, secrets: string[]): Promise<number | 'done'> {
    const name = jobWorkloadName(run.id, current.idx);
    if (target) await this.#drainOutput(run, current.idx, job.name, target, name, secrets);
    const verdict = judgeJob(job.name, job.timeoutSeconds, end);
    const ok = await this.#setJob(run, current.idx, { status: verdict.job, exit_code: end.exitCode, message: verdict.error, finished_at: nowIso() });
    if (!ok) return 'done';
    // Removed only once its end is stored: a crash in between leaves a finished container behind,
    // never a job the runner would not find and start again.
    if (target) await target.removeJob(name).catch((error: unknown) => this.o.logger.warn({ err: error, job: name }, 'could not remove a finished job'));
    await this.#say(run, job.name, verdict.error ?? `job '${job.name}' succeeded`);
    if (verdict.run) return this.#end(run, verdict.run, verdict.error, undefined);
    return 0;
  }

  /** Follows a running job's output into the run's log (once per job and process; resumes past what is stored). */
  #follow(run: PipelineRunsTable, idx: number, job: string, target: Target, name: string, secrets: string[]): void {
    const key = `${run.id}:${idx}`;
    if (this.#followers.has(key)) return;
    const abort = new AbortController();
    const done = (async () => {
      const skip = await storedOutputLines(this.o.db, run.id, job);
      let seen = 0;
      for await (const l of target.follow(name, abort.signal, wholeOutput)) {
        seen += 1;
        if (seen <= skip) continue;
        await this.#append(run, [{ job, stream: l.stream, line: redactLine(l.line, secrets) }]);
      }
    })().catch((error: unknown) => {
      if (!abort.signal.aborted) this.o.logger.warn({ err: error, run: run.id, job }, 'following a job output failed');
    });
    this.#followers.set(key, { abort, done });
  }

  async #stopFollower(runId: string, idx: number): Promise<void> {
    const key = `${runId}:${idx}`;
    const f = this.#followers.get(key);
    if (!f) return;
    f.abort.abort();
    await f.done;
    this.#followers.delete(key);
  }

  /** Once a job ended: lets its follower deliver the last lines, then reads what is still missing from the target. */
  async #drainOutput(run: PipelineRunsTable, idx: number, job: string, target: Target, name: string, secrets: string[]): Promise<void> {
    const key = `${run.id}:${idx}`;
    const f = this.#followers.get(key);
    if (f) {
      const timer = setTimeout(() => f.abort.abort(), followerDrainMs);
      await f.done;
      clearTimeout(timer);
      this.#followers.delete(key);
    }
    try {
      const stored = await storedOutputLines(this.o.db, run.id, job);
      const all = await target.logs(name, wholeOutput);
      await this.#append(run, all.slice(stored).map((l) => ({ job, stream: l.stream, line: redactLine(l.line, secrets) })));
    } catch (error) {
      this.o.logger.warn({ err: error, run: run.id, job }, 'could not read the end of a job output');
    }
  }

  #append(run: PipelineRunsTable, lines: RunLine[]): Promise<void> {
    const before = this.#appends.get(run.id) ?? Promise.resolve();
    const next = before.then(() => appendRunLines(this.o.db, run, lines));
    const settled = next.catch(() => undefined);
    this.#appends.set(run.id, settled);
    void settled.then(() => {
      if (this.#appends.get(run.id) === settled) this.#appends.delete(run.id);
    });
    return next;
  }

  #say(run: PipelineRunsTable, job: string, line: string): Promise<void> {
    return this.#append(run, [{ job, stream: 'system', line }]);
  }

  async #setJob(run: PipelineRunsTable, idx: number, set: Partial<PipelineRunJobsTable>): Promise<boolean> {
    const owned = await this.o.db.selectFrom('pipeline_runs').select('fence').where('id', '=', run.id).executeTakeFirst();
    if (owned?.fence !== run.fence) return this.#lost(run, owned === undefined);
    await this.o.db.updateTable('pipeline_run_jobs').set(set).where('run_id', '=', run.id).where('idx', '=', idx).execute();
    return true;
  }

  /** The run is no longer this server's: another took it over, or it was deleted (with its environment or project). */
  #lost(run: PipelineRunsTable, deleted: boolean): false {
    this.#claims.release(run.id);
    if (deleted) this.o.logger.info({ run: run.id }, 'this pipeline run was deleted; leaving it');
    else this.o.logger.warn({ run: run.id }, 'another server took this pipeline run over; leaving it');
    return false;
  }

  async #end(run: PipelineRunsTable, status: RunStatus, error: string | null, current: PipelineRunJobsTable | undefined): Promise<'done'> {
    const now = nowIso();
    if (current) await this.#setJob(run, current.idx, { status: status === 'cancelled' ? 'cancelled' : 'failed', message: error, finished_at: now });
    const ended = await this.o.db
      .updateTable('pipeline_runs')
      .set({ status, finished_at: now, error, owner: null, lease_until: null })
      .where('id', '=', run.id)
      .where('fence', '=', run.fence)
      .where('status', '=', 'running')
      .executeTakeFirst();
    this.#claims.release(run.id);
    this.#secrets.delete(run.id);
    if (Number(ended.numUpdatedRows) === 0) return 'done';
    await this.o.db.updateTable('pipeline_run_jobs').set({ status: 'skipped' }).where('run_id', '=', run.id).where('status', '=', 'pending').execute();
    this.o.logger.info({ run: run.id, pipeline: run.pipeline, status }, `pipeline run ${status}`);
    wakeRun(run.id);
    if (run.pipeline !== releasePipeline) {
      const next = await this.o.db.selectFrom('pipeline_runs').select('id').where('project_id', '=', run.project_id).where('pipeline', '=', run.pipeline).where('status', '=', 'queued').where('trigger_kind', '<>', 'release').executeTakeFirst();
      if (next) wakeRun(next.id);
    }
    return 'done';
  }
}
