/**
 * Secrets per project (base) and per environment: versioned, encrypted at rest, write-only.
 * Reads return names, versions and timestamps; only {@link revealSecrets} (for the deploy engine
 * starting a workload) ever decrypts.
 *
 * @module
 */
import { SlipwayError, notFound } from '../core/errors.js';
import { assertKey, assertValue, maxSecretBytes } from '../core/config.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import { lockProject } from '../store/locks.js';
import type { Db, Executor } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { assertMayChangeWhatRuns } from '../deploy/protected-config.js';
import type { EnvironmentAccess, ProjectAccess } from '../projects/projects.js';
import type { SecretIdentity } from './envelope.js';
import type { SealedKind } from './sealed.js';

/** Encrypts and decrypts secret values (the master-key envelope today; a KMS later). */
export interface Keyring {
  seal(id: SecretIdentity, value: string): string;
  open(id: SecretIdentity, envelope: string): string;
  /** HMAC-SHA256 (hex) of `data` with a key derived from the master key for `purpose` (e.g. binding a backup file to this instance). */
  mac(purpose: string, data: string | Buffer): string;
}

/** Every secret version's envelope (tombstones have none), for a master-key rotation. */
export const sealedSecrets: SealedKind = {
  name: 'secret versions',
  columns: ['secrets.envelope'],
  async reseal(tx, reseal) {
    const rows = await tx.selectFrom('secrets').select(['id', 'workspace_id', 'project_id', 'scope', 'name', 'version', 'envelope']).where('envelope', 'is not', null).execute();
    for (const r of rows) {
      const envelope = reseal({ workspaceId: r.workspace_id, projectId: r.project_id, scope: r.scope, name: r.name, version: r.version }, r.envelope!, `secret ${r.name} v${r.version} (${r.id})`);
      await tx.updateTable('secrets').set({ envelope }).where('id', '=', r.id).execute();
    }
    return rows.length;
  },
};

/** A secret's metadata; never its value. */
export interface SecretInfo {
  name: string;
  version: number;
  layer: 'base' | 'environment';
  updatedAt: string;
  updatedBy: string | null;
}

type Scoped = ProjectAccess & Partial<Pick<EnvironmentAccess, 'environment'>>;

function scopeOf(access: Scoped): string {
  return access.environment?.id ?? 'base';
}

function layerLabel(access: Scoped): string {
  return access.environment ? `${access.project.name}/${access.environment.name}` : `${access.project.name} (base)`;
}

/** The newest version of every live secret of one layer. */
async function latestOfLayer(db: Executor, projectId: string, scope: string): Promise<Array<{ name: string; version: number; envelope: string | null; created_at: string; email: string | null }>> {
  const rows = await db
    .selectFrom('secrets as s')
    .leftJoin('users as u', 'u.id', 's.created_by')
    .select(['s.name', 's.version', 's.envelope', 's.created_at', 'u.email'])
    .where('s.project_id', '=', projectId)
    .where('s.scope', '=', scope)
    .where('s.version', '=', (eb) =>
      eb.selectFrom('secrets as s2').select((e) => e.fn.max('s2.version').as('v')).whereRef('s2.project_id', '=', 's.project_id').whereRef('s2.scope', '=', 's.scope').whereRef('s2.name', '=', 's.name'),
    )
    .orderBy('s.name')
    .execute();
  return rows.filter((r) => r.envelope !== null);
}

/** The secrets of one layer (base, or the environment's own), by name. */
export async function listSecrets(db: Executor, access: Scoped): Promise<SecretInfo[]> {
  const layer = access.environment ? 'environment' : 'base';
  const rows = await latestOfLayer(db, access.project.id, scopeOf(access));
  return rows.map((r) => ({ name: r.name, version: r.version, layer, updatedAt: r.created_at, updatedBy: r.email }));
}

/** The secrets an environment sees: its own layer over the project base, by name. */
export async function listResolvedSecrets(db: Executor, access: EnvironmentAccess): Promise<SecretInfo[]> {
  const base = await listSecrets(db, { ...access, environment: undefined });
  const own = await listSecrets(db, access);
  const byName = new Map<string, SecretInfo>();
  for (const s of [...base, ...own]) byName.set(s.name, s);
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * Stores a new version of a secret, encrypted. The value never reaches a log or the audit. On a
 * layer that feeds an environment requiring approval, only an admin or owner sets or deletes one
 * (deploy/protected-config.ts).
 */
export async function setSecret(db: Db, keyring: Keyring, access: Scoped, name: string, value: string): Promise<SecretInfo> {
  assertKey('secret', name);
  assertValue('secret', name, value);
  if (Buffer.byteLength(value, 'utf8') > maxSecretBytes) {
    throw new SlipwayError('SLW_VALIDATION', `secret ${name} is larger than ${maxSecretBytes} bytes; store large files elsewhere and keep a reference in the secret`);
  }
  return db.transaction().execute(async (tx) => {
    await assertMayChangeWhatRuns(tx, access, 'its secrets');
    return setSecretIn(tx, keyring, access, name, value);
  });
}

/** {@link setSecret} (already validated) inside the caller's transaction. */
async function setSecretIn(tx: Executor, keyring: Keyring, access: Scoped, name: string, value: string, via?: Record<string, unknown>): Promise<SecretInfo> {
  const scope = scopeOf(access);
  await lockProject(tx, access.project.id);
  const version = (await currentVersion(tx, access.project.id, scope, name)) + 1;
  const envelope = keyring.seal({ workspaceId: access.workspace.id, projectId: access.project.id, scope, name, version }, value);
  const now = nowIso();
  await tx
    .insertInto('secrets')
    .values({ id: newId('sec'), workspace_id: access.workspace.id, project_id: access.project.id, environment_id: access.environment?.id ?? null, scope, name, version, envelope, created_at: now, created_by: access.principal.userId })
    .execute();
  await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'secret.set', targetType: 'secret', target: `${layerLabel(access)} ${name}`, details: { name, version, ...via } });
  return { name, version, layer: access.environment ? 'environment' : 'base', updatedAt: now, updatedBy: access.principal.email };
}

