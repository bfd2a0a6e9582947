/**
 * What a promotion would change, before asking for it: the releases on both sides, whether the
 * image changes, whether the target needs approval, and which config keys and secret names
 * differ between the two environments. Names only: no config value and no secret value ever
 * leaves through here.
 *
 * @module
 */
import { SlipwayError } from '../core/errors.js';
import { resolveEnvironmentConfig } from '../config/config.js';
import { resolveEnvironment, type EnvironmentAccess, type ProjectAccess } from '../projects/projects.js';
import { listResolvedSecrets } from '../secrets/secrets.js';
import type { Executor } from '../store/schema.js';
import { currentRelease } from './deployments.js';
import { getSettings } from './settings.js';

/** An environment's current release, as far as a promotion cares. */
export interface PreviewSide {
  environment: string;
  release: { number: number; version: string | null; imageDigest: string; configVersion: number } | null;
}

/** Names in one environment only, and names in both whose contents differ; each list sorted. */
export interface KeyDiff {
  onlyInFrom: string[];
  onlyInTo: string[];
  differ: string[];
}

export interface PromotionPreview {
  from: PreviewSide;
  to: PreviewSide;
  /** `from` has a release and its image is not the one `to` runs (or `to` runs nothing). */
  imageChanges: boolean;
  requiresApproval: boolean;
  config: KeyDiff;
  secrets: KeyDiff;
}

/** Compares two name → fingerprint maps; the fingerprints themselves are never returned. */
function diff(from: Map<string, string>, to: Map<string, string>): KeyDiff {
  const sorted = (names: string[]) => names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    onlyInFrom: sorted([...from.keys()].filter((k) => !to.has(k))),
    onlyInTo: sorted([...to.keys()].filter((k) => !from.has(k))),
    differ: sorted([...from.keys()].filter((k) => to.has(k) && to.get(k) !== from.get(k))),
  };
}

async function side(db: Executor, access: EnvironmentAccess): Promise<PreviewSide> {
  const r = await currentRelease(db, access.environment.id);
  return { environment: access.environment.name, release: r ? { number: r.number, version: r.version_tag, imageDigest: r.image_digest, configVersion: r.config_version } : null };
}

async function configOf(db: Executor, access: EnvironmentAccess): Promise<Map<string, string>> {
  return new Map((await resolveEnvironmentConfig(db, access)).entries.map((e) => [e.key, e.value]));
}

/**
 * Secrets by where they come from: the project base at some version is the same secret in
 * every environment; an environment's own layer is a secret of that environment only, so it
 * differs from anything the other environment sees.
 */
async function secretsOf(db: Executor, access: EnvironmentAccess): Promise<Map<string, string>> {
  const secrets = await listResolvedSecrets(db, access);
  return new Map(secrets.map((s) => [s.name, s.layer === 'base' ? `base@${s.version}` : `${access.environment.id}@${s.version}`]));
}

/** Previews promoting `fromName`'s current release to `toName`; changes nothing. */
export async function previewPromotion(db: Executor, access: ProjectAccess, fromName: string, toName: string): Promise<PromotionPreview> {
  const from = await resolveEnvironment(db, access, fromName);
  const to = await resolveEnvironment(db, access, toName);
  if (from.environment.id === to.environment.id) throw new SlipwayError('SLW_VALIDATION', `a promotion goes from one environment to another: from and to are both '${fromName}'; pick two different environments`);
  const [fromSide, toSide] = [await side(db, from), await side(db, to)];
  return {
    from: fromSide,
    to: toSide,
    imageChanges: fromSide.release !== null && fromSide.release.imageDigest !== toSide.release?.imageDigest,
    requiresApproval: (await getSettings(db, to)).requireApproval,
    config: diff(await configOf(db, from), await configOf(db, to)),
    secrets: diff(await secretsOf(db, from), await secretsOf(db, to)),
  };
}
