/**
 * A project's webhook: created (or shown) with its provider, its secret made here and sealed with
 * the keyring (shown once, at creation or rotation), and what pushes and pull requests do.
 *
 * The hook id is the URL (`/hooks/<id>`): 32 random base64url characters, never time-ordered,
 * so knowing one hook says nothing about another.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { SlipwayError } from '../core/errors.js';
import { defaultPreviewTtlSeconds, type WebhookProvider } from '../core/webhooks.js';
import { recordAudit } from '../audit/audit.js';
import { nowIso } from '../platform/time.js';
import type { ProjectAccess } from '../projects/projects.js';
import type { Keyring } from '../secrets/secrets.js';
import type { SealedKind } from '../secrets/sealed.js';
import type { Db, Executor, ProjectHooksTable } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';

/** A hook as the API returns it (never its secret). */
export interface HookInfo {
  id: string;
  project: string;
  provider: WebhookProvider;
  /** Path of the endpoint on this server; the API adds the server's URL. */
  path: string;
  createdAt: string;
  rotatedAt: string | null;
  source: 'build' | 'image';
  defaultBranch: string | null;
  branchEnvs: string[];
  previews: boolean;
  previewTtlSeconds: number;
  failedVerifications: number;
  lastFailedAt: string | null;
}

/** What `slipway git hook` may set besides the provider. */
export interface HookSettings {
  source?: 'build' | 'image' | undefined;
  defaultBranch?: string | undefined;
  branchEnvs?: string[] | undefined;
  previews?: boolean | undefined;
  previewTtlSeconds?: number | undefined;
}

export function toHookInfo(project: string, h: ProjectHooksTable): HookInfo {
  return {
    id: h.id,
    project,
    provider: h.provider as WebhookProvider,
    path: `/hooks/${h.id}`,
    createdAt: h.created_at,
    rotatedAt: h.rotated_at,
    source: h.source === 'image' ? 'image' : 'build',
    defaultBranch: h.default_branch,
    branchEnvs: JSON.parse(h.branch_envs) as string[],
    previews: h.previews === 1,
    previewTtlSeconds: h.preview_ttl_seconds,
    failedVerifications: h.failed_verifications,
    lastFailedAt: h.last_failed_at,
  };
}

/** The keyring identity of a hook's secret. */
export function secretIdentity(h: Pick<ProjectHooksTable, 'id' | 'workspace_id' | 'project_id' | 'secret_version'>) {
  return { workspaceId: h.workspace_id, projectId: h.project_id, scope: 'webhook', name: h.id, version: h.secret_version };
}

/** Every project hook's secret, for a master-key rotation. */
export const sealedProjectHookSecrets: SealedKind = {
  name: 'project hook secrets',
  columns: ['project_hooks.secret_envelope'],
  async reseal(tx, reseal) {
    const rows = await tx.selectFrom('project_hooks').select(['id', 'workspace_id', 'project_id', 'secret_version', 'secret_envelope']).execute();
    for (const r of rows) await tx.updateTable('project_hooks').set({ secret_envelope: reseal(secretIdentity(r), r.secret_envelope, `project hook ${r.id}`) }).where('id', '=', r.id).execute();
    return rows.length;
  },
};

/** The hook's secret in clear (only the receiving endpoint needs it). */
export function openHookSecret(keyring: Keyring, h: ProjectHooksTable): string {
  return keyring.open(secretIdentity(h), h.secret_envelope);
}

export async function findHook(db: Executor, projectId: string): Promise<ProjectHooksTable | undefined> {
  return db.selectFrom('project_hooks').selectAll().where('project_id', '=', projectId).executeTakeFirst();
}

function settingsRow(s: HookSettings): Partial<ProjectHooksTable> {
  return {
    ...(s.source !== undefined ? { source: s.source } : {}),
    ...(s.defaultBranch !== undefined ? { default_branch: s.defaultBranch } : {}),
    ...(s.branchEnvs !== undefined ? { branch_envs: JSON.stringify(s.branchEnvs) } : {}),
    ...(s.previews !== undefined ? { previews: s.previews ? 1 : 0 } : {}),
    ...(s.previewTtlSeconds !== undefined ? { preview_ttl_seconds: s.previewTtlSeconds } : {}),
  };
}

