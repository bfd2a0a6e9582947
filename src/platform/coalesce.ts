/**
 * Per-key coalescing of "this changed" signals into at most one flush per key every `everyMs`:
 * the first signal flushes at once; signals while that flush runs, or within `everyMs` after it
 * ended, are folded into one more flush at the end of that time, however many came. A flush reads
 * the latest state itself, so the last one always carries the state after the last signal, and
 * flushes of one key never overlap (nor reorder).
 *
 * Used for announcements that may come in bursts (a herd upgrade's sites moving: every step of
 * each of 30 sites is one signal) where a reader only needs the latest state, soon.
 *
 * @module
 */

interface KeyState {
  running: boolean;
  /** A signal came while the key was flushing or cooling down. */
  again: boolean;
  /** The cool-down after a flush; at its end the key flushes again (if signalled) or is forgotten. */
  timer: NodeJS.Timeout | undefined;
}

export interface CoalescerOptions<K> {
  /** The least time between the end of one flush of a key and the start of the next. */
  everyMs: number;
  flush(key: K): Promise<void>;
  /** A flush that threw: reported here; the key's next signal flushes again. */
  onError?(key: K, error: unknown): void;
}

export class Coalescer<K> {
  readonly #o: CoalescerOptions<K>;
  readonly #keys = new Map<K, KeyState>();
  readonly #inFlight = new Set<Promise<void>>();
  #stopped = false;

  constructor(options: CoalescerOptions<K>) {
    this.#o = options;
  }

  /** Signals that `key` changed: flushed now, or folded into the key's next flush. */
  touch(key: K): void {
    if (this.#stopped) return;
    const state = this.#keys.get(key);
    if (state) {
      state.again = true;
      return;
    }
    const fresh: KeyState = { running: false, again: false, timer: undefined };
    this.#keys.set(key, fresh);
    this.#run(key, fresh);
  }

  /** Keys flushing or cooling down (for tests and metrics). */
  get size(): number {
    return this.#keys.size;
  }

  /**
   * Stops: no cool-down is waited for any more — a key signalled during one flushes now, once —
   * and the flushes under way are waited for. Later signals are ignored.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const [key, state] of this.#keys) {
      clearTimeout(state.timer);
      state.timer = undefined;
      if (state.again && !state.running) this.#run(key, state);
    }
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  #run(key: K, state: KeyState): void {
    state.running = true;
    state.again = false;
    const run = this.#o
      .flush(key)
      .catch((error: unknown) => this.#o.onError?.(key, error))
      .finally(() => {
        state.running = false;
        this.#inFlight.delete(run);
        if (this.#stopped) {
          // One last flush for a signal that came while this one ran.
          if (state.again) this.#run(key, state);
          return;
        }
        state.timer = setTimeout(() => {
          state.timer = undefined;
          if (state.again) this.#run(key, state);
          else this.#keys.delete(key);
        }, this.#o.everyMs);
        state.timer.unref();
      });
    this.#inFlight.add(run);
  }
}
