/**
 * Storing an application's continuous options (core/continuous.ts compiles and checks them):
 * `slipway app set APP --continuous-canary N …`, or `--continuous-defaults`.
 *
 * @module
 */
import { compileContinuous, continuousOf, type ContinuousInput, type ContinuousOptions } from '../core/continuous.js';
import { recordAudit } from '../audit/audit.js';
import type { ApplicationsTable, Db } from '../store/schema.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';

/** `input` over the application's current options, checked (throws SLW_VALIDATION); null: back to the defaults. */
export function nextContinuous(app: ApplicationsTable, input: ContinuousInput | null): ContinuousOptions | null {
  return input === null ? null : compileContinuous(input, continuousOf(app.continuous_options));
}

/** Stores compiled options (null: the defaults), audited; the running upgrades keep the options they started with. */
export async function setContinuous(db: Db, access: WorkspaceAccess, app: ApplicationsTable, options: ContinuousOptions | null): Promise<ApplicationsTable> {
  const stored = options === null ? null : JSON.stringify(options);
  if (stored === app.continuous_options) return app;
  await db.transaction().execute(async (tx) => {
    await tx.updateTable('applications').set({ continuous_options: stored }).where('id', '=', app.id).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: app.workspace_id, action: 'application.continuous.set', targetType: 'application', target: app.name, details: options === null ? { defaults: true } : { ...options } });
  });
  return { ...app, continuous_options: stored };
}