/**
 * Creates the project's hook, or shows it (and applies the settings given); `rotate` makes a new
 * secret. The secret is returned only when it was just made.
 */
export async function ensureHook(db: Db, keyring: Keyring, access: ProjectAccess, input: { provider: WebhookProvider; rotate?: boolean | undefined } & HookSettings): Promise<{ hook: HookInfo; secret: string | null; created: boolean }> {
  return db.transaction().execute(async (tx) => {
    const existing = await findHook(tx, access.project.id);
    const now = nowIso();
    const secret = randomBytes(32).toString('hex');
    const audit = (action: string, details: Record<string, unknown>) => recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action, targetType: 'project', target: access.project.name, details });
    if (!existing) {
      const base = { id: `hook_${randomBytes(24).toString('base64url')}`, workspace_id: access.workspace.id, project_id: access.project.id, secret_version: 1 };
      const row: ProjectHooksTable = {
        ...base,
        provider: input.provider,
        secret_envelope: keyring.seal(secretIdentity(base), secret),
        created_at: now,
        created_by: access.principal.userId,
        rotated_at: null,
        source: 'build',
        default_branch: null,
        branch_envs: '[]',
        previews: 1,
        preview_ttl_seconds: defaultPreviewTtlSeconds,
        failed_verifications: 0,
        last_failed_at: null,
        ...settingsRow(input),
      };
      await tx.insertInto('project_hooks').values(row).execute();
      await audit('webhook.create', { provider: row.provider });
      return { hook: toHookInfo(access.project.name, row), secret, created: true };
    }
    if (existing.provider !== input.provider) {
      throw new SlipwayError('SLW_WEBHOOK_PROVIDER', `project '${access.project.name}' already has a ${existing.provider} hook; delete it first (slipway git hook --delete) to make a ${input.provider} one`);
    }
    let row: ProjectHooksTable = { ...existing, ...settingsRow(input) };
    if (input.rotate) {
      const version = existing.secret_version + 1;
      // Whoever rotates the secret is whom deliveries act as from then on.
      row = { ...row, secret_version: version, secret_envelope: keyring.seal(secretIdentity({ ...existing, secret_version: version }), secret), rotated_at: now, created_by: access.principal.userId };
    }
    const { id: _id, ...changes } = row;
    await tx.updateTable('project_hooks').set(changes).where('id', '=', existing.id).execute();
    if (input.rotate) await audit('webhook.rotate', { provider: row.provider });
    else if (Object.keys(settingsRow(input)).length > 0) await audit('webhook.update', { settings: Object.keys(settingsRow(input)) });
    return { hook: toHookInfo(access.project.name, row), secret: input.rotate ? secret : null, created: false };
  });
}

/** Deletes the project's hook and its deliveries; environments it made stay (slipway env delete removes them). */
export async function deleteHook(db: Db, access: ProjectAccess): Promise<{ deleted: string }> {
  const hook = await findHook(db, access.project.id);
  if (!hook) throw new SlipwayError('SLW_NOT_FOUND', `project '${access.project.name}' has no webhook`);
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom('webhook_deliveries').where('project_id', '=', access.project.id).execute();
    await tx.deleteFrom('project_hooks').where('project_id', '=', access.project.id).execute();
    await recordAudit(tx, actorOf(access.principal), { workspaceId: access.workspace.id, action: 'webhook.delete', targetType: 'project', target: access.project.name, details: { provider: hook.provider } });
  });
  return { deleted: hook.id };
}

/** Deletes a project's hook, deliveries and environment sources (inside the caller's transaction, when the project is deleted). */
export async function deleteHookRows(tx: Executor, projectId: string): Promise<void> {
  await tx.deleteFrom('webhook_deliveries').where('project_id', '=', projectId).execute();
  await tx.deleteFrom('project_hooks').where('project_id', '=', projectId).execute();
  await tx.deleteFrom('environment_sources').where('project_id', '=', projectId).execute();
}
