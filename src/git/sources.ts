/**
 * A project's git source: the linked repository URL, its default branch, the branch patterns
 * that get branch environments, the runtime and base for the builder, and a credential sealed
 * with the keyring (write-only: no read returns it, the API says `credential: set`).
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { assertBranchPattern, assertGitCredential, assertGitRef, parseGitUrl } from '../core/git.js';
import { parseRuntime } from '../core/runtimes.js';
import { recordAudit } from '../audit/audit.js';
import { nowIso } from '../platform/time.js';
import type { ProjectAccess } from '../projects/projects.js';
import type { SecretIdentity } from '../secrets/envelope.js';
import type { Keyring } from '../secrets/secrets.js';
import type { SealedKind } from '../secrets/sealed.js';
import type { Db, Executor, GitSourcesTable } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import type { GitHostPolicy } from './git-cli.js';

/** A git source as the API returns it (never the credential). */
export interface GitSource {
  project: string;
  url: string;
  branch: string;
  branchEnvs: string[];
  credential: 'set' | 'none';
  runtime: string | null;
  base: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface LinkInput {
  url: string;
  branch?: string | undefined;
  branchEnvs?: string[] | undefined;
  /** A token (or user:token); absent keeps the current one on a re-link, `null` removes it. */
  credential?: string | null | undefined;
  runtime?: string | undefined;
  base?: string | undefined;
}

export interface GitContext {
  db: Db;
  keyring: Keyring;
  hosts: GitHostPolicy;
}

/** The identity the credential's envelope is bound to (a ciphertext moved to another project or generation fails to open). */
export const credentialSealId = (workspaceId: string, projectId: string, generation: number): SecretIdentity => ({ workspaceId, projectId, scope: 'git-source', name: 'credential', version: generation });

/** Every git source's credential, for a master-key rotation. */
export const sealedGitCredentials: SealedKind = {
  name: 'git source credentials',
  columns: ['git_sources.credential_envelope'],
  async reseal(tx, reseal) {
    const rows = await tx.selectFrom('git_sources').select(['project_id', 'workspace_id', 'credential_generation', 'credential_envelope']).where('credential_envelope', 'is not', null).execute();
    for (const r of rows) await tx.updateTable('git_sources').set({ credential_envelope: reseal(credentialSealId(r.workspace_id, r.project_id, r.credential_generation), r.credential_envelope!, `git source credential of project ${r.project_id}`) }).where('project_id', '=', r.project_id).execute();
    return rows.length;
  },
};

export function toGitSource(projectName: string, row: GitSourcesTable): GitSource {
  return {
    project: projectName,
    url: row.url,
    branch: row.default_branch,
    branchEnvs: JSON.parse(row.branch_envs) as string[],
    credential: row.credential_envelope === null ? 'none' : 'set',
    runtime: row.runtime,
    base: row.base,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function findGitSource(db: Executor, projectId: string): Promise<GitSourcesTable | undefined> {
  return db.selectFrom('git_sources').selectAll().where('project_id', '=', projectId).executeTakeFirst();
}

/** The project's source, or SLW_GIT_NOT_LINKED. */
export async function requireGitSource(db: Executor, access: ProjectAccess): Promise<GitSourcesTable> {
  const row = await findGitSource(db, access.project.id);
  if (!row) throw new SlipwayError('SLW_GIT_NOT_LINKED', `project ${access.project.name} has no git source; link one with 'slipway git link -w ${access.workspace.name} -p ${access.project.name} URL'`);
  return row;
}

/** The decrypted credential of a source (for the fetch only), or null. */
export function openCredential(keyring: Keyring, row: GitSourcesTable): string | null {
  if (row.credential_envelope === null) return null;
  return keyring.open(credentialSealId(row.workspace_id, row.project_id, row.credential_generation), row.credential_envelope);
}

/** Links (or re-links) the project's repository. Everything is checked before anything is stored. */
export async function linkGitSource(ctx: GitContext, access: ProjectAccess, input: LinkInput): Promise<GitSource> {
  const url = parseGitUrl(input.url);
  const branch = assertGitRef(input.branch ?? 'main', 'branch');
  if (branch.startsWith('refs/') || /^[0-9a-f]{40}$/.test(branch)) throw new SlipwayError('SLW_VALIDATION', `--branch takes a branch name such as main, not ${JSON.stringify(branch)}`);
  const patterns = (input.branchEnvs ?? []).map((p) => assertBranchPattern(p.trim()));
  if (patterns.length > 20) throw new SlipwayError('SLW_VALIDATION', 'at most 20 branch-environment patterns');
  const runtime = input.runtime === undefined ? null : parseRuntime(input.runtime);
  const base = input.base === undefined || input.base === '' ? null : input.base;
  if (base !== null && (base.length > 512 || /[\s\u0000-\u001f]/.test(base) || base.startsWith('-'))) throw new SlipwayError('SLW_VALIDATION', `--base ${JSON.stringify(base)} is not an image reference`);
  const credential = input.credential === undefined || input.credential === null ? input.credential : assertGitCredential(input.credential);
  // The host must be one the server may fetch from: refused now, not at the first build.
  await ctx.hosts.resolve(url);
  const now = nowIso();
  await ctx.db.transaction().execute(async (tx) => {
    const existing = await findGitSource(tx, access.project.id);
    // A credential is kept on a re-link only for the same origin: re-pointing the URL at another
    // host without giving a credential drops it, so it is never sent where it was not meant to go.
    const sameOrigin = existing !== undefined && new URL(existing.url).origin === new URL(url.url).origin;
    const kept = sameOrigin ? (existing?.credential_envelope ?? null) : null;
    const generation = (existing?.credential_generation ?? 0) + (credential === undefined ? 0 : 1);
    const envelope = credential === undefined ? kept : credential === null ? null : ctx.keyring.seal(credentialSealId(access.workspace.id, access.project.id, generation), credential);
    const row: GitSourcesTable = {
      project_id: access.project.id,
      workspace_id: access.workspace.id,
      url: url.url,
      default_branch: branch,
      branch_envs: JSON.stringify(patterns),
      credential_envelope: envelope,
      credential_generation: generation,
      runtime,
      base,
      created_at: existing?.created_at ?? now,
      updated_at: now,
      updated_by: access.principal.userId,
    };
    if (existing) await tx.updateTable('git_sources').set(row).where('project_id', '=', access.project.id).execute();
    else await tx.insertInto('git_sources').values(row).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: existing ? 'git.relink' : 'git.link', targetType: 'project', target: access.project.name, details: { url: url.url, branch, branchEnvs: patterns, credential: envelope === null ? 'none' : 'set' } });
  });
  return toGitSource(access.project.name, (await findGitSource(ctx.db, access.project.id)) as GitSourcesTable);
}

/** Unlinks the repository (its credential is deleted with it; earlier builds and their images stay). */
export async function unlinkGitSource(db: Db, access: ProjectAccess): Promise<void> {
  await db.transaction().execute(async (tx) => {
    await requireGitSource(tx, access);
    await tx.deleteFrom('git_sources').where('project_id', '=', access.project.id).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'git.unlink', targetType: 'project', target: access.project.name, details: {} });
  });
}
