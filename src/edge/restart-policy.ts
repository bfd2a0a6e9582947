/**
 * When the supervisor restarts Caddy: exponential backoff between attempts, and a watch that
 * notices an adopted Caddy has gone away.
 *
 * @module
 */

/**
 * Restart backoff: the first restart comes after 250 ms (a crash is usually a one-off, and the
 * edge is down until Caddy is back), then doubles per consecutive failure up to 10 s so a Caddy
 * that cannot start (port taken, bad binary) does not spin. A process that stayed up for 30 s
 * counts as healthy and resets the backoff. No jitter: there is one Caddy per machine, nothing to
 * de-synchronise.
 */
export class RestartBackoff {
  static readonly HEALTHY_UPTIME_MS = 30_000;
  #failures = 0;

  constructor(private readonly initialMs = 250, private readonly maxMs = 10_000) {}

  /** The delay before the next attempt (and counts one more failure). */
  next(): number {
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** this.#failures);
    this.#failures += 1;
    return delay;
  }

  /** Forgets past failures if the process that just ended had been up long enough. */
  ended(startedAt: number): void {
    if (Date.now() - startedAt >= RestartBackoff.HEALTHY_UPTIME_MS) this.#failures = 0;
  }
}

/**
 * An adopted Caddy is probed every 2 s and given up after two missed answers in a row: the edge
 * is down while nobody answers, so detection must be quick; a GET on loopback every 2 s costs
 * nothing; and one miss may just be a slow answer during a large reload.
 */
const PROBE_INTERVAL_MS = 2_000;
const MISSES = 2;

/** Calls `onLost` once `isUp` has said no twice in a row; returns a function that stops watching. */
export function watchAnswering(isUp: () => Promise<boolean>, onLost: () => void): () => void {
  let misses = 0;
  let probing = false;
  const timer = setInterval(() => {
    if (probing) return;
    probing = true;
    void isUp().then((up) => {
      probing = false;
      misses = up ? 0 : misses + 1;
      if (misses < MISSES) return;
      clearInterval(timer);
      onLost();
    });
  }, PROBE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
