/**
 * An application's continuous options as a change (core/continuous.ts compiles and checks them;
 * app-changes.ts stores it): `slipway app set APP --continuous-canary N …`, or `--continuous-defaults`.
 *
 * @module
 */
import { compileContinuous, continuousOf, type ContinuousInput, type ContinuousOptions } from '../core/continuous.js';
import type { ApplicationsTable } from '../store/schema.js';
import type { AppChange } from './app-changes.js';

/** `input` over the application's current options, checked (throws SLW_VALIDATION); null: back to the defaults. */
export function nextContinuous(app: ApplicationsTable, input: ContinuousInput | null): ContinuousOptions | null {
  return input === null ? null : compileContinuous(input, continuousOf(app.continuous_options));
}

/** The change that stores compiled options (null: back to the defaults); null when they are the stored ones. The running upgrades keep the options they started with. */
export function continuousChange(app: ApplicationsTable, options: ContinuousOptions | null): AppChange | null {
  const stored = options === null ? null : JSON.stringify(options);
  if (stored === app.continuous_options) return null;
  return { set: { continuous_options: stored }, action: 'application.continuous.set', details: options === null ? { defaults: true } : { ...options } };
}
