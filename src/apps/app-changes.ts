/**
 * A change to an application's own settings (its notify URL and secret, its automatic upgrades'
 * options), made by each setting's module after its checks and stored here: every change of one
 * request in one transaction with its audit entries, so a request changes all it asked or nothing.
 *
 * @module
 */
import { recordAudit } from '../audit/audit.js';
import type { ApplicationsTable, Db } from '../store/schema.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';

type Settable = Pick<ApplicationsTable, 'notify_url' | 'notify_secret_envelope' | 'continuous_options'>;

export interface AppChange {
  set: Partial<Settable>;
  /** The audit entry that records it (never a secret: a URL's host only). */
  action: string;
  details: Record<string, unknown>;
}

/** Stores `changes` (null: nothing to change) in one transaction; answers the application as stored. */
export async function applyAppChanges(db: Db, access: WorkspaceAccess, app: ApplicationsTable, changes: Array<AppChange | null>): Promise<ApplicationsTable> {
  const given = changes.filter((c): c is AppChange => c !== null);
  if (given.length === 0) return app;
  const set = Object.assign({}, ...given.map((c) => c.set)) as Partial<Settable>;
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('applications').set(set).where('id', '=', app.id).execute();
    for (const c of given) await recordAudit(tx, actorOf(access.principal), { workspaceId: app.workspace_id, action: c.action, targetType: 'application', target: app.name, details: c.details });
  });
  return { ...app, ...set };
}
