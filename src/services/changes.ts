/**
 * Services on the workspace change stream (`kind: service`): each change is announced once it is
 * stored (after its transaction commits), with the service's name, what happened and, for an
 * attachment or a backup, the project and environment of the attachment — what a view needs to
 * decide whether to read again. The server that stores a change announces it (on PostgreSQL it is
 * relayed to the other control planes' streams: src/deploy/change-relay.ts). Nothing here fires in bursts (one announcement per request, per attachment the
 * sweep finishes or an environment's deletion marks detaching, per backup an upgrade takes, per
 * health transition the health watch sees every 5 s), so nothing is coalesced.
 *
 * @module
 */
import type { ServiceChangeKind } from '../api/streams.js';
import { announceChange } from '../deploy/events.js';
import type { Executor } from '../store/schema.js';

export interface ServiceChangeWhere {
  project?: string | undefined;
  environment?: string | undefined;
}

/** Announces a stored change of service `name` of workspace `workspaceId`. */
export function announceService(workspaceId: string, name: string, change: ServiceChangeKind, where: ServiceChangeWhere = {}, status?: string): void {
  announceChange(workspaceId, {
    kind: 'service',
    name,
    change,
    ...(where.project === undefined ? {} : { project: where.project }),
    ...(where.environment === undefined ? {} : { environment: where.environment }),
    ...(status === undefined ? {} : { status }),
  });
}

/** The project and environment names of an attachment's environment (none once it was deleted). */
export async function attachmentWhere(db: Executor, environmentId: string): Promise<ServiceChangeWhere> {
  const e = await db.selectFrom('environments as e').innerJoin('projects as p', 'p.id', 'e.project_id').select(['p.name as project', 'e.name as environment']).where('e.id', '=', environmentId).executeTakeFirst();
  return e ? { project: e.project, environment: e.environment } : {};
}
