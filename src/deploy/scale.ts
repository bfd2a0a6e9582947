/**
 * Scale now: a new replica count is stored and rolled to the release that runs in one
 * transaction; the engine starts the new replicas and routes to them once ready, or takes
 * replicas out of the route, drains and stops them — no new release, no downtime.
 *
 * @module
 */
import { assertReplicas } from '../core/deploy.js';
import { recordAudit } from '../audit/audit.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { Db } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { requestScale, type Deployment } from './deployments.js';
import { storedSettings } from './settings.js';

export async function scale(db: Db, access: EnvironmentAccess, replicas: number): Promise<Deployment> {
  assertReplicas(replicas);
  return requestScale(db, access, replicas, async (tx) => {
    const data = JSON.stringify({ ...(await storedSettings(tx, access.environment.id)), replicas });
    await tx
      .insertInto('environment_settings')
      .values({ environment_id: access.environment.id, data, updated_at: nowIso() })
      .onConflict((oc) => oc.column('environment_id').doUpdateSet({ data, updated_at: nowIso() }))
      .execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'environment.scale', targetType: 'environment', target: `${access.project.name}/${access.environment.name}`, details: { replicas } });
  });
}
