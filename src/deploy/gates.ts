/**
 * The gates that apply to an environment: its own settings first, and where it sets none, the
 * project manifest's `gates` for that environment name (core/manifest.ts). Read fresh at every
 * request and at every end of a deploy, so a manifest applied later counts from then on.
 *
 * @module
 */
import { effectiveSettings, type EnvironmentSettings, type StoredSettings } from '../core/deploy.js';
import { approvalRequired, effectiveGates, type GateSource, type Gates } from '../core/gates.js';
import type { Manifest } from '../core/manifest.js';
import { projectManifest } from '../pipelines/manifest-read.js';
import type { Executor } from '../store/schema.js';
import { storedSettings } from './settings.js';

export interface EffectiveGates extends Gates {
  requireApproval: boolean;
  source: { approval: GateSource | 'default'; pipeline: GateSource; health: GateSource };
}

/** The manifest's gates for one environment name, if it names it. */
function manifestGates(manifest: Manifest | null, environment: string) {
  return manifest && Object.hasOwn(manifest.gates, environment) ? manifest.gates[environment] : undefined;
}

/** The gates of the environment `environment` (by name) of a project, with where each came from. */
export async function gatesOf(db: Executor, ids: { workspace: string; project: string; projectId: string; environment: string; environmentId: string }, stored?: StoredSettings): Promise<EffectiveGates> {
  const own = stored ?? (await storedSettings(db, ids.environmentId));
  const settings: EnvironmentSettings = effectiveSettings({ workspace: ids.workspace, project: ids.project, environment: ids.environment }, own);
  const m = manifestGates(await projectManifest(db, ids.projectId).catch(() => null), ids.environment);
  const gates = effectiveGates(own, m ? { pipeline: m.pipeline ?? null, health: m.health ? { bakeSeconds: m.health.bakeSeconds, maxErrorRate: m.health.maxErrorRate, path: m.health.path ?? settings.healthPath } : null } : null);
  // A manifest adds protection, never removes it: anyone who may apply a manifest is not thereby
  // allowed to lift an approval an admin set (or the default one of prod).
  const requireApproval = approvalRequired(own.requireApproval, ids.environment, m?.approval);
  const approvalFromManifest = own.requireApproval === undefined && !settings.requireApproval && requireApproval;
  return {
    requireApproval,
    pipeline: gates.pipeline,
    health: gates.health,
    source: { approval: own.requireApproval !== undefined ? 'environment' : approvalFromManifest ? 'manifest' : 'default', ...gates.source },
  };
}

/**
 * The names of a project's environments that require approval (as {@link gatesOf} judges each),
 * sorted: one read of the environments with their settings and one of the manifest, however
 * many sites an application's project has.
 */
export async function environmentsRequiringApproval(db: Executor, projectId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('environments as e')
    .leftJoin('environment_settings as s', 's.environment_id', 'e.id')
    .select(['e.name', 's.data'])
    .where('e.project_id', '=', projectId)
    .orderBy('e.name')
    .execute();
  const manifest = await projectManifest(db, projectId).catch(() => null);
  return rows.filter((r) => approvalRequired(r.data ? (JSON.parse(r.data) as StoredSettings).requireApproval : undefined, r.name, manifestGates(manifest, r.name)?.approval)).map((r) => r.name);
}
