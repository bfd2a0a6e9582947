/**
 * The project's applied manifest, parsed: read by the deploy engine, the gates and the herds. A
 * leaf (it imports nothing of deploy/), so what the gates read never loops back through them.
 *
 * @module
 */
import type { Manifest } from '../core/manifest.js';
import type { Executor } from '../store/schema.js';

/** The project's applied manifest, parsed; null when none was applied. */
export async function projectManifest(db: Executor, projectId: string): Promise<Manifest | null> {
  const row = await db.selectFrom('project_manifests').select('parsed').where('project_id', '=', projectId).executeTakeFirst();
  return row ? (JSON.parse(row.parsed) as Manifest) : null;
}
