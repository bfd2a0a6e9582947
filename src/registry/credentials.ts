/**
 * Credentials for other registries (base images, imports), per workspace and host. The password
 * is sealed like a secret (envelope encryption, AAD bound to workspace and host) and never
 * returned: listing shows host, username and timestamps.
 *
 * @module
 */
import { SlipwayError, notFound } from '../core/errors.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import type { Keyring } from '../secrets/secrets.js';
import type { SecretIdentity } from '../secrets/envelope.js';
import type { SealedKind } from '../secrets/sealed.js';
import type { Db, Executor } from '../store/schema.js';
import { actorOf, type WorkspaceAccess } from '../tenancy/principal.js';

export interface CredentialInfo {
  host: string;
  username: string;
  createdAt: string;
  updatedAt: string;
}

const hostPattern = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:]+\])(?::\d{1,5})?$/;

export function assertRegistryHost(host: string): string {
  const h = host.toLowerCase();
  if (h === 'docker.io' || h === 'index.docker.io') return 'registry-1.docker.io';
  if (!hostPattern.test(h)) throw new SlipwayError('SLW_VALIDATION', `'${host}' is not a registry host: use HOST or HOST:PORT, e.g. ghcr.io or 127.0.0.1:5000`);
  return h;
}

const identity = (workspaceId: string, host: string): SecretIdentity => ({ workspaceId, projectId: 'registry-credentials', scope: 'workspace', name: host, version: 1 });

/** Every registry credential's password, for a master-key rotation. */
export const sealedRegistryCredentials: SealedKind = {
  name: 'registry credentials',
  columns: ['registry_credentials.envelope'],
  async reseal(tx, reseal) {
    const rows = await tx.selectFrom('registry_credentials').select(['id', 'workspace_id', 'host', 'envelope']).execute();
    for (const r of rows) await tx.updateTable('registry_credentials').set({ envelope: reseal(identity(r.workspace_id, r.host), r.envelope, `registry credential ${r.host} (${r.id})`) }).where('id', '=', r.id).execute();
    return rows.length;
  },
};

export async function setCredential(db: Db, keyring: Keyring, access: WorkspaceAccess, input: { host: string; username: string; password: string }): Promise<CredentialInfo> {
  const host = assertRegistryHost(input.host);
  if (input.username.length === 0) throw new SlipwayError('SLW_VALIDATION', 'username must not be empty');
  const envelope = keyring.seal(identity(access.workspace.id, host), input.password);
  const at = nowIso();
  await db.transaction().execute(async (tx) => {
    const existing = await tx.selectFrom('registry_credentials').select('id').where('workspace_id', '=', access.workspace.id).where('host', '=', host).executeTakeFirst();
    if (existing) await tx.updateTable('registry_credentials').set({ username: input.username, envelope, updated_at: at }).where('id', '=', existing.id).execute();
    else await tx.insertInto('registry_credentials').values({ id: newId('cred'), workspace_id: access.workspace.id, host, username: input.username, envelope, created_at: at, updated_at: at }).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'registry-credential.set', targetType: 'registry-credential', target: host, details: { username: input.username } });
  });
  return (await listCredentials(db, access)).find((c) => c.host === host)!;
}

export async function listCredentials(db: Executor, access: WorkspaceAccess): Promise<CredentialInfo[]> {
  const rows = await db.selectFrom('registry_credentials').select(['host', 'username', 'created_at', 'updated_at']).where('workspace_id', '=', access.workspace.id).orderBy('host').execute();
  return rows.map((r) => ({ host: r.host, username: r.username, createdAt: r.created_at, updatedAt: r.updated_at }));
}

export async function removeCredential(db: Db, access: WorkspaceAccess, hostText: string): Promise<void> {
  const host = assertRegistryHost(hostText);
  await db.transaction().execute(async (tx) => {
    const result = await tx.deleteFrom('registry_credentials').where('workspace_id', '=', access.workspace.id).where('host', '=', host).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('registry credential', host, `workspace '${access.workspace.name}'`);
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'registry-credential.remove', targetType: 'registry-credential', target: host, details: {} });
  });
}

/** The decrypted credential for a host (server-side use only: base image pulls, imports). */
export async function credentialFor(db: Executor, keyring: Keyring, workspaceId: string, hostText: string): Promise<{ username: string; password: string } | undefined> {
  const host = assertRegistryHost(hostText);
  const row = await db.selectFrom('registry_credentials').select(['username', 'envelope']).where('workspace_id', '=', workspaceId).where('host', '=', host).executeTakeFirst();
  if (!row) return undefined;
  return { username: row.username, password: keyring.open(identity(workspaceId, host), row.envelope) };
}
