/**
 * Keeps a {@link Lease}: tries to take it until it succeeds, then renews it, and says when it
 * was gained and lost, the way controller-runtime's leader election does. The engine starts its
 * controllers on `onAcquired` and stops them on `onLost`.
 *
 * @module
 */
import { jittered, realClock, type Clock, type TimerHandle } from './clock.js';
import type { Lease } from './lease.js';
import type { Logger } from './reconcile.js';

/** How a lease is kept, and who to tell. */
export interface KeepLeaseOptions {
  logger: Logger;
  /**
   * Time between attempts, both to take the lease and to renew it. @default 2_000
   * (controller-runtime's retry period: a 10 s renew deadline leaves room for four failed
   * renewals before the lease counts as lost, and a standby takes over within about 2 s of
   * the lease lapsing)
   */
  retryMs?: number;
  /** Called when this owner gains the lease, with its fencing token. */
  onAcquired?: (token: number) => void;
  /** Called when this owner loses the lease it held: it must stop acting as the holder at once. */
  onLost?: (reason: string) => void;
  /** @default {@link realClock} (use the same clock as the lease) */
  clock?: Clock;
  /** Source of the ±10 % retry jitter, which keeps standby replicas from asking in lockstep. @default Math.random */
  random?: () => number;
}

/** A running keeper. */
export interface LeaseKeeper {
  /** Whether this owner holds the lease now. */
  leading(): boolean;
  /** Stops trying and renewing, and releases the lease if held (no `onLost`: the stop was asked for). */
  stop(): Promise<void>;
}

/** Starts keeping `lease`; the first attempt is made at once. */
export function keepLease(lease: Lease, options: KeepLeaseOptions): LeaseKeeper {
  const { logger } = options;
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const retryMs = options.retryMs ?? 2_000;
  if (!(retryMs > 0 && retryMs < lease.renewDeadlineMs)) throw new RangeError(`lease ${lease.name}: retryMs must be > 0 and < renewDeadlineMs`);
  const log = { lease: lease.name, owner: lease.owner };
  let leading = false;
  let stopped = false;
  let timer: TimerHandle | undefined;
  let attempt: Promise<void> | undefined;

  const call = (hook: () => void): void => {
    try {
      hook();
    } catch (error) {
      logger.error({ ...log, err: error }, 'a lease callback threw');
    }
  };
  const lose = (reason: string): void => {
    leading = false;
    logger.warn({ ...log, reason }, 'lease lost');
    call(() => options.onLost?.(reason));
  };
  const tryOnce = async (): Promise<void> => {
    try {
      if (leading) {
        if (!(await lease.renew()) && leading) lose('the lease lapsed or another owner took it');
      } else if ((await lease.tryAcquire()) && !stopped) {
        leading = true;
        const token = lease.token() ?? 0;
        logger.info({ ...log, token }, 'lease acquired');
        call(() => options.onAcquired?.(token));
      }
    } catch (error) {
      // A store error is not a loss: the grant stands until its deadline, checked on every tick.
      logger.warn({ ...log, err: error }, leading ? 'renewing the lease failed; trying again' : 'taking the lease failed; trying again');
    }
  };
  const tick = (): void => {
    if (stopped) return;
    // Checked on the timer, not after the call returns, so a renewal that hangs still ends the leadership on time.
    if (leading && !lease.isHeld()) lose('the lease was not renewed within its deadline');
    attempt ??= tryOnce().finally(() => (attempt = undefined));
    timer = clock.setTimeout(tick, jittered(retryMs, 0.1, random));
  };
  tick();

  return {
    leading: () => leading,
    async stop() {
      if (stopped) return;
      stopped = true;
      clock.clearTimeout(timer);
      await attempt;
      leading = false;
      try {
        await lease.release();
      } catch (error) {
        logger.warn({ ...log, err: error }, 'releasing the lease failed; it lapses at its expiry');
      }
    },
  };
}
