/**
 * Promotions and approvals. A promotion deploys the digest of one environment's current release
 * to another with that environment's own config and secrets; no build. Into an environment that
 * requires approval, every change of what runs — a promotion, a direct deploy, a rollback —
 * waits as a request until an admin or owner other than the requester approves it (or anyone of
 * them rejects it); an admin or owner may skip the wait explicitly (recorded in the audit log).
 * An environment may also accept only digests that ran successfully in a named upstream
 * environment.
 *
 * Every state change is one transaction: asking (with the deploy it starts at once, when no
 * approval is needed), deciding (the conditional status change, the deploy it queues, the audit
 * record). Two racing decisions never both win, and a rejected request never deploys.
 *
 * @module
 */
import { parseStoredVolumes } from '../core/volumes.js';
import { SlipwayError, notFound } from '../core/errors.js';
import { approvalRefusal, effectiveSettings, type EnvironmentSettings, type PromotionStatus, type StoredSettings } from '../core/deploy.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import { resolveEnvironment, type EnvironmentAccess, type ProjectAccess } from '../projects/projects.js';
import type { Db, Executor, PromotionsTable } from '../store/schema.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';
import { currentRelease, requestDeploy, type Deployment, type DeployRequest, type Superseded } from './deployments.js';
import { announceChange } from './events.js';
import { storedSettings } from './settings.js';
import { gatesOf } from './gates.js';
import { healthGatesOf, type HealthGateView } from './health-gate-store.js';
import { restoreEnvironmentConfigIn } from '../config/config.js';
import { restoreSecretsIn, type Keyring } from '../secrets/secrets.js';

/** What a request changes: a promotion from another environment, a direct deploy, a rollback. */
export type RequestKind = 'promotion' | 'deploy' | 'rollback';

export interface Promotion {
  id: string;
  kind: RequestKind;
  project: string;
  /** The environment the image comes from (for a deploy or rollback: the environment itself). */
  from: string;
  to: string;
  /** A promotion: the source release; a rollback: the release it restores; a deploy: 0. */
  fromRelease: number;
  imageDigest: string;
  version: string | null;
  status: PromotionStatus;
  requestedBy: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
  deploymentId: string | null;
  createdAt: string;
  /** Each gate of the request, in order: approval, then (after the switch) health. */
  gates: PromotionGates;
}

export interface PromotionGates {
  approval: { required: boolean; state: 'pending' | 'approved' | 'rejected' | 'none'; by: string | null };
  /** The pipeline gate's run against the candidate image (the newest, if it was asked again). */
  pipeline: { pipeline: string; runId: string; status: string; error: string | null } | null;
  health: HealthGateView | null;
}

/** What a request produced: the request, and the deploy it started (none while it waits). */
export interface RequestResult {
  /** The request; null for a direct deploy or rollback that needed no approval. */
  promotion: Promotion | null;
  deployment: Deployment | null;
  superseded: Superseded | null;
}

function promotionQuery(db: Executor) {
  return db
    .selectFrom('promotions as p')
    .innerJoin('projects as pr', 'pr.id', 'p.project_id')
    .innerJoin('environments as ef', 'ef.id', 'p.from_environment_id')
    .innerJoin('environments as et', 'et.id', 'p.to_environment_id')
    .leftJoin('users as ur', 'ur.id', 'p.requested_by_user')
    .leftJoin('users as ud', 'ud.id', 'p.decided_by_user')
    .leftJoin('environment_settings as st', 'st.environment_id', 'p.to_environment_id')
    .selectAll('p')
    .select(['pr.name as project_name', 'ef.name as from_name', 'et.name as to_name', 'ur.email as requested_email', 'ud.email as decided_email', 'st.data as settings_data']);
}

type PromotionRow = PromotionsTable & { project_name: string; from_name: string; to_name: string; requested_email: string | null; decided_email: string | null; settings_data: string | null };

