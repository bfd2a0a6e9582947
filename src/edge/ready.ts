/**
 * Waiting for a freshly spawned Caddy to answer, and failing fast (with its last log lines) when
 * it exits instead.
 *
 * @module
 */
import type { CaddyProcess } from './caddy-process.js';

/**
 * Polls every 50 ms: Caddy usually answers within 50–100 ms of being spawned, and a probe on
 * loopback is cheap, so a short fixed interval (no backoff, no jitter: one local process) keeps
 * start and restart latency low.
 */
const POLL_INTERVAL_MS = 50;

/** Resolves once `probe` says yes; rejects when the process exits first or `timeoutMs` passes. */
export async function waitUntilReady(proc: CaddyProcess, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.hasExited()) {
      const exit = await proc.exited;
      throw new Error(`caddy exited during start (code ${exit.code ?? '-'}, signal ${exit.signal ?? '-'}): ${lastLines(proc)}`);
    }
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`caddy did not answer within ${timeoutMs} ms: ${lastLines(proc)}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

function lastLines(proc: CaddyProcess): string {
  return proc.recentLogs().slice(-3).join(' | ') || 'no output';
}
