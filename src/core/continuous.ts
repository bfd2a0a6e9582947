/**
 * The waves of an application's automatic (continuous-policy) upgrades: set per application with
 * `slipway app set APP --continuous-…`, compiled once here (given → current → defaults →
 * checked) and stored with the application; the policy (herds/policies.ts) turns them into a
 * herd upgrade's options when it starts one.
 *
 * @module
 */
import { SlipwayError } from './errors.js';
import { checkWaves, parseCount } from './herd.js';

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
  const { canary, parallel, bakeSeconds } = checkWaves({ canary: input.canary ?? current.canary, parallel: input.parallel ?? current.parallel, bake: input.bake ?? current.bakeSeconds }, (option) => `--continuous-${option}`);
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
