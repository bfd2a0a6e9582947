/**
 * When log retention (`server --keep-logs`) removed the log lines of a deployment, a pipeline
 * run or a herd upgrade: null while its logs are all there. Lets the API, the CLI and the panel
 * tell "removed by retention" from "wrote nothing".
 * Never edit a released migration; add a new one.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['deployments', 'pipeline_runs', 'herd_upgrades']) {
    await db.schema.alterTable(table).addColumn('logs_pruned_at', 'text').execute();
  }
}
