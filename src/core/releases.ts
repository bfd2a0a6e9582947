/**
 * Releases: the immutable records a deploy produces, numbered per environment, and the rollback
 * points. The deploy engine drives their status; this module holds the rules.
 *
 * @module
 */
import { SlipwayError } from './errors.js';

/** Release lifecycle. `pending` → `running` → one of the final states. */
export const releaseStatuses = ['pending', 'running', 'succeeded', 'failed', 'cancelled', 'superseded'] as const;
export type ReleaseStatus = (typeof releaseStatuses)[number];

/** What started a release. */
export const releaseTriggers = ['deploy', 'promotion', 'config-change', 'secret-change', 'service-change', 'move', 'rollback', 'webhook', 'herd-wave', 'volume-restore'] as const;
export type ReleaseTrigger = (typeof releaseTriggers)[number];

const transitions: Record<ReleaseStatus, readonly ReleaseStatus[]> = {
  pending: ['running', 'cancelled', 'failed'],
  running: ['succeeded', 'failed', 'cancelled'],
  // failed after it ran: its health gate failed during the bake and rolled it back (core/gates.ts).
  succeeded: ['superseded', 'failed'],
  failed: [],
  cancelled: [],
  superseded: [],
};

/** True when no further status change will happen. */
export function isFinal(status: ReleaseStatus): boolean {
  return status === 'failed' || status === 'cancelled' || status === 'superseded';
}

/** Throws unless a release may move from `from` to `to`. */
export function assertTransition(from: ReleaseStatus, to: ReleaseStatus): void {
  if (!transitions[from].includes(to)) {
    throw new SlipwayError('SLW_VALIDATION', `a release cannot go from '${from}' to '${to}'`);
  }
}

/** The number the next release of an environment gets (1 for the first). */
export function nextReleaseNumber(current: number | null | undefined): number {
  return (current ?? 0) + 1;
}

/** The shape of a release the rules below need. */
export interface ReleaseFacts {
  number: number;
  status: ReleaseStatus;
}

/**
 * The release a plain `rollback` goes to: the newest succeeded (or superseded) release older
 * than the newest succeeded one. Returns undefined when there is nothing to roll back to.
 */
export function defaultRollbackTarget<R extends ReleaseFacts>(releases: readonly R[]): R | undefined {
  const done = releases.filter((r) => r.status === 'succeeded' || r.status === 'superseded').sort((a, b) => b.number - a.number);
  return done[1];
}

/**
 * Releases an environment can still roll back to: every release that once succeeded. The
 * registry's retention must keep their images.
 */
export function rollbackPoints<R extends ReleaseFacts>(releases: readonly R[]): R[] {
  return releases.filter((r) => r.status === 'succeeded' || r.status === 'superseded');
}
