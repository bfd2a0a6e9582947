/**
 * The reconcile runtime of the deploy engine: a deduplicating, single-flight work queue with
 * per-key backoff, controllers that run reconciles on it with a jittered resync and a bounded
 * stop, and leases so that one replica at a time runs them. Pure logic over an injectable
 * {@link Clock}; no I/O.
 *
 * @module
 */
export { defaultBackoff, ExponentialBackoff, type BackoffOptions } from './backoff.js';
export { jittered, realClock, type Clock, type TimerHandle } from './clock.js';
export { Controller, type ControllerDeps, type ControllerSpec, type StopResult } from './controller.js';
export { Lease, type LeaseGrant, type LeaseOptions, type LeaseStore } from './lease.js';
export { keepLease, type KeepLeaseOptions, type LeaseKeeper } from './lease-keeper.js';
export { MemoryLeaseStore } from './memory-lease-store.js';
export { RowClaims, renewLeasesEvery, type Claim, type ClaimableRow } from './row-claims.js';
export { TerminalError, type Logger, type Reconcile, type ReconcileOutcome, type ReconcileResult, type ReconcileSample } from './reconcile.js';
export { WorkQueue } from './work-queue.js';
