/**
 * The waves of an application's automatic (continuous-policy) upgrades: set per application with
 * `slipway app set APP --continuous-…`, compiled once here (given → current → defaults →
 * checked) and stored with the application; the policy (herds/policies.ts) turns them into a
 * herd upgrade's options when it starts one.
 *
 * @module
 */
import { SlipwayError } from './errors.js';
import { BAKE_MAX_SECONDS, BAKE_MIN_SECONDS } from './gates.js';
import { maxParallel, parseCount } from './herd.js';
import { parseDuration } from './manifest.js';

/** How an application's automatic upgrades move. */
export interface ContinuousOptions {
  canary: number;
  /** A number of sites or a share (`25%`) per wave after the canaries. */
  batch: string;
  parallel: number;
  /** 0: no bake of its own (a site's own health gate still applies). */
  bakeSeconds: number;
  /** Failures tolerated (a number or a share); one more halts the upgrade. */
  failureBudget: string;
}

/** One canary, then quarters, five at once, a short bake, no failure tolerated. */
export const continuousDefaults: ContinuousOptions = { canary: 1, batch: '25%', parallel: 5, bakeSeconds: 10, failureBudget: '0' };

/** What a caller may change (any subset); `bake` as a duration (`30s`, `2m`) or seconds. */
export interface ContinuousInput {
  canary?: number | undefined;
  batch?: string | undefined;
  parallel?: number | undefined;
  bake?: string | number | undefined;
  failureBudget?: string | undefined;
}

const invalid = (flag: string, message: string) => new SlipwayError('SLW_VALIDATION', `--continuous-${flag} ${message}`);

/** `input` over `current`, every field checked; throws SLW_VALIDATION naming the option. */
export function compileContinuous(input: ContinuousInput, current: ContinuousOptions = continuousDefaults): ContinuousOptions {
  const canary = input.canary ?? current.canary;
  if (!Number.isInteger(canary) || canary < 0 || canary > 1000) throw invalid('canary', `${canary}: give a number of sites from 0 to 1000`);
  const parallel = input.parallel ?? current.parallel;
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > maxParallel) throw invalid('parallel', `${parallel}: give 1 to ${maxParallel} sites at once`);
  let bakeSeconds = current.bakeSeconds;
  if (input.bake !== undefined) {
    try {
      bakeSeconds = parseDuration(input.bake);
    } catch {
      throw invalid('bake', `'${input.bake}' is not a duration like 30s, 10m or 1h, or 0 for none`);
    }
    if (bakeSeconds !== 0 && (bakeSeconds < BAKE_MIN_SECONDS || bakeSeconds > BAKE_MAX_SECONDS)) throw invalid('bake', `${input.bake}: bake ${BAKE_MIN_SECONDS} s to ${BAKE_MAX_SECONDS / 3600} h, or 0 for none`);
  }
  const batch = (input.batch ?? current.batch).trim();
  if (parseCount(batch, 100, '--continuous-batch') < 1) throw invalid('batch', `${batch} moves no site; give at least 1 or 1%`);
  const failureBudget = (input.failureBudget ?? current.failureBudget).trim();
  parseCount(failureBudget, 100, '--continuous-budget');
  return { canary, batch, parallel, bakeSeconds, failureBudget };
}

/** An application's options from its stored JSON (null: the defaults). */
export function continuousOf(stored: string | null): ContinuousOptions {
  if (stored === null) return continuousDefaults;
  return { ...continuousDefaults, ...(JSON.parse(stored) as Partial<ContinuousOptions>) };
}
