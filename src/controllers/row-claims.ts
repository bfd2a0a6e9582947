/**
 * Claims on rows that carry their own lease (deployments, health gates, pipeline runs): an
 * `owner`, a `lease_until` and a fencing token `fence` on the row itself. A process claims a row
 * by writing itself as owner with the fence one higher, conditional on the fence it read (one
 * atomic write: of two processes only one wins); every later write of that work is conditional
 * on the new fence, so a process that lost the row writes nothing. It keeps the fences it holds
 * to skip the write while nothing changed hands, and renews all its leases at once.
 *
 * Pure bookkeeping: the conditional write is the caller's (its table, and what else a claim sets).
 *
 * @module
 */

/** The lease columns of a claimable row. */
export interface ClaimableRow {
  id: string;
  owner: string | null;
  fence: number;
  /** ISO time; comparable as text. */
  lease_until: string | null;
}

/** How a claim went: the fence to stamp writes with, and whether this process just took the row (first time, or from a lapsed owner). */
export type Claim = { fence: number; taken: boolean } | null;

export class RowClaims {
  readonly #held = new Map<string, number>();

  constructor(readonly owner: string) {}

  /** How many rows this process holds (nothing to renew when 0). */
  get size(): number {
    return this.#held.size;
  }

  /**
   * Claims `row` (as read at `now`, an ISO time): null while another owner's lease runs or when
   * `write(nextFence)` (the caller's update, conditional on `row.fence`) changed no row.
   */
  async claim(row: ClaimableRow, now: string, write: (nextFence: number) => Promise<boolean>): Promise<Claim> {
    const held = this.#held.get(row.id);
    if (held !== undefined && held === row.fence && row.owner === this.owner) return { fence: held, taken: false };
    if (row.owner !== null && row.owner !== this.owner && row.lease_until !== null && row.lease_until > now) return null;
    if (!(await write(row.fence + 1))) return null;
    this.#held.set(row.id, row.fence + 1);
    return { fence: row.fence + 1, taken: true };
  }

  /** Forgets a row (its work ended, or it was lost). */
  release(id: string): void {
    this.#held.delete(id);
  }
}

/**
 * Renews a process's leases every third of `leaseMs` (two renewals may fail before another
 * process may take a row over); a failure goes to `failed` and the next tick tries again. The
 * timer does not keep the process alive. Answers the stop.
 */
export function renewLeasesEvery(leaseMs: number, renew: () => Promise<void>, failed: (error: unknown) => void): () => void {
  const timer = setInterval(() => void renew().catch(failed), leaseMs / 3);
  timer.unref();
  return () => clearInterval(timer);
}
