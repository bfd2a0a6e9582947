/**
 * Time for the reconcile runtime: a small {@link Clock} interface so every timer the work
 * queue, controllers and leases set can be driven by a fake clock in tests, the real one by
 * default, and {@link jittered} for spreading periodic work.
 *
 * @module
 */

/** What {@link Clock.setTimeout} returns; only ever handed back to {@link Clock.clearTimeout}. */
export type TimerHandle = unknown;

/** The time source and timers the runtime uses. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer from {@link Clock.setTimeout}; a timer that already fired or was cleared is ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The process's clock. Its timers are unref'd: a pending resync or delayed requeue never keeps
 * the process alive on its own (the server's listener does that), so a CLI or a test that
 * forgets to stop a controller still exits.
 */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * `ms` moved by a uniform random fraction of at most ±`fraction` (0.1 → between 0.9·ms and
 * 1.1·ms), so that periodic loops started together drift apart instead of hitting the store in
 * lockstep.
 *
 * @param random a source of numbers in [0, 1); @default Math.random
 * @example jittered(600_000, 0.1) // somewhere in [540_000, 660_000]
 */
export function jittered(ms: number, fraction: number, random: () => number = Math.random): number {
  return Math.round(ms * (1 - fraction + 2 * fraction * random()));
}
