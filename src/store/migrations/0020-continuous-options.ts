/**
 * How an application's automatic (continuous-policy) upgrades move: canaries, batch, parallel,
 * bake and failure budget, as JSON; null: the defaults (src/herds/continuous-options.ts).
 * Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('applications').addColumn('continuous_options', 'text').execute();
}
