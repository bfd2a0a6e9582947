/**
 * A controller: workers that pull keys from a {@link WorkQueue} and reconcile them one key at a
 * time, retries with per-key backoff, a jittered periodic resync of every key, and a stop that
 * aborts in-flight reconciles and waits for them, for a bounded time.
 *
 * @module
 */
import { ExponentialBackoff, type BackoffOptions } from './backoff.js';
import { jittered, realClock, type Clock, type TimerHandle } from './clock.js';
import { TerminalError, type Logger, type Reconcile, type ReconcileOutcome, type ReconcileSample } from './reconcile.js';
import { WorkQueue } from './work-queue.js';

/** What a controller reconciles and how often. */
export interface ControllerSpec<K extends string> {
  /** Names the controller in logs and metrics. */
  name: string;
  reconcile: Reconcile<K>;
  /** Every key that should be reconciled; the resync enqueues them all. */
  list: () => Promise<K[]>;
  /** Mean time between full resyncs (each one is moved by up to ±10 %). */
  resyncMs: number;
  /** Reconciles that may run at once (always of different keys). */
  workers: number;
  /** Backoff of failing keys. @default 200 ms doubling to 60 s (`defaultBackoff`, which says why) */
  backoff?: BackoffOptions;
  /** How long {@link Controller.stop} waits for aborted reconciles to return. @default 30_000 (controller-runtime's graceful shutdown) */
  stopTimeoutMs?: number;
}

/** What a controller needs from its surroundings. */
export interface ControllerDeps {
  logger: Logger;
  /** @default {@link realClock} */
  clock?: Clock;
  /** Source of the resync jitter, numbers in [0, 1). @default Math.random */
  random?: () => number;
  /** Called after every reconcile, for metrics. */
  onReconcile?: (sample: ReconcileSample) => void;
}

/** What {@link Controller.stop} could not finish: keys whose reconcile was still running at the timeout. */
export interface StopResult<K extends string> {
  abandoned: K[];
}

/**
 * Resync jitter: ±10 %, controller-runtime's informer figure, enough that controllers started
 * in the same second stop listing the store in the same second after a few periods.
 */
const resyncJitter = 0.1;

/**
 * Runs one {@link ControllerSpec}: `start()` once, `enqueue(key)` from event sources, `stop()`
 * once at shutdown.
 */
export class Controller<K extends string> {
  readonly name: string;
  readonly #spec: ControllerSpec<K>;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #onReconcile: ((sample: ReconcileSample) => void) | undefined;
  readonly #queue: WorkQueue<K>;
  readonly #abort = new AbortController();
  /** A failed list is retried sooner than the next resync: after a restart it is what finds the work. */
  readonly #listBackoff: ExponentialBackoff<'list'>;
  readonly #workers: Promise<void>[] = [];
  #state: 'new' | 'running' | 'stopped' = 'new';
  #resyncTimer: TimerHandle | undefined;
  #stopped: Promise<StopResult<K>> | undefined;

  constructor(spec: ControllerSpec<K>, deps: ControllerDeps) {
    if (!Number.isInteger(spec.workers) || spec.workers < 1) throw new RangeError(`controller ${spec.name}: workers must be a whole number ≥ 1`);
    if (!(spec.resyncMs > 0)) throw new RangeError(`controller ${spec.name}: resyncMs must be > 0`);
    this.name = spec.name;
    this.#spec = spec;
    this.#logger = deps.logger;
    this.#clock = deps.clock ?? realClock;
    this.#random = deps.random ?? Math.random;
    this.#onReconcile = deps.onReconcile;
    this.#queue = new WorkQueue<K>({ clock: this.#clock, backoff: spec.backoff });
    this.#listBackoff = new ExponentialBackoff(spec.backoff);
  }

