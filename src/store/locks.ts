/**
 * Portable row locks for read-modify-write transactions.
 *
 * A no-op UPDATE takes the row's write lock on PostgreSQL (other writers of that row wait until
 * commit, and later statements then see their committed result), and is harmless on SQLite,
 * where Kysely already runs one transaction at a time per connection. `SELECT … FOR UPDATE`
 * would be the PostgreSQL idiom, but SQLite does not parse it.
 *
 * @module
 */
import type { Executor } from './schema.js';

/** Locks a project row until the transaction ends (serialises config and secret versions). */
export async function lockProject(tx: Executor, projectId: string): Promise<void> {
  await tx.updateTable('projects').set((eb) => ({ config_version: eb.ref('config_version') })).where('id', '=', projectId).execute();
}

/** Locks an environment row until the transaction ends (serialises release numbers). */
export async function lockEnvironment(tx: Executor, environmentId: string): Promise<void> {
  await tx.updateTable('environments').set((eb) => ({ kind: eb.ref('kind') })).where('id', '=', environmentId).execute();
}
