/**
 * Workspace tiers and the environments each one gives a project.
 *
 * | tier     | default environments   | custom environments |
 * |----------|------------------------|---------------------|
 * | low      | prod                   | no                  |
 * | mid      | dev, prod              | no                  |
 * | high     | dev, staging, prod     | unlimited           |
 * | business | dev, staging, prod     | unlimited           |
 *
 * @module
 */
import { SlipwayError } from './errors.js';

/** All tiers, cheapest first. */
export const tiers = ['low', 'mid', 'high', 'business'] as const;
export type Tier = (typeof tiers)[number];

const defaults: Record<Tier, readonly string[]> = {
  low: ['prod'],
  mid: ['dev', 'prod'],
  high: ['dev', 'staging', 'prod'],
  business: ['dev', 'staging', 'prod'],
};

/** Returns `value` as a Tier or throws `SLW_UNKNOWN_TIER`. */
export function parseTier(value: string): Tier {
  if ((tiers as readonly string[]).includes(value)) return value as Tier;
  throw new SlipwayError('SLW_UNKNOWN_TIER', `unknown tier '${value}': use one of ${tiers.join(', ')}`);
}

/** The environments a new project gets in this tier, in pipeline order. */
export function defaultEnvironments(tier: Tier): readonly string[] {
  return defaults[tier];
}

/** True when the tier allows environments beyond its defaults. */
export function allowsCustomEnvironments(tier: Tier): boolean {
  return tier === 'high' || tier === 'business';
}

/**
 * How an environment relates to its workspace's tier: a tier default, a custom one, or one a git
 * branch (`branch`) or a pull/merge request (`preview`) made through a webhook.
 */
export type EnvironmentKind = 'standard' | 'custom' | 'branch' | 'preview' | 'site' | 'clone';
export const environmentKinds = ['standard', 'custom', 'branch', 'preview', 'site', 'clone'] as const satisfies readonly EnvironmentKind[];

/**
 * Decides whether an environment called `name` may be created in a project of a workspace on
 * `tier`, and of which kind. A tier default is always allowed (it may have been deleted);
 * anything else is custom and needs a tier that allows custom environments.
 */
export function classifyNewEnvironment(tier: Tier, name: string): EnvironmentKind {
  if (defaults[tier].includes(name)) return 'standard';
  if (allowsCustomEnvironments(tier)) return 'custom';
  throw new SlipwayError(
    'SLW_TIER_NO_CUSTOM_ENVIRONMENTS',
    `the '${tier}' tier allows only the environments ${defaults[tier].join(', ')}; custom environment '${name}' needs the high or business tier (slipway workspace set <name> --tier high)`,
  );
}

/**
 * Decides whether a branch or preview environment may be created: they are custom environments
 * as far as the tier goes (high and business only), and never take a default environment's name.
 */
export function classifyFollowingEnvironment(tier: Tier, name: string, kind: 'branch' | 'preview'): 'branch' | 'preview' {
  if (!allowsCustomEnvironments(tier)) {
    throw new SlipwayError(
      'SLW_TIER_NO_CUSTOM_ENVIRONMENTS',
      `the '${tier}' tier allows only the environments ${defaults[tier].join(', ')}; ${kind} environment '${name}' is a custom environment and needs the high or business tier (slipway workspace set <name> --tier high)`,
    );
  }
  if ((['dev', 'staging', 'prod'] as string[]).includes(name)) throw new SlipwayError('SLW_ALREADY_EXISTS', `a ${kind} environment cannot be called '${name}', a default environment's name`);
  return kind;
}

/**
 * The environments to add to an existing project when its workspace moves to `tier`: the new
 * tier's defaults that the project lacks. A tier change never removes an environment.
 */
export function environmentsToAddOnTierChange(tier: Tier, existing: readonly string[]): string[] {
  return defaults[tier].filter((name) => !existing.includes(name));
}

/** Throws `SLW_ENVIRONMENT_PROTECTED` when `name` is a default environment of `tier`. */
export function assertDeletableEnvironment(tier: Tier, name: string): void {
  if (defaults[tier].includes(name)) {
    throw new SlipwayError('SLW_ENVIRONMENT_PROTECTED', `environment '${name}' is a default environment of the '${tier}' tier and cannot be deleted`);
  }
}

/** Sort key that puts dev, staging, prod first (pipeline order), then the rest by name. */
export function pipelineOrder(name: string): string {
  const i = ['dev', 'staging', 'prod'].indexOf(name);
  return i >= 0 ? `0${i}` : `1${name}`;
}
