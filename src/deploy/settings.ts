/**
 * Environment settings: read with their defaults, changed with validation (core/deploy.ts), and
 * a custom domain that is unique across the instance and never another's default (domains/).
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { assertDomain, assertHealthPath, assertPort, assertReplicas, effectiveSettings, type EnvironmentSettings, type StoredSettings } from '../core/deploy.js';
import { assertHealthGate, assertPipelineName } from '../core/gates.js';
import { applyVolumeChange, spreadRefusal } from '../core/volumes.js';
import { recordAudit } from '../audit/audit.js';
import { claimCustomDomain } from '../domains/domains.js';
import { nowIso } from '../platform/time.js';
import type { EnvironmentAccess } from '../projects/projects.js';
import type { Db, Executor } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';

/** Names of an environment, for defaults. */
export function namesOf(access: EnvironmentAccess) {
  return { workspace: access.workspace.name, project: access.project.name, environment: access.environment.name };
}

export async function storedSettings(db: Executor, environmentId: string): Promise<StoredSettings> {
  const row = await db.selectFrom('environment_settings').select('data').where('environment_id', '=', environmentId).executeTakeFirst();
  return row ? (JSON.parse(row.data) as StoredSettings) : {};
}

export async function getSettings(db: Executor, access: EnvironmentAccess): Promise<EnvironmentSettings> {
  return effectiveSettings(namesOf(access), await storedSettings(db, access.environment.id));
}

/**
 * A change: a field set to a value, or `null` to go back to its default. Volumes change by name:
 * a name to its path (added or mounted elsewhere) or to null (removed); `volumes: null` removes all.
 */
export type SettingsChange = { [K in Exclude<keyof EnvironmentSettings, 'volumes'>]?: EnvironmentSettings[K] | null } & { volumes?: Record<string, string | null> | null };

/** Settings that protect what runs in an environment: only admins and owners change them. */
const protection = ['requireApproval', 'requirePromotionFrom', 'gatePipeline', 'gateHealth'] as const;

export async function changeSettings(db: Db, access: EnvironmentAccess, change: SettingsChange): Promise<EnvironmentSettings> {
  const touched = protection.filter((k) => change[k] !== undefined);
  if (touched.length > 0 && access.role !== 'admin' && access.role !== 'owner') {
    throw new SlipwayError('SLW_FORBIDDEN', `only an admin or owner may change ${touched.join(' and ')} (your role: ${access.role})`);
  }
  if (change.requirePromotionFrom) {
    if (change.requirePromotionFrom === access.environment.name) throw new SlipwayError('SLW_VALIDATION', 'an environment cannot require promotion from itself; name its upstream environment (e.g. staging)');
    const upstream = await db.selectFrom('environments').select('id').where('project_id', '=', access.project.id).where('name', '=', change.requirePromotionFrom).executeTakeFirst();
    if (!upstream) throw new SlipwayError('SLW_NOT_FOUND', `environment '${change.requirePromotionFrom}' not found in project '${access.project.name}'; name an existing upstream environment`);
  }
  if (change.target !== undefined) {
    // Moving a running environment is a new release of what runs, on the new target (src/server/routes/settings.ts); not while another deploy runs. null: back to local.
    const target = change.target ?? 'local';
    const current = (await storedSettings(db, access.environment.id)).target ?? 'local';
    const active = await db.selectFrom('deployments').select('id').where('environment_id', '=', access.environment.id).where('status', 'in', ['queued', 'running', 'cancelling']).executeTakeFirst();
    if (active && target !== current) throw new SlipwayError('SLW_DEPLOY_IN_PROGRESS', `${access.project.name}/${access.environment.name} is deploying now; move it to '${target}' once that deploy ends (slipway logs ${active.id} --follow)`);
  }
  if (change.gatePipeline != null) assertPipelineName(change.gatePipeline);
  if (change.gateHealth != null) assertHealthGate(change.gateHealth);
  // Checked before anything is stored: a bad entry refuses the whole change.
  const volumeChange = change.volumes;
  if (volumeChange !== undefined) applyVolumeChange([], volumeChange);
  const checked: Record<string, unknown> = { ...change };
  delete checked.volumes;
  // '' is no domain (null goes back to the default one), not a way to empty it.
  if (change.domain != null) checked.domain = assertDomain(change.domain);
  if (change.port != null) assertPort(change.port);
  if (change.replicas != null) assertReplicas(change.replicas);
  if (change.maxSurge != null) assertReplicas(change.maxSurge);
  if (change.healthPath != null) assertHealthPath(change.healthPath);
  if (change.healthTimeout != null && (!Number.isInteger(change.healthTimeout) || change.healthTimeout < 1 || change.healthTimeout > 3600)) {
    throw new SlipwayError('SLW_VALIDATION', `health timeout must be 1–3600 seconds (got ${change.healthTimeout})`);
  }
  return db.transaction().execute(async (tx) => {
    const current = await storedSettings(tx, access.environment.id);
    const next: Record<string, unknown> = { ...current };
    for (const [key, value] of Object.entries(checked)) {
      if (value === null) delete next[key];
      else if (value !== undefined) next[key] = value;
    }
    if (volumeChange !== undefined) {
      const volumes = applyVolumeChange(current.volumes ?? [], volumeChange);
      if (volumes.length > 0) next.volumes = volumes;
      else delete next.volumes;
    }
    const effective = effectiveSettings(namesOf(access), next as StoredSettings);
    // A volume lives on one server: an environment that has volumes runs on one target.
    const spread = spreadRefusal(`${access.project.name}/${access.environment.name}`, effective.volumes, effective.target);
    if (spread) throw spread;
    await claimCustomDomain(tx, { workspaceId: access.workspace.id, environmentId: access.environment.id, names: namesOf(access) }, (next as StoredSettings).domain);
    const data = JSON.stringify(next);
    await tx
      .insertInto('environment_settings')
      .values({ environment_id: access.environment.id, data, updated_at: nowIso() })
      .onConflict((oc) => oc.column('environment_id').doUpdateSet({ data, updated_at: nowIso() }))
      .execute();
    await recordAudit(tx, actorOf(access.principal), {
      workspaceId: access.workspace.id,
      action: 'environment.settings',
      targetType: 'environment',
      target: `${access.project.name}/${access.environment.name}`,
      details: { changed: Object.keys(change) },
    });
    return effective;
  });
}