function toPromotion(p: PromotionRow, health: HealthGateView | null, pipeline: PromotionGates['pipeline']): Promotion {
  const required = p.settings_data ? (JSON.parse(p.settings_data) as StoredSettings).requireApproval ?? p.to_name === 'prod' : p.to_name === 'prod';
  const state = p.status === 'pending-approval' ? 'pending' : p.status === 'rejected' ? 'rejected' : p.decided_by_user ? 'approved' : 'none';
  return {
    id: p.id,
    kind: p.kind as RequestKind,
    project: p.project_name,
    from: p.from_name,
    to: p.to_name,
    fromRelease: p.from_release,
    imageDigest: p.image_digest,
    version: p.version_tag,
    status: p.status as PromotionStatus,
    requestedBy: p.requested_email,
    decidedBy: p.decided_email,
    decidedAt: p.decided_at,
    reason: p.reason,
    deploymentId: p.deployment_id,
    createdAt: p.created_at,
    gates: { approval: { required, state, by: state === 'approved' || state === 'rejected' ? p.decided_email : null }, pipeline, health },
  };
}

async function withGates(db: Executor, rows: PromotionRow[]): Promise<Promotion[]> {
  const gates = await healthGatesOf(db, rows.flatMap((r) => (r.deployment_id ? [r.deployment_id] : [])));
  const runs = rows.length === 0 ? [] : await db.selectFrom('pipeline_runs').select(['id', 'promotion_id', 'pipeline', 'status', 'error']).where('promotion_id', 'in', rows.map((r) => r.id)).where('trigger_kind', '=', 'gate').orderBy('id', 'asc').execute();
  // Ids are time-ordered: the last one of a request is its newest run.
  const runOf = new Map(runs.map((r) => [r.promotion_id, { pipeline: r.pipeline, runId: r.id, status: r.status, error: r.error }]));
  return rows.map((r) => toPromotion(r, r.deployment_id ? (gates.get(r.deployment_id) ?? null) : null, runOf.get(r.id) ?? null));
}

async function settingsOf(db: Executor, access: EnvironmentAccess): Promise<EnvironmentSettings> {
  return effectiveSettings({ workspace: access.workspace.name, project: access.project.name, environment: access.environment.name }, (await storedSettings(db, access.environment.id)) as StoredSettings);
}

/** Refuses a digest that never ran successfully in the environment's required upstream. */
export async function assertPromotedFrom(db: Executor, access: EnvironmentAccess, settings: EnvironmentSettings, digest: string): Promise<void> {
  const upstream = settings.requirePromotionFrom;
  if (!upstream) return;
  const ran = await db
    .selectFrom('releases as r')
    .innerJoin('environments as e', 'e.id', 'r.environment_id')
    .select('r.id')
    .where('e.project_id', '=', access.project.id)
    .where('e.name', '=', upstream)
    .where('r.image_digest', '=', digest)
    .where('r.status', 'in', ['succeeded', 'superseded'])
    .executeTakeFirst();
  if (!ran) {
    throw new SlipwayError(
      'SLW_PROMOTION_REQUIRED',
      `${access.project.name}/${access.environment.name} accepts only images that ran successfully in '${upstream}', and ${digest} never did; deploy it to ${upstream} first, then promote it`,
    );
  }
}

interface NewRequest {
  kind: RequestKind;
  from: EnvironmentAccess;
  to: EnvironmentAccess;
  fromRelease: number;
  imageDigest: string;
  version: string | null;
}

