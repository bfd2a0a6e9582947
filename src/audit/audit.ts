/**
 * The audit log: one row per change, written in the same transaction as the change itself, so
 * a change without its audit row (or the reverse) cannot exist.
 *
 * Details never hold secret values or config values: names, versions and counts only.
 *
 * @module
 */
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { Executor } from '../store/schema.js';

/** Who did something: a user acting through a token, or the server itself (both null). */
export interface Actor {
  userId: string | null;
  tokenId: string | null;
}

/** The server acting on its own (first start, migrations). */
export const systemActor: Actor = { userId: null, tokenId: null };

/** One change to record. */
export interface AuditEntry {
  workspaceId: string | null;
  action: string;
  targetType: string;
  target: string;
  details?: Record<string, unknown>;
}

/** Writes an audit row with `tx`, which should be the transaction that makes the change. */
export async function recordAudit(tx: Executor, actor: Actor, entry: AuditEntry): Promise<void> {
  await tx
    .insertInto('audit_events')
    .values({
      id: newId('aud'),
      workspace_id: entry.workspaceId,
      at: nowIso(),
      actor_user_id: actor.userId,
      actor_token_id: actor.tokenId,
      action: entry.action,
      target_type: entry.targetType,
      target: entry.target,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}

/** An audit event as the API returns it. */
export interface AuditEvent {
  id: string;
  at: string;
  actor: { userId: string | null; email: string | null; tokenId: string | null; tokenName: string | null };
  action: string;
  targetType: string;
  target: string;
  details: Record<string, unknown>;
}

/** Filters for {@link listAudit}. */
export interface AuditQuery {
  action?: string | undefined;
  targetType?: string | undefined;
  actorEmail?: string | undefined;
  since?: string | undefined;
  /** Only events older than this id (for paging). */
  before?: string | undefined;
  limit: number;
}

/** The newest audit events of a workspace first. */
export async function listAudit(db: Executor, workspaceId: string, query: AuditQuery): Promise<AuditEvent[]> {
  let q = db
    .selectFrom('audit_events as a')
    .leftJoin('users as u', 'u.id', 'a.actor_user_id')
    .leftJoin('tokens as t', 't.id', 'a.actor_token_id')
    .select(['a.id', 'a.at', 'a.action', 'a.target_type', 'a.target', 'a.details', 'a.actor_user_id', 'a.actor_token_id', 'u.email', 't.name as token_name'])
    .where('a.workspace_id', '=', workspaceId);
  if (query.action) {
    q = query.action.endsWith('.*') ? q.where('a.action', 'like', `${query.action.slice(0, -1)}%`) : q.where('a.action', '=', query.action);
  }
  if (query.targetType) q = q.where('a.target_type', '=', query.targetType);
  if (query.actorEmail) q = q.where('u.email', '=', query.actorEmail);
  if (query.since) q = q.where('a.at', '>=', query.since);
  if (query.before) q = q.where('a.id', '<', query.before);
  const rows = await q.orderBy('a.id', 'desc').limit(query.limit).execute();
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: { userId: r.actor_user_id, email: r.email, tokenId: r.actor_token_id, tokenName: r.token_name },
    action: r.action,
    targetType: r.target_type,
    target: r.target,
    details: JSON.parse(r.details) as Record<string, unknown>,
  }));
}
