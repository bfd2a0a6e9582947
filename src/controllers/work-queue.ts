/**
 * A work queue of keys with client-go's workqueue semantics, for reconcilers keyed by id.
 *
 * - **Dedupe**: a key waiting in the queue is not queued twice.
 * - **Single flight**: between {@link WorkQueue.get} and {@link WorkQueue.done} a key is
 *   *processing*; adding it meanwhile marks it dirty, and `done` queues it again, once. So one
 *   key is never handed to two workers at the same time, and no add is lost.
 * - **Delays**: {@link WorkQueue.addAfter} adds a key later (the earliest pending time wins);
 *   {@link WorkQueue.addRateLimited} delays it by the key's backoff, {@link WorkQueue.forget}
 *   resets that backoff.
 * - **Shut down**: later adds are ignored, pending delays are cancelled, and every waiting or
 *   later `get` resolves `undefined`. Unlike client-go, queued keys are not drained: intent lives
 *   in the store, and the first resync after the next start finds them again.
 *
 * @module
 */
import { ExponentialBackoff, type BackoffOptions } from './backoff.js';
import { realClock, type Clock, type TimerHandle } from './clock.js';

/** A FIFO of distinct keys, each handed to one worker at a time. */
export class WorkQueue<K extends string> {
  readonly #clock: Clock;
  readonly #backoff: ExponentialBackoff<K>;
  /** Keys ready to be handed out, in order; each also in #dirty. */
  readonly #queue: K[] = [];
  /** Keys that need a reconcile: queued, or added again while processing. */
  readonly #dirty = new Set<K>();
  /** Keys handed out by get() and not yet done(). */
  readonly #processing = new Set<K>();
  /** Delayed adds: the time each key is due and the timer that will add it. */
  readonly #waiting = new Map<K, { at: number; timer: TimerHandle }>();
  /** Workers blocked in get(), oldest first. */
  readonly #getters: ((key: K | undefined) => void)[] = [];
  #shuttingDown = false;

  constructor(options: { clock?: Clock; backoff?: BackoffOptions } = {}) {
    this.#clock = options.clock ?? realClock;
    this.#backoff = new ExponentialBackoff<K>(options.backoff);
  }

  /** Queues `key` unless it is already queued; if it is processing, it is queued again when done. */
  add(key: K): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#queue.push(key);
    this.#handOut();
  }

  /** Adds `key` after `ms` milliseconds; if it is already due earlier, that earlier time stands. */
  addAfter(key: K, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.#clock.now() + ms;
    const pending = this.#waiting.get(key);
    if (pending) {
      if (pending.at <= at) return;
      this.#clock.clearTimeout(pending.timer);
    }
    const timer = this.#clock.setTimeout(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, { at, timer });
  }

  /** Adds `key` after its backoff delay, and counts one more failure for it. Returns the delay. */
  addRateLimited(key: K): number {
    const delay = this.#backoff.when(key);
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets `key`'s backoff (after a success). Does not cancel a pending delayed add. */
  forget(key: K): void {
    this.#backoff.forget(key);
  }

  /** Consecutive failures counted for `key` by {@link WorkQueue.addRateLimited} since it was forgotten. */
  numRequeues(key: K): number {
    return this.#backoff.retries(key);
  }

  /**
   * The next key, marked processing until {@link WorkQueue.done}; waits while the queue is empty.
   * Resolves `undefined` once the queue is shut down: the worker should return.
   */
  get(): Promise<K | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const key = this.#take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.#getters.push(resolve));
  }

  /** Ends processing of `key`; if it was added meanwhile, it is queued again. */
  done(key: K): void {
    this.#processing.delete(key);
    if (this.#shuttingDown || !this.#dirty.has(key)) return;
    this.#queue.push(key);
    this.#handOut();
  }

  /** Stops the queue: ignores later adds, cancels delayed adds, releases every waiting `get`. */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const { timer } of this.#waiting.values()) this.#clock.clearTimeout(timer);
    this.#waiting.clear();
    this.#queue.length = 0;
    this.#dirty.clear();
    for (const resolve of this.#getters.splice(0)) resolve(undefined);
  }

  /** Whether {@link WorkQueue.shutDown} was called. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Keys queued and ready (not those processing or waiting for a delay). */
  len(): number {
    return this.#queue.length;
  }

  /** Keys currently between get() and done(). */
  processing(): K[] {
    return [...this.#processing];
  }

  /** Keys waiting for a delayed add. */
  delayed(): number {
    return this.#waiting.size;
  }

  #take(): K | undefined {
    const key = this.#queue.shift();
    if (key === undefined) return undefined;
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }

  /** Gives ready keys straight to blocked getters, so no key sits queued while a worker waits. */
  #handOut(): void {
    while (this.#getters.length > 0 && this.#queue.length > 0) {
      const resolve = this.#getters.shift();
      resolve?.(this.#take());
    }
  }
}