async function insertRequest(tx: Executor, access: ProjectAccess, r: NewRequest, status: PromotionStatus, deploymentId: string | null): Promise<string> {
  const row: PromotionsTable = {
    id: newId('pro'),
    workspace_id: access.workspace.id,
    project_id: access.project.id,
    from_environment_id: r.from.environment.id,
    to_environment_id: r.to.environment.id,
    from_release: r.fromRelease,
    image_digest: r.imageDigest,
    version_tag: r.version,
    status,
    requested_by_user: access.principal.userId,
    requested_by_token: access.principal.tokenId,
    decided_by_user: null,
    decided_at: null,
    reason: null,
    deployment_id: deploymentId,
    created_at: nowIso(),
    kind: r.kind,
  };
  await tx.insertInto('promotions').values(row).execute();
  const target = r.kind === 'promotion' ? `${access.project.name}: ${r.from.environment.name} → ${r.to.environment.name}` : `${access.project.name}/${r.to.environment.name}`;
  await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: `${r.kind}.request`, targetType: 'promotion', target, details: { id: row.id, imageDigest: row.image_digest, status } });
  return row.id;
}

/** The deploy a request (or its approval) starts: its image with the target's own config, or a rollback's snapshot. */
async function deployOf(db: Executor, r: Pick<NewRequest, 'kind' | 'to' | 'fromRelease' | 'imageDigest' | 'version'>, actor: DeployRequest['actor']): Promise<DeployRequest> {
  if (r.kind !== 'rollback') return { imageDigest: r.imageDigest, version: r.version, trigger: r.kind === 'promotion' ? 'promotion' : 'deploy', actor };
  const release = await db.selectFrom('releases').selectAll().where('environment_id', '=', r.to.environment.id).where('number', '=', r.fromRelease).executeTakeFirstOrThrow();
  return { imageDigest: release.image_digest, version: release.version_tag, trigger: 'rollback', actor, configVersion: release.config_version, secretVersions: JSON.parse(release.secret_versions) as DeployRequest['secretVersions'], volumes: parseStoredVolumes(release.volumes), supersede: true };
}

/**
 * Asks for a change of what runs in `r.to`: deploys at once (in the same transaction as the
 * request's record) unless the environment requires approval and `skipApproval` is not set.
 */
/** What a rollback also restores, so that the next deploy runs what is live: the environment's config and secrets. */
export async function restoreSnapshot(tx: Executor, keyring: Keyring, to: EnvironmentAccess, request: DeployRequest, release: number): Promise<void> {
  const via = { via: 'rollback', release };
  await restoreEnvironmentConfigIn(tx, to, request.configVersion!, via);
  await restoreSecretsIn(tx, keyring, to, request.secretVersions ?? {}, via);
}

/** The gates of the environment a request changes. */
export function gatesOfAccess(db: Executor, to: EnvironmentAccess) {
  return gatesOf(db, { workspace: to.workspace.name, project: to.project.name, projectId: to.project.id, environment: to.environment.name, environmentId: to.environment.id });
}

async function ask(db: Db, access: ProjectAccess, r: NewRequest, options: { skipApproval?: boolean; supersede?: boolean; keyring?: Keyring }): Promise<RequestResult> {
  const settings = await settingsOf(db, r.to);
  const gates = await gatesOfAccess(db, r.to);
  if (r.kind !== 'rollback') await assertPromotedFrom(db, r.to, settings, r.imageDigest);
  const wait = gates.requireApproval && !options.skipApproval;
  // The pipeline gate tests the candidate image before anything deploys (deploy/pipeline-gate.ts); a rollback returns to a release that ran and is not tested again.
  const test = gates.pipeline !== null && r.kind !== 'rollback';
  if (options.skipApproval && gates.requireApproval && access.role !== 'admin' && access.role !== 'owner') {
    throw new SlipwayError('SLW_FORBIDDEN', `only an admin or owner may skip the approval ${access.project.name}/${r.to.environment.name} requires (your role: ${access.role}); ask without --skip-approval and have it approved`);
  }
  let result: RequestResult;
  if (wait || test) {
    const id = await db.transaction().execute(async (tx) => {
      if (!wait && options.skipApproval && gates.requireApproval) {
        await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: `${r.kind}.skip-approval`, targetType: 'environment', target: `${access.project.name}/${r.to.environment.name}`, details: { imageDigest: r.imageDigest } });
      }
      return insertRequest(tx, access, r, wait ? 'pending-approval' : 'testing', null);
    });
    result = { promotion: await getPromotion(db, access, id), deployment: null, superseded: null };
  } else {
    let id = '';
    const request = { ...(await deployOf(db, r, actorOf(access.principal))), ...(options.supersede ? { supersede: true } : {}) };
    const started = await requestDeploy(db, r.to, request, async (tx, requested) => {
      if (options.skipApproval && gates.requireApproval) {
        await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: `${r.kind}.skip-approval`, targetType: 'environment', target: `${access.project.name}/${r.to.environment.name}`, details: { deployment: requested.deployment.id, imageDigest: r.imageDigest } });
      }
      if (r.kind === 'promotion') id = await insertRequest(tx, access, r, 'deploying', requested.deployment.id);
      if (r.kind === 'rollback' && options.keyring) await restoreSnapshot(tx, options.keyring, r.to, request, requested.release.number);
    });
    result = { promotion: id ? await getPromotion(db, access, id) : null, deployment: started.deployment, superseded: started.superseded };
  }
  if (result.promotion) announce(access.workspace.id, result.promotion);
  return result;
}

