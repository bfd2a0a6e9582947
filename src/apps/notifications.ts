/**
 * Notifications for an application's admins: a new version (and which sites run older ones), a
 * herd upgrade that halted or finished, a staged site waiting for approval. Each is a row (the
 * panel and `slipway app notifications` list them) and an audit event, written together; when
 * the application has a notify URL, the row starts `pending` and the deliverer
 * (notify-delivery.ts) POSTs it in the background, signed with the application's notify secret.
 * The caller never waits for the receiver.
 *
 * A notification with a `dedupeKey` (a version's is `version:<tag>`) is recorded once per
 * application, whichever control plane or restart tries first: a unique index decides.
 *
 * @module
 */
import type { NotificationKind } from '../core/notifications.js';
import { recordAudit, systemActor, type Actor } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { ApplicationNotificationsTable, ApplicationsTable, Db, Executor } from '../store/schema.js';
import type { Transaction } from 'kysely';
import type { Database } from '../store/schema.js';

/** What `notify` needs: the store, and a nudge for the deliverer (absent: its sweep finds the row within seconds). */
export interface NotifyContext {
  db: Executor;
  poke?: (() => void) | undefined;
}

export interface NotificationInput {
  kind: NotificationKind;
  /** One line for people. */
  message: string;
  /** JSON-able facts for programs (no secrets: it goes into the audit log and the webhook). */
  details: Record<string, unknown>;
  /** Record it only once per application under this key (e.g. `version:1.3.0`). */
  dedupeKey?: string | undefined;
  /** Who caused it (default: the server itself). */
  actor?: Actor | undefined;
}

/** A notification as the API returns it. */
export interface NotificationInfo {
  id: string;
  kind: string;
  message: string;
  details: Record<string, unknown>;
  createdAt: string;
  /** The outgoing webhook: state null when the application had no notify URL then. */
  webhook: { state: 'pending' | 'sent' | 'failed' | null; error: string | null; attempts: number };
}

/** Runs `fn` in `db`'s transaction, or in a new one when `db` is not one. */
export async function inTransaction<T>(db: Executor, fn: (tx: Executor) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db);
  return (db as Db).transaction().execute((tx: Transaction<Database>) => fn(tx));
}

/**
 * Records a notification of `app` (row + audit event, one transaction) and, when it has a notify
 * URL, queues the webhook. Returns the id, and `created: false` when `dedupeKey` was recorded
 * before (nothing is done again). Inside the caller's own transaction, the deliverer is not
 * nudged (the row is not visible before the commit): call `ctx.poke` after it, or let the sweep
 * find it.
 */
export async function notify(ctx: NotifyContext, app: ApplicationsTable, input: NotificationInput): Promise<{ id: string; created: boolean }> {
  const ownTransaction = !ctx.db.isTransaction;
  const now = nowIso();
  const row: ApplicationNotificationsTable = {
    id: newId('ntf'),
    workspace_id: app.workspace_id,
    application_id: app.id,
    kind: input.kind,
    message: input.message.slice(0, 2000),
    details: JSON.stringify(input.details),
    created_at: now,
    webhook_state: app.notify_url ? 'pending' : null,
    webhook_error: null,
    dedupe_key: input.dedupeKey ?? null,
    webhook_attempts: 0,
    webhook_next_at: app.notify_url ? now : null,
  };
  const created = await inTransaction(ctx.db, async (tx) => {
    const inserted = await tx
      .insertInto('application_notifications')
      .values(row)
      .onConflict((oc) => oc.columns(['application_id', 'dedupe_key']).doNothing())
      .returning('id')
      .execute();
    if (inserted.length === 0) return false;
    await recordAudit(tx, input.actor ?? systemActor, { workspaceId: app.workspace_id, action: `application.notify.${input.kind}`, targetType: 'application', target: app.name, details: { notification: row.id, message: row.message, webhook: row.webhook_state !== null } });
    return true;
  });
  if (created && row.webhook_state === 'pending' && ownTransaction) ctx.poke?.();
  return { id: row.id, created };
}

/** {@link notify} for an application known by its id (the herd runner's hook); false when it is gone. */
export async function notifyApplication(ctx: NotifyContext, applicationId: string, input: NotificationInput): Promise<boolean> {
  const app = await ctx.db.selectFrom('applications').selectAll().where('id', '=', applicationId).executeTakeFirst();
  if (!app) return false;
  await notify(ctx, app, input);
  return true;
}

export function toNotificationInfo(r: ApplicationNotificationsTable): NotificationInfo {
  return {
    id: r.id,
    kind: r.kind,
    message: r.message,
    details: JSON.parse(r.details) as Record<string, unknown>,
    createdAt: r.created_at,
    webhook: { state: r.webhook_state as NotificationInfo['webhook']['state'], error: r.webhook_error, attempts: r.webhook_attempts },
  };
}

/** The application's notifications, newest first. */
export async function listNotifications(db: Executor, app: ApplicationsTable, limit = 100): Promise<NotificationInfo[]> {
  const rows = await db.selectFrom('application_notifications').selectAll().where('application_id', '=', app.id).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map(toNotificationInfo);
}
