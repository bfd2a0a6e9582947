/**
 * The connection variables an environment's workloads get: for every attachment that is
 * attached (not detaching), its current credential generation, decrypted here only to be
 * handed to the target (a custom service's attachment has none: it gets where the service
 * answers). Attachments inject after config and secrets, so a secret of the same name does not
 * hide them.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { connectionVariables, type ServiceKind } from '../core/services.js';
import type { Keyring } from '../secrets/secrets.js';
import type { SealedKind } from '../secrets/sealed.js';
import type { Executor } from '../store/schema.js';

export const credentialSealId = (workspaceId: string, attachmentId: string, generation: number) => ({ workspaceId, projectId: 'service', scope: attachmentId, name: 'password', version: generation });

/** Every generation of every attachment's credentials (revoked ones too), for a master-key rotation. */
export const sealedServiceCredentials: SealedKind = {
  name: 'service credentials',
  columns: ['service_credentials.envelope'],
  async reseal(tx, reseal) {
    const rows = await tx.selectFrom('service_credentials as c').innerJoin('service_attachments as a', 'a.id', 'c.attachment_id').select(['c.id', 'c.attachment_id', 'c.generation', 'c.envelope', 'a.workspace_id']).execute();
    for (const r of rows) await tx.updateTable('service_credentials').set({ envelope: reseal(credentialSealId(r.workspace_id, r.attachment_id, r.generation), r.envelope, `service credentials ${r.id} (attachment ${r.attachment_id})`) }).where('id', '=', r.id).execute();
    return rows.length;
  },
};

/** The variables of every current attachment of the environment. Holds passwords: never log it. */
export async function attachmentVariables(db: Executor, keyring: Keyring, environmentId: string): Promise<Record<string, string>> {
  const rows = await db
    .selectFrom('service_attachments as a')
    .innerJoin('services as s', 's.id', 'a.service_id')
    .leftJoin('service_credentials as c', (j) => j.onRef('c.attachment_id', '=', 'a.id').onRef('c.generation', '=', 'a.generation'))
    .leftJoin('custom_services as x', 'x.service_id', 's.id')
    .select(['a.id', 'a.workspace_id', 'a.prefix', 'a.resource', 'a.generation', 's.kind', 's.workload_host', 's.workload_port', 'c.username', 'c.envelope', 'x.scheme'])
    .where('a.environment_id', '=', environmentId)
    .where('a.state', '=', 'attached')
    .orderBy('a.id')
    .execute();
  const env: Record<string, string> = {};
  for (const r of rows) {
    const endpoint = { host: r.workload_host, port: r.workload_port };
    const prefix = r.prefix === '' ? null : r.prefix;
    if (r.kind === 'custom') {
      Object.assign(env, connectionVariables('custom', prefix, { endpoint, resource: '', username: '', password: '', scheme: r.scheme ?? 'tcp' }));
      continue;
    }
    // A data kind's attachment always has its current generation's credentials.
    if (r.username === null || r.envelope === null) throw new SlipwayError('SLW_INTERNAL', `attachment ${r.id} has no credentials of generation ${r.generation}`);
    const password = keyring.open(credentialSealId(r.workspace_id, r.id, r.generation), r.envelope);
    Object.assign(env, connectionVariables(r.kind as ServiceKind, prefix, { endpoint, resource: r.resource, username: r.username, password }));
  }
  return env;
}