/** Asks for a promotion; deploys at once unless the target environment requires approval. */
export async function promote(db: Db, access: ProjectAccess, fromName: string, toName: string, options: { skipApproval?: boolean } = {}): Promise<RequestResult> {
  const from = await resolveEnvironment(db, access, fromName);
  const to = await resolveEnvironment(db, access, toName);
  if (from.environment.id === to.environment.id) throw new SlipwayError('SLW_VALIDATION', 'promote from one environment to another: --from and --to are the same');
  const source = await currentRelease(db, from.environment.id);
  if (!source) throw new SlipwayError('SLW_NOTHING_DEPLOYED', `${access.project.name}/${fromName} has no successful release to promote; deploy it first`);
  return ask(db, access, { kind: 'promotion', from, to, fromRelease: source.number, imageDigest: source.image_digest, version: source.version_tag }, options);
}

/**
 * A direct deploy or a rollback of `access`'s environment: at once where no approval is needed
 * (the result has a deployment and no request), else a request waiting for approval.
 */
export async function changeRunning(db: Db, access: EnvironmentAccess, kind: 'deploy' | 'rollback', image: { digest: string; version: string | null; release?: number }, options: { skipApproval?: boolean; supersede?: boolean; keyring: Keyring }): Promise<RequestResult> {
  return ask(db, access, { kind, from: access, to: access, fromRelease: image.release ?? 0, imageDigest: image.digest, version: image.version }, options);
}

export async function findPromotion(db: Executor, access: WorkspaceAccess, id: string): Promise<PromotionsTable> {
  const row = await db.selectFrom('promotions').selectAll().where('id', '=', id).where('workspace_id', '=', access.workspace.id).executeTakeFirst();
  if (!row) throw notFound('promotion', id);
  return row;
}

export async function getPromotion(db: Executor, access: WorkspaceAccess, id: string): Promise<Promotion> {
  const row = await promotionQuery(db).where('p.id', '=', id).where('p.workspace_id', '=', access.workspace.id).executeTakeFirst();
  if (!row) throw notFound('promotion', id);
  return (await withGates(db, [row]))[0]!;
}

/** A project's promotions and approval requests, newest first: one query, the filter and the limit in SQL. */
export async function listPromotions(db: Executor, access: WorkspaceAccess, projectId: string, status: PromotionStatus | undefined, limit = 100): Promise<Promotion[]> {
  let q = promotionQuery(db).where('p.workspace_id', '=', access.workspace.id).where('p.project_id', '=', projectId);
  if (status !== undefined) q = q.where('p.status', '=', status);
  const rows = await q.orderBy('p.created_at', 'desc').orderBy('p.id', 'desc').limit(limit).execute();
  return withGates(db, rows);
}

