/**
 * The volumes a release ran with (JSON `[{ name, path }]`), so a rollback mounts the same ones;
 * releases made before volumes existed ran with none.
 * Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('releases').addColumn('volumes', 'text', (c) => c.notNull().defaultTo('[]')).execute();
}
