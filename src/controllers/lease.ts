/**
 * Leases: at most one owner (a control-plane replica) holds a named lease at a time, until it
 * expires unless renewed. The engine keeps one for its controllers, so only one replica drives
 * deploys, and stamps operations with its fencing token so an orphan can be recognised.
 *
 * {@link LeaseStore} is the atomic primitive a database implements (one row per name, written
 * with a conditional update; expiry judged by the database's clock so replicas' clocks do not
 * matter); {@link Lease} is one owner's view of one lease, with the local bookkeeping that lets
 * it stop acting before anybody else could take over.
 *
 * @module
 */
import { realClock, type Clock } from './clock.js';

/** A lease as the store granted it. */
export interface LeaseGrant {
  name: string;
  owner: string;
  /** When the lease lapses unless renewed, ms since the epoch, by the store's clock. */
  expiresAt: number;
  /**
   * Fencing token: grows by at least one each time the lease changes hands or is taken again
   * after it lapsed or was released; unchanged by renewals. Work stamped with an older token
   * was done by an earlier holder.
   */
  token: number;
}

/** The atomic operations behind leases. Each must be one atomic step in the store. */
export interface LeaseStore {
  /** Grants `name` to `owner` for `ttlMs` when it is free, lapsed, or already `owner`'s; null when another owner holds it. */
  tryAcquire(name: string, owner: string, ttlMs: number): Promise<LeaseGrant | null>;
  /** Extends `owner`'s unexpired lease by `ttlMs` from now; null when it lapsed or another owner holds it. */
  renew(name: string, owner: string, ttlMs: number): Promise<LeaseGrant | null>;
  /** Frees `name` if `owner` holds it (true); does nothing otherwise (false). */
  release(name: string, owner: string): Promise<boolean>;
}

/** One owner's lease. */
export interface LeaseOptions {
  name: string;
  owner: string;
  /** How long a grant lasts without renewal. @default 15_000 (controller-runtime's lease) */
  ttlMs?: number;
  /**
   * How long after a successful acquire or renew was *sent* this owner still considers itself
   * the holder. Shorter than `ttlMs` (controller-runtime's 10 s of 15 s), so the holder stops
   * acting well before the store could grant the lease to anybody else, even with a slow clock
   * or a slow stop. @default two thirds of ttlMs
   */
  renewDeadlineMs?: number;
  /** @default {@link realClock} */
  clock?: Clock;
}

/** One owner's handle on one lease: acquire, renew, release, and whether it may still act. */
export class Lease {
  readonly name: string;
  readonly owner: string;
  readonly ttlMs: number;
  readonly renewDeadlineMs: number;
  readonly #store: LeaseStore;
  readonly #clock: Clock;
  #heldUntil = Number.NEGATIVE_INFINITY;
  #token: number | undefined;

  constructor(store: LeaseStore, options: LeaseOptions) {
    this.name = options.name;
    this.owner = options.owner;
    this.ttlMs = options.ttlMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? Math.floor((this.ttlMs * 2) / 3);
    if (!(this.renewDeadlineMs > 0 && this.renewDeadlineMs <= this.ttlMs)) {
      throw new RangeError(`lease ${this.name}: renewDeadlineMs must be > 0 and ≤ ttlMs`);
    }
    this.#store = store;
    this.#clock = options.clock ?? realClock;
  }

  /** Takes the lease if nobody else holds it; true when this owner holds it now. */
  tryAcquire(): Promise<boolean> {
    return this.#grant(() => this.#store.tryAcquire(this.name, this.owner, this.ttlMs));
  }

  /** Extends the lease; false when it was lost (lapsed, or another owner took it). */
  renew(): Promise<boolean> {
    return this.#grant(() => this.#store.renew(this.name, this.owner, this.ttlMs));
  }

  /** Gives the lease up, so another replica can take it at once instead of after the TTL. */
  async release(): Promise<void> {
    this.#heldUntil = Number.NEGATIVE_INFINITY;
    this.#token = undefined;
    await this.#store.release(this.name, this.owner);
  }

  /** Whether this owner may act as the holder now (within the renew deadline of its last grant). */
  isHeld(): boolean {
    return this.#clock.now() < this.#heldUntil;
  }

  /** The fencing token of the current grant, while held. */
  token(): number | undefined {
    return this.isHeld() ? this.#token : undefined;
  }

  async #grant(call: () => Promise<LeaseGrant | null>): Promise<boolean> {
    // Measured from before the call: the store set the expiry at or after this instant, so the
    // local deadline never runs past the store's.
    const sentAt = this.#clock.now();
    const grant = await call();
    if (!grant) {
      this.#heldUntil = Number.NEGATIVE_INFINITY;
      this.#token = undefined;
      return false;
    }
    this.#heldUntil = sentAt + this.renewDeadlineMs;
    this.#token = grant.token;
    return true;
  }
}
