/**
 * Per-key exponential backoff for failed reconciles, like client-go's per-item exponential
 * rate limiter: the n-th consecutive failure of a key waits `baseMs · factorⁿ`, capped at `maxMs`,
 * and a success forgets the key so its next failure starts again from `baseMs`.
 *
 * @module
 */

/** How fast retries of one failing key slow down. */
export interface BackoffOptions {
  /** Delay before the first retry. @default 200 */
  baseMs?: number;
  /** Growth per consecutive failure. @default 2 */
  factor?: number;
  /** Ceiling of the delay. @default 60_000 */
  maxMs?: number;
}

/**
 * Defaults, and why: 200 ms lets a transient conflict (a status write racing another replica)
 * retry almost at once; doubling reaches the 60 s ceiling at the tenth retry, after about 100 s
 * of shorter waits; 60 s caps how long a key that was broken and is now fixed waits, while a key that
 * stays broken costs one attempt a minute. No jitter here: delays are per key and keys fail at
 * different moments, and the periodic resync is the loop that is jittered.
 */
export const defaultBackoff: Required<BackoffOptions> = { baseMs: 200, factor: 2, maxMs: 60_000 };

/** Counts consecutive failures per key and turns them into delays. */
export class ExponentialBackoff<K extends string = string> {
  readonly #options: Required<BackoffOptions>;
  readonly #failures = new Map<K, number>();

  constructor(options: BackoffOptions = {}) {
    this.#options = { ...defaultBackoff, ...options };
    const { baseMs, factor, maxMs } = this.#options;
    if (!(baseMs >= 0 && factor >= 1 && maxMs >= baseMs)) {
      throw new RangeError(`backoff needs baseMs ≥ 0, factor ≥ 1 and maxMs ≥ baseMs (got ${baseMs}, ${factor}, ${maxMs})`);
    }
  }

  /** Records one more failure of `key` and returns how long to wait before retrying it. */
  when(key: K): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const { baseMs, factor, maxMs } = this.#options;
    // factor ** failures overflows to Infinity after long outages; min() still yields maxMs.
    return Math.min(maxMs, baseMs * factor ** failures);
  }

  /** Consecutive failures recorded for `key` since it was last forgotten. */
  retries(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Clears `key`'s failures (after a successful reconcile). */
  forget(key: K): void {
    this.#failures.delete(key);
  }
}
