/**
 * The pipeline gate: a request (promotion, direct deploy) into an environment with a pipeline
 * gate waits in `testing` — after its approval, when one is required — while the gate's pipeline
 * runs against the candidate image (pipelines/runs.ts, trigger kind `gate`, the run carries the
 * request's id). The run passes: the deploy starts, in the same transaction as the request's
 * change to `deploying`. It fails (or is cancelled, or times out): the request fails with the run's
 * id and error, nothing is deployed.
 *
 * `reconcile(requestId)` is short and never waits: it finds the request's run (the newest run that
 * carries its id), triggers one when there is none, and acts once that run ended. A trigger that
 * would coalesce into a run someone else asked for (another image, no link to this request) is
 * not taken: the gate asks again a little later, when its own run can queue. The store holds the
 * whole state (the request's status, the run with its id), so a restart of the control plane
 * continues where it was; the conditional status change (`testing` → …) keeps two reconciles from
 * both acting.
 *
 * @module
 */
import type { Logger } from 'pino';
import { recordAudit, systemActor } from '../audit/audit.js';
import { runEnded } from '../core/pipelines.js';
import { triggerRun } from '../pipelines/runs.js';
import type { Db } from '../store/schema.js';
import { requestDeploy } from './deployments.js';
import { environmentAccess } from './engine.js';
import { announceChange } from './events.js';
import { gatesOfAccess } from './promotions.js';

export interface PipelineGateOptions {
  db: Db;
  logger: Logger;
  /** Starts the deploy a passed gate requested. */
  enqueueDeploy(environmentId: string): void;
}

/** While a run is queued or runs: how soon to look again (a run takes seconds at least; the resync also finds it). */
const RUN_POLL_MS = 1_000;
/** After a trigger that would have coalesced into someone else's run: ask again this much later. */
const RETRY_TRIGGER_MS = 2_000;

export class PipelineGates {
  constructor(private readonly o: PipelineGateOptions) {}

  /** Requests waiting for their pipeline gate (the controller's resync list). */
  async pending(): Promise<string[]> {
    const rows = await this.o.db.selectFrom('promotions').select('id').where('status', '=', 'testing').execute();
    return rows.map((r) => r.id);
  }

  async reconcile(id: string, signal: AbortSignal): Promise<{ requeueAfterMs?: number } | void> {
    const p = await this.o.db.selectFrom('promotions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!p || p.status !== 'testing' || signal.aborted) return;
    const access = await environmentAccess(this.o.db, p.to_environment_id);
    const pipeline = (await gatesOfAccess(this.o.db, access)).pipeline;
    if (!pipeline) return this.#end(p.id, access, 'failed', `the pipeline gate of ${access.project.name}/${access.environment.name} was removed while the request waited; ask again`);
    let run = await this.o.db.selectFrom('pipeline_runs').selectAll().where('promotion_id', '=', id).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
    if (!run) {
      const requester = p.requested_by_user ? await this.o.db.selectFrom('users').select('email').where('id', '=', p.requested_by_user).executeTakeFirst() : undefined;
      try {
        const triggered = await triggerRun(this.o.db, access, { pipeline, imageDigest: p.image_digest, reason: `pipeline gate of ${p.kind} ${p.id} into ${access.environment.name}`, trigger: { kind: 'gate', by: requester?.email ?? null }, promotionId: p.id });
        if (triggered.outcome === 'coalesced' && triggered.run.promotion_id !== p.id) return { requeueAfterMs: RETRY_TRIGGER_MS };
        run = triggered.run;
      } catch (error) {
        // The pipeline does not exist (no manifest, a name it does not have) or may not run there (an unreviewed manifest): the request cannot pass.
        const code = (error as { code?: string }).code;
        if (code === 'SLW_NO_MANIFEST' || code === 'SLW_NOT_FOUND' || code === 'SLW_MANIFEST_UNREVIEWED') return this.#end(p.id, access, 'failed', `pipeline gate: ${(error as Error).message}`);
        throw error;
      }
    }
    if (!runEnded(run.status)) return { requeueAfterMs: RUN_POLL_MS };
    if (run.status !== 'succeeded') {
      return this.#end(p.id, access, 'failed', `pipeline gate: run ${run.id} of '${run.pipeline}' ${run.status}${run.error ? `: ${run.error}` : ''}; nothing was deployed`, { run: run.id });
    }
    // Passed: the deploy starts with the request's change to `deploying`, in one transaction.
    try {
      const started = await requestDeploy(this.o.db, access, { imageDigest: p.image_digest, version: p.version_tag, trigger: p.kind === 'promotion' ? 'promotion' : 'deploy', actor: { userId: p.requested_by_user, tokenId: p.requested_by_token } }, async (tx, requested) => {
        const moved = await tx.updateTable('promotions').set({ status: 'deploying', deployment_id: requested.deployment.id }).where('id', '=', p.id).where('status', '=', 'testing').executeTakeFirst();
        if (Number(moved.numUpdatedRows) === 0) throw new Error(`request ${p.id} left 'testing' meanwhile`);
        await recordAudit(tx, systemActor, { workspaceId: access.workspace.id, action: `${p.kind}.pipeline-gate.passed`, targetType: 'promotion', target: p.id, details: { run: run.id, pipeline: run.pipeline, deployment: requested.deployment.id } });
      });
      this.o.enqueueDeploy(access.environment.id);
      announceChange(access.workspace.id, { kind: 'promotion', id: p.id, project: access.project.name, environment: access.environment.name, status: 'deploying' });
      announceChange(access.workspace.id, { kind: 'deployment', id: started.deployment.id, project: access.project.name, environment: access.environment.name, status: 'queued' });
    } catch (error) {
      // Another deploy of the environment runs: the tested candidate deploys once it ended.
      if ((error as { code?: string }).code === 'SLW_DEPLOY_IN_PROGRESS') return { requeueAfterMs: RUN_POLL_MS };
      throw error;
    }
  }

  async #end(id: string, access: Awaited<ReturnType<typeof environmentAccess>>, status: 'failed', reason: string, details: Record<string, unknown> = {}): Promise<void> {
    const ended = await this.o.db.transaction().execute(async (tx) => {
      const done = await tx.updateTable('promotions').set({ status, reason }).where('id', '=', id).where('status', '=', 'testing').executeTakeFirst();
      if (Number(done.numUpdatedRows) === 0) return false;
      await recordAudit(tx, systemActor, { workspaceId: access.workspace.id, action: 'promotion.pipeline-gate.failed', targetType: 'promotion', target: id, details: { reason, ...details } });
      return true;
    });
    if (ended) {
      this.o.logger.warn({ request: id }, reason);
      announceChange(access.workspace.id, { kind: 'promotion', id, project: access.project.name, environment: access.environment.name, status });
    }
  }
}