  /** Starts the workers and the resync; the first resync lists every key at once. */
  start(): void {
    if (this.#state !== 'new') throw new Error(`controller ${this.name} was already started`);
    this.#state = 'running';
    for (let i = 0; i < this.#spec.workers; i += 1) this.#workers.push(this.#work());
    void this.#resync().catch(() => undefined);
    this.#logger.info({ controller: this.name, workers: this.#spec.workers, resyncMs: this.#spec.resyncMs }, 'controller started');
  }

  /** Asks for `key` to be reconciled (deduplicated; never two reconciles of one key at once). */
  enqueue(key: K): void {
    this.#queue.add(key);
  }

  /** Keys waiting for a worker. */
  queued(): number {
    return this.#queue.len();
  }

  /**
   * Stops taking keys and timers, aborts the signal every in-flight reconcile got, and waits
   * for them to return, at most `stopTimeoutMs`. Calling it again returns the same result.
   */
  stop(): Promise<StopResult<K>> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<StopResult<K>> {
    const wasRunning = this.#state === 'running';
    this.#state = 'stopped';
    if (this.#resyncTimer !== undefined) this.#clock.clearTimeout(this.#resyncTimer);
    this.#queue.shutDown();
    this.#abort.abort();
    if (!wasRunning) return { abandoned: [] };
    const timeoutMs = this.#spec.stopTimeoutMs ?? 30_000;
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<true>((resolve) => (timer = this.#clock.setTimeout(() => resolve(true), timeoutMs)));
    const late = await Promise.race([Promise.all(this.#workers).then(() => false as const), timedOut]);
    this.#clock.clearTimeout(timer);
    const abandoned = late ? this.#queue.processing() : [];
    if (abandoned.length > 0) {
      this.#logger.warn({ controller: this.name, keys: abandoned, timeoutMs }, 'reconciles still running after the stop timeout; leaving them');
    }
    this.#logger.info({ controller: this.name }, 'controller stopped');
    return { abandoned };
  }

  /**
   * Lists every key and enqueues it, then schedules the next resync. The resync is the safety
   * net for a missed event or a bug that forgot to requeue (the store holds all intent), so its
   * period is long and set per controller; the jitter keeps controllers and replicas apart.
   */
  async #resync(): Promise<void> {
    let delay = jittered(this.#spec.resyncMs, resyncJitter, this.#random);
    try {
      const keys = await this.#spec.list();
      for (const key of keys) this.#queue.add(key);
      this.#listBackoff.forget('list');
    } catch (error) {
      delay = Math.min(delay, this.#listBackoff.when('list'));
      this.#logger.warn({ controller: this.name, err: error, retryMs: delay }, 'listing keys for the resync failed; trying again');
    } finally {
      // In finally, so that even a throwing logger cannot end the resync loop.
      if (this.#state === 'running') this.#resyncTimer = this.#clock.setTimeout(() => void this.#resync().catch(() => undefined), delay);
    }
  }

  /** One worker: takes a key, reconciles it, marks it done, until the queue shuts down. */
  async #work(): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      try {
        await this.#process(key);
      } catch {
        // Only the logger or the metrics hook can throw here; the worker must outlive them.
      } finally {
        this.#queue.done(key);
      }
    }
  }

  async #process(key: K): Promise<void> {
    const started = this.#clock.now();
    let outcome: ReconcileOutcome;
    try {
      const result = await this.#spec.reconcile(key, this.#abort.signal);
      this.#queue.forget(key);
      const after = result?.requeueAfterMs;
      const requeue = after !== undefined && Number.isFinite(after);
      if (requeue) this.#queue.addAfter(key, after);
      outcome = requeue ? 'requeue' : 'success';
    } catch (error) {
      outcome = this.#failed(key, error);
    }
    this.#report({ controller: this.name, key, outcome, durationMs: this.#clock.now() - started });
  }

  #failed(key: K, error: unknown): ReconcileOutcome {
    const log = { controller: this.name, key, err: error };
    if (this.#abort.signal.aborted) {
      this.#logger.info(log, 'reconcile interrupted: the controller is stopping');
      return 'aborted';
    }
    if (error instanceof TerminalError) {
      this.#queue.forget(key);
      this.#logger.error(log, 'reconcile failed and retrying cannot help; the key waits for a change or the next resync');
      return 'terminal';
    }
    const backoffMs = this.#queue.addRateLimited(key);
    this.#logger.error({ ...log, retries: this.#queue.numRequeues(key), backoffMs }, 'reconcile failed; retrying after backoff');
    return 'error';
  }

  #report(sample: ReconcileSample): void {
    if (!this.#onReconcile) return;
    try {
      this.#onReconcile(sample);
    } catch (error) {
      this.#logger.warn({ controller: this.name, err: error }, 'the reconcile metrics hook threw');
    }
  }
}
