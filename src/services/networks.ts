/**
 * The private networks an environment's workloads join: one per provisioned service it is
 * attached to (not detaching), so they reach the service by its replica's name on that network.
 *
 * @module
 */
import type { Executor } from '../store/schema.js';

export async function attachmentNetworks(db: Executor, environmentId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('service_attachments as a')
    .innerJoin('provisioned_services as p', 'p.service_id', 'a.service_id')
    .select('p.network')
    .distinct()
    .where('a.environment_id', '=', environmentId)
    .where('a.state', '=', 'attached')
    .orderBy('p.network')
    .execute();
  return rows.map((r) => r.network);
}
