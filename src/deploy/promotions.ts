/**
 * Promotions: the digest of one environment's current release deployed to another with that
 * environment's own config and secrets; no build. Into an environment that requires approval,
 * a promotion waits until an admin or owner other than the requester approves it (or anyone of
 * them rejects it).
 *
 * @module
 */
import { SlipwayError, notFound } from '../core/errors.js';
import { approvalRefusal, effectiveSettings, type StoredSettings } from '../core/deploy.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import { resolveEnvironment, type ProjectAccess } from '../projects/projects.js';
import type { Db, Executor, PromotionsTable } from '../store/schema.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';
import { currentRelease, requestDeploy, type Deployment } from './deployments.js';
import { announceChange } from './events.js';
import { storedSettings } from './settings.js';

export interface Promotion {
  id: string;
  project: string;
  from: string;
  to: string;
  fromRelease: number;
  imageDigest: string;
  version: string | null;
  status: 'pending-approval' | 'rejected' | 'deploying' | 'succeeded' | 'failed';
  requestedBy: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
  deploymentId: string | null;
  createdAt: string;
}

async function toPromotion(db: Executor, p: PromotionsTable): Promise<Promotion> {
  const env = async (id: string) => (await db.selectFrom('environments').select('name').where('id', '=', id).executeTakeFirst())?.name ?? id;
  const email = async (id: string | null) => (id ? ((await db.selectFrom('users').select('email').where('id', '=', id).executeTakeFirst())?.email ?? null) : null);
  const project = (await db.selectFrom('projects').select('name').where('id', '=', p.project_id).executeTakeFirst())?.name ?? p.project_id;
  let status = p.status as Promotion['status'];
  if (status === 'deploying' && p.deployment_id) {
    const d = await db.selectFrom('deployments').select('status').where('id', '=', p.deployment_id).executeTakeFirst();
    if (d?.status === 'succeeded' || d?.status === 'failed') status = d.status;
  }
  return {
    id: p.id,
    project,
    from: await env(p.from_environment_id),
    to: await env(p.to_environment_id),
    fromRelease: p.from_release,
    imageDigest: p.image_digest,
    version: p.version_tag,
    status,
    requestedBy: await email(p.requested_by_user),
    decidedBy: await email(p.decided_by_user),
    decidedAt: p.decided_at,
    reason: p.reason,
    deploymentId: p.deployment_id,
    createdAt: p.created_at,
  };
}

/** Asks for a promotion; deploys at once unless the target environment requires approval. */
export async function promote(db: Db, access: ProjectAccess, fromName: string, toName: string): Promise<{ promotion: Promotion; deployment: Deployment | null }> {
  const from = await resolveEnvironment(db, access, fromName);
  const to = await resolveEnvironment(db, access, toName);
  if (from.environment.id === to.environment.id) throw new SlipwayError('SLW_VALIDATION', 'promote from one environment to another: --from and --to are the same');
  const source = await currentRelease(db, from.environment.id);
  if (!source) throw new SlipwayError('SLW_NOTHING_DEPLOYED', `${access.project.name}/${fromName} has no successful release to promote; deploy it first`);
  const settings = effectiveSettings({ workspace: access.workspace.name, project: access.project.name, environment: toName }, (await storedSettings(db, to.environment.id)) as StoredSettings);
  const row: PromotionsTable = {
    id: newId('pro'),
    workspace_id: access.workspace.id,
    project_id: access.project.id,
    from_environment_id: from.environment.id,
    to_environment_id: to.environment.id,
    from_release: source.number,
    image_digest: source.image_digest,
    version_tag: source.version_tag,
    status: settings.requireApproval ? 'pending-approval' : 'deploying',
    requested_by_user: access.principal.userId,
    requested_by_token: access.principal.tokenId,
    decided_by_user: null,
    decided_at: null,
    reason: null,
    deployment_id: null,
    created_at: nowIso(),
  };
  let deployment: Deployment | null = null;
  if (!settings.requireApproval) {
    deployment = (await requestDeploy(db, to, { imageDigest: source.image_digest, version: source.version_tag, trigger: 'promotion', actor: actorOf(access.principal) })).deployment;
    row.deployment_id = deployment.id;
  }
  await db.insertInto('promotions').values(row).execute();
  await recordAudit(db, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'promotion.request', targetType: 'promotion', target: `${access.project.name}: ${fromName} → ${toName}`, details: { id: row.id, imageDigest: row.image_digest, status: row.status } });
  const promotion = await toPromotion(db, row);
  announce(access.workspace.id, promotion);
  return { promotion, deployment };
}

