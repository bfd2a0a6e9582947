/**
 * The connection variables an environment's workloads get: for every attachment that is
 * attached (not detaching), its current credential generation, decrypted here only to be
 * handed to the target. Attachments inject after config and secrets, so a secret of the same
 * name does not hide them.
 *
 * @module
 */
import { connectionVariables, type ServiceKind } from '../core/services.js';
import type { Keyring } from '../secrets/secrets.js';
import type { Executor } from '../store/schema.js';

export const credentialSealId = (workspaceId: string, attachmentId: string, generation: number) => ({ workspaceId, projectId: 'service', scope: attachmentId, name: 'password', version: generation });

/** The variables of every current attachment of the environment. Holds passwords: never log it. */
export async function attachmentVariables(db: Executor, keyring: Keyring, environmentId: string): Promise<Record<string, string>> {
  const rows = await db
    .selectFrom('service_attachments as a')
    .innerJoin('services as s', 's.id', 'a.service_id')
    .innerJoin('service_credentials as c', (j) => j.onRef('c.attachment_id', '=', 'a.id').onRef('c.generation', '=', 'a.generation'))
    .select(['a.id', 'a.workspace_id', 'a.prefix', 'a.resource', 'a.generation', 's.kind', 's.workload_host', 's.workload_port', 'c.username', 'c.envelope'])
    .where('a.environment_id', '=', environmentId)
    .where('a.state', '=', 'attached')
    .orderBy('a.id')
    .execute();
  const env: Record<string, string> = {};
  for (const r of rows) {
    const password = keyring.open(credentialSealId(r.workspace_id, r.id, r.generation), r.envelope);
    Object.assign(env, connectionVariables(r.kind as ServiceKind, r.prefix === '' ? null : r.prefix, { endpoint: { host: r.workload_host, port: r.workload_port }, resource: r.resource, username: r.username, password }));
  }
  return env;
}
