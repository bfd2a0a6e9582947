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

/**
 * Locks a pipeline run's row until the transaction ends; false when there is no such run (its
 * environment or project was deleted). A deletion locks the runs first ({@link lockRunsOf}), so a
 * write that holds this lock is stored before the deletion reads what to delete, and one that
 * waits for the deletion finds the run gone. The writer must take it itself: on PostgreSQL the
 * foreign-key check of an insert that references the run (a log line) takes only a key-share
 * lock, which does not wait for this one.
 */
export async function lockRun(tx: Executor, runId: string): Promise<boolean> {
  const r = await tx.updateTable('pipeline_runs').set((eb) => ({ fence: eb.ref('fence') })).where('id', '=', runId).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Locks the pipeline runs of these environments until the transaction ends (a deletion of them: see {@link lockRun}). */
export async function lockRunsOf(tx: Executor, environmentIds: string[]): Promise<void> {
  if (environmentIds.length === 0) return;
  await tx.updateTable('pipeline_runs').set((eb) => ({ fence: eb.ref('fence') })).where('environment_id', 'in', environmentIds).execute();
}