export async function findPromotion(db: Executor, access: WorkspaceAccess, id: string): Promise<PromotionsTable> {
  const row = await db.selectFrom('promotions').selectAll().where('id', '=', id).where('workspace_id', '=', access.workspace.id).executeTakeFirst();
  if (!row) throw notFound('promotion', id);
  return row;
}

export async function getPromotion(db: Executor, access: WorkspaceAccess, id: string): Promise<Promotion> {
  return toPromotion(db, await findPromotion(db, access, id));
}

/** A project's promotions, newest first; `status` filters on the status as reported (a deploying one that ended reports how). */
export async function listPromotions(db: Executor, access: WorkspaceAccess, projectId: string, status: Promotion['status'] | undefined, limit = 100): Promise<Promotion[]> {
  const rows = await db.selectFrom('promotions').selectAll().where('workspace_id', '=', access.workspace.id).where('project_id', '=', projectId).orderBy('created_at', 'desc').execute();
  const out: Promotion[] = [];
  for (const row of rows) {
    const promotion = await toPromotion(db, row);
    if (status === undefined || promotion.status === status) out.push(promotion);
    if (out.length >= limit) break;
  }
  return out;
}

/** Approves (and starts the deploy) or rejects a pending promotion. */
export async function decide(db: Db, access: WorkspaceAccess, id: string, decision: 'approve' | 'reject', reason?: string): Promise<{ promotion: Promotion; deployment: Deployment | null }> {
  const row = await findPromotion(db, access, id);
  if (row.status !== 'pending-approval') throw new SlipwayError('SLW_PROMOTION_STATE', `promotion ${id} is ${row.status}, not waiting for approval`);
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
  if (decision === 'reject' && !mayReject) throw new SlipwayError('SLW_APPROVAL_REFUSED', `only an admin or owner may reject a promotion (your role: ${access.role})`);
  let deployment: Deployment | null = null;
  const now = nowIso();
  if (decision === 'approve') {
    const project = await db.selectFrom('projects').selectAll().where('id', '=', row.project_id).executeTakeFirstOrThrow();
    const env = await db.selectFrom('environments').select('name').where('id', '=', row.to_environment_id).executeTakeFirstOrThrow();
    const to = await resolveEnvironment(db, { ...access, project }, env.name);
    deployment = (await requestDeploy(db, to, { imageDigest: row.image_digest, version: row.version_tag, trigger: 'promotion', actor: actorOf(access.principal) })).deployment;
  }
  const updated = await db
    .updateTable('promotions')
    .set({ status: decision === 'approve' ? 'deploying' : 'rejected', decided_by_user: access.principal.userId, decided_at: now, reason: reason ?? null, deployment_id: deployment?.id ?? null })
    .where('id', '=', id)
    .where('status', '=', 'pending-approval')
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) throw new SlipwayError('SLW_PROMOTION_STATE', `promotion ${id} was decided by someone else meanwhile`);
  await recordAudit(db, actorOf(access.principal), { workspaceId: access.workspace.id, action: `promotion.${decision}`, targetType: 'promotion', target: id, details: { reason: reason ?? null } });
  const promotion = await getPromotion(db, access, id);
  announce(access.workspace.id, promotion);
  return { promotion, deployment };
}

/** Tells the workspace's change stream that a promotion changed state. */
function announce(workspaceId: string, p: Promotion): void {
  announceChange(workspaceId, { kind: 'promotion', id: p.id, project: p.project, environment: p.to, status: p.status });
}
