/**
 * A {@link LeaseStore} in memory, for tests and single-process use: the reference for the
 * semantics a database implementation must match.
 *
 * @module
 */
import { realClock, type Clock } from './clock.js';
import type { LeaseGrant, LeaseStore } from './lease.js';

/** Leases in a Map; every operation is atomic because it never awaits in between. */
export class MemoryLeaseStore implements LeaseStore {
  readonly #clock: Clock;
  readonly #leases = new Map<string, LeaseGrant>();
  /** Last token per name, kept after release so tokens never go back. */
  readonly #tokens = new Map<string, number>();

  constructor(clock: Clock = realClock) {
    this.#clock = clock;
  }

  async tryAcquire(name: string, owner: string, ttlMs: number): Promise<LeaseGrant | null> {
    const now = this.#clock.now();
    const current = this.#leases.get(name);
    const live = current !== undefined && current.expiresAt > now;
    if (live && current.owner !== owner) return null;
    if (live) return this.#put({ ...current, expiresAt: now + ttlMs });
    const token = (this.#tokens.get(name) ?? 0) + 1;
    this.#tokens.set(name, token);
    return this.#put({ name, owner, expiresAt: now + ttlMs, token });
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<LeaseGrant | null> {
    const now = this.#clock.now();
    const current = this.#leases.get(name);
    if (current === undefined || current.owner !== owner || current.expiresAt <= now) return null;
    return this.#put({ ...current, expiresAt: now + ttlMs });
  }

  async release(name: string, owner: string): Promise<boolean> {
    const current = this.#leases.get(name);
    if (current === undefined || current.owner !== owner) return false;
    this.#leases.delete(name);
    return true;
  }

  /** The stored grant for `name`, lapsed or not (for tests). */
  peek(name: string): LeaseGrant | undefined {
    const grant = this.#leases.get(name);
    return grant && { ...grant };
  }

  #put(grant: LeaseGrant): LeaseGrant {
    this.#leases.set(grant.name, grant);
    return { ...grant };
  }
}