/** Deletes a secret by writing a tombstone version (older versions stay for rollback). */
export async function unsetSecret(db: Db, access: Scoped, name: string): Promise<{ name: string; version: number }> {
  assertKey('secret', name);
  return db.transaction().execute(async (tx) => {
    await assertMayChangeWhatRuns(tx, access, 'its secrets');
    return unsetSecretIn(tx, access, name);
  });
}

async function unsetSecretIn(tx: Executor, access: Scoped, name: string, via?: Record<string, unknown>): Promise<{ name: string; version: number }> {
  const scope = scopeOf(access);
  await lockProject(tx, access.project.id);
  const latest = await tx.selectFrom('secrets').select(['version', 'envelope']).where('project_id', '=', access.project.id).where('scope', '=', scope).where('name', '=', name).orderBy('version', 'desc').limit(1).executeTakeFirst();
  if (!latest || latest.envelope === null) throw notFound('secret', name, layerLabel(access));
  const version = latest.version + 1;
  await tx
    .insertInto('secrets')
    .values({ id: newId('sec'), workspace_id: access.workspace.id, project_id: access.project.id, environment_id: access.environment?.id ?? null, scope, name, version, envelope: null, created_at: nowIso(), created_by: access.principal.userId })
    .execute();
  await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'secret.unset', targetType: 'secret', target: `${layerLabel(access)} ${name}`, details: { name, version, ...via } });
  return { name, version };
}

/**
 * Makes the environment see again the secret values it saw with `versions` (the snapshot a
 * rollback restores): each one that changed since is written as a new version of the
 * environment's own layer with its old value; one of the environment's own that did not exist
 * then is removed. A base secret added since cannot be hidden by the environment layer; those
 * names are returned.
 */
export async function restoreSecretsIn(tx: Executor, keyring: Keyring, access: EnvironmentAccess, versions: SecretVersions, via: Record<string, unknown>): Promise<{ changed: string[]; baseKept: string[] }> {
  const now = await currentSecretVersions(tx, access);
  const changed: string[] = [];
  const baseKept: string[] = [];
  const old = await revealSecrets(tx, keyring, access.workspace.id, access.project.id, versions);
  for (const [name, then] of Object.entries(versions)) {
    const current = now[name];
    if (current && current.scope === then.scope && current.version === then.version) continue;
    await setSecretIn(tx, keyring, access, name, old[name]!, via);
    changed.push(name);
  }
  for (const [name, current] of Object.entries(now)) {
    if (name in versions) continue;
    if (current.scope === 'base') baseKept.push(name);
    else {
      await unsetSecretIn(tx, access, name, via);
      changed.push(name);
    }
  }
  return { changed: changed.sort(), baseKept: baseKept.sort() };
}

async function currentVersion(tx: Executor, projectId: string, scope: string, name: string): Promise<number> {
  const row = await tx.selectFrom('secrets').select((eb) => eb.fn.max('version').as('v')).where('project_id', '=', projectId).where('scope', '=', scope).where('name', '=', name).executeTakeFirst();
  return Number(row?.v ?? 0);
}

/** Which version of each secret an environment sees now; a release stores this map. */
export type SecretVersions = Record<string, { scope: string; version: number }>;

/** The current secret versions of an environment (environment layer over base). */
export async function currentSecretVersions(db: Executor, access: EnvironmentAccess): Promise<SecretVersions> {
  const out: SecretVersions = {};
  for (const scope of ['base', access.environment.id]) {
    for (const r of await latestOfLayer(db, access.project.id, scope)) out[r.name] = { scope, version: r.version };
  }
  return out;
}

/**
 * Decrypts the given secret versions of a project (for the deploy engine, when a workload
 * starts). Never call this to answer an API read.
 */
export async function revealSecrets(db: Executor, keyring: Keyring, workspaceId: string, projectId: string, versions: SecretVersions): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, { scope, version }] of Object.entries(versions)) {
    const row = await db.selectFrom('secrets').select('envelope').where('project_id', '=', projectId).where('scope', '=', scope).where('name', '=', name).where('version', '=', version).executeTakeFirst();
    if (!row?.envelope) throw notFound('secret version', `${name} v${version}`);
    out[name] = keyring.open({ workspaceId, projectId, scope, name, version }, row.envelope);
  }
  return out;
}
