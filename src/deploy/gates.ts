/**
 * The gates that apply to an environment: its own settings first, and where it sets none, the
 * project manifest's `gates` for that environment name (core/manifest.ts). Read fresh at every
 * request and at every end of a deploy, so a manifest applied later counts from then on.
 *
 * @module
 */
import { effectiveSettings, type EnvironmentSettings, type StoredSettings } from '../core/deploy.js';
import { effectiveGates, type GateSource, type Gates } from '../core/gates.js';
import { projectManifest } from '../pipelines/manifests.js';
import type { Executor } from '../store/schema.js';
import { storedSettings } from './settings.js';

export interface EffectiveGates extends Gates {
  requireApproval: boolean;
  source: { approval: GateSource | 'default'; pipeline: GateSource; health: GateSource };
}

/** The gates of the environment `environment` (by name) of a project, with where each came from. */
export async function gatesOf(db: Executor, ids: { workspace: string; project: string; projectId: string; environment: string; environmentId: string }, stored?: StoredSettings): Promise<EffectiveGates> {
  const own = stored ?? (await storedSettings(db, ids.environmentId));
  const settings: EnvironmentSettings = effectiveSettings({ workspace: ids.workspace, project: ids.project, environment: ids.environment }, own);
  const manifest = await projectManifest(db, ids.projectId).catch(() => null);
  const m = manifest && Object.hasOwn(manifest.gates, ids.environment) ? manifest.gates[ids.environment] : undefined;
  const gates = effectiveGates(own, m ? { pipeline: m.pipeline ?? null, health: m.health ? { bakeSeconds: m.health.bakeSeconds, maxErrorRate: m.health.maxErrorRate, path: m.health.path ?? settings.healthPath } : null } : null);
  // A manifest adds protection, never removes it: anyone who may apply a manifest is not thereby
  // allowed to lift an approval an admin set (or the default one of prod).
  const approvalFromManifest = own.requireApproval === undefined && !settings.requireApproval && m?.approval === true;
  return {
    requireApproval: settings.requireApproval || approvalFromManifest,
    pipeline: gates.pipeline,
    health: gates.health,
    source: { approval: own.requireApproval !== undefined ? 'environment' : approvalFromManifest ? 'manifest' : 'default', ...gates.source },
  };
}