/** Approves (and queues its deploy) or rejects a pending request, in one transaction. */
export async function decide(db: Db, keyring: Keyring, access: WorkspaceAccess, id: string, decision: 'approve' | 'reject', reason?: string): Promise<RequestResult & { promotion: Promotion }> {
  const row = await findPromotion(db, access, id);
  if (row.status !== 'pending-approval') throw new SlipwayError('SLW_PROMOTION_STATE', `request ${id} is ${row.status}, not waiting for approval`);
  const approvers = await db
    .selectFrom('members')
    .select('user_id')
    .where('workspace_id', '=', access.workspace.id)
    .where('role', 'in', ['admin', 'owner'])
    .where('user_id', '!=', access.principal.userId)
    .execute();
  const refusal = approvalRefusal({ userId: access.principal.userId, role: access.role }, row.requested_by_user, approvers.length);
  // Approving needs an admin or owner other than the requester (unless alone); any admin or
  // owner may reject, the requester too (withdrawing their own request).
  const mayReject = access.role === 'admin' || access.role === 'owner';
  if (decision === 'approve' && refusal) throw new SlipwayError('SLW_APPROVAL_REFUSED', refusal);
  if (decision === 'reject' && !mayReject) throw new SlipwayError('SLW_APPROVAL_REFUSED', `only an admin or owner may reject a request (your role: ${access.role})`);
  const project = await db.selectFrom('projects').selectAll().where('id', '=', row.project_id).executeTakeFirstOrThrow();
  const envName = (await db.selectFrom('environments').select('name').where('id', '=', row.to_environment_id).executeTakeFirstOrThrow()).name;
  const to = await resolveEnvironment(db, { ...access, project }, envName);
  const now = nowIso();
  const test = decision === 'approve' && row.kind !== 'rollback' && (await gatesOfAccess(db, to)).pipeline !== null;
  const record = async (tx: Executor, deploymentId: string | null) => {
    const updated = await tx
      .updateTable('promotions')
      .set({ status: decision === 'approve' ? (test ? 'testing' : 'deploying') : 'rejected', decided_by_user: access.principal.userId, decided_at: now, reason: reason ?? null, deployment_id: deploymentId })
      .where('id', '=', id)
      .where('status', '=', 'pending-approval')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) throw new SlipwayError('SLW_PROMOTION_STATE', `request ${id} was decided by someone else meanwhile`);
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: `${row.kind}.${decision}`, targetType: 'promotion', target: id, details: { reason: reason ?? null } });
  };
  let deployment: Deployment | null = null;
  let superseded: Superseded | null = null;
  if (decision === 'approve' && row.kind !== 'rollback') await assertPromotedFrom(db, to, await settingsOf(db, to), row.image_digest);
  if (decision === 'reject' || test) {
    // Approved into an environment with a pipeline gate: the candidate is tested first; its deploy starts when the run passes.
    await db.transaction().execute((tx) => record(tx, null));
  } else {
    const request = await deployOf(db, { kind: row.kind as RequestKind, to, fromRelease: row.from_release, imageDigest: row.image_digest, version: row.version_tag }, actorOf(access.principal));
    const started = await requestDeploy(db, to, request, async (tx, requested) => {
      await record(tx, requested.deployment.id);
      if (row.kind === 'rollback') await restoreSnapshot(tx, keyring, to, request, requested.release.number);
    });
    deployment = started.deployment;
    superseded = started.superseded;
  }
  const promotion = await getPromotion(db, access, id);
  announce(access.workspace.id, promotion);
  return { promotion, deployment, superseded };
}

/** Tells the workspace's change stream that a request changed state. */
function announce(workspaceId: string, p: Promotion): void {
  announceChange(workspaceId, { kind: 'promotion', id: p.id, project: p.project, environment: p.to, status: p.status });
}
