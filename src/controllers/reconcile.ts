/**
 * The contract between a controller and the code that reconciles one key: what a reconcile
 * returns, the error that means "do not retry", the logger it writes through and the samples
 * it reports for metrics.
 *
 * @module
 */

/**
 * What a reconcile asks for when it succeeds. Nothing (or `{}`) means the key is in its desired
 * state; `requeueAfterMs` asks for another look later (polling a rollout's progress, for
 * instance) without counting as a failure, so it does not grow the key's backoff.
 */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

/**
 * Brings the world in line with the desired state stored for `key`. Level-based: it re-reads
 * the store, never trusts what triggered it, and is idempotent. It should give up promptly when
 * `signal` aborts (the controller is stopping). A throw is retried with backoff, except
 * {@link TerminalError}.
 */
export type Reconcile<K extends string> = (key: K, signal: AbortSignal) => Promise<ReconcileResult | void>;

/**
 * Thrown by a reconcile when retrying cannot help (the desired state itself is invalid): it is
 * logged and counted, and the key is not retried until something enqueues it again or the next
 * resync lists it.
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The log methods the runtime uses; a pino logger fits as it is. */
export interface Logger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/**
 * How one reconcile ended: `success`; `requeue` (success that asked for a later look); `error`
 * (thrown, retried with backoff); `terminal` ({@link TerminalError}, not retried); `aborted`
 * (threw while the controller was stopping).
 */
export type ReconcileOutcome = 'success' | 'requeue' | 'error' | 'terminal' | 'aborted';

/** One finished reconcile, for metrics (counters per controller and outcome, a latency histogram). */
export interface ReconcileSample {
  controller: string;
  key: string;
  outcome: ReconcileOutcome;
  durationMs: number;
}
