/**
 * bench/deploy.ts's traffic poller: when has 100 % of traffic moved to the new release?
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { viaProxy } from '../test/support/deploy.js';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface PollResult {
  /** When the answer of the first of the `consecutive` expected answers arrived (epoch ms). */
  firstOfRun: number;
  sent: number;
  errors: string[];
  /** Answers that were neither the old nor the new body (status and first bytes). */
  other: number;
  /** Expected answers seen before the final run of `consecutive` (round-robin mixing). */
  earlyNew: number;
  retried: number;
}

export interface PollOptions {
  proxyPort: number;
  host: string;
  pollMs: number;
  consecutive: number;
  timeoutMs: number;
}

/**
 * Polls `host` through the proxy until `consecutive` answers in a row are `expected`; counts
 * errors, other answers and early new answers on the way.
 */
export function startPoller(o: PollOptions, expected: string, previous: string): { result: Promise<PollResult>; stop(): void } {
  const { pollMs, consecutive } = o;
  let stopped = false;
  const result = (async (): Promise<PollResult> => {
    const stats = { retried: 0 };
    const r: PollResult = { firstOfRun: Number.NaN, sent: 0, errors: [], other: 0, earlyNew: 0, retried: 0 };
    let run = 0;
    let runStart = Number.NaN;
    const until = Date.now() + o.timeoutMs;
    while (!stopped && Date.now() < until) {
      const sent = now();
      r.sent += 1;
      let body = '';
      try {
        const res = await viaProxy(o.proxyPort, o.host, '/', stats);
        body = res.status === 200 ? res.body : `HTTP ${res.status}: ${res.body.slice(0, 80)}`;
      } catch (error) {
        body = `error: ${(error as Error).message}`;
        if (r.errors.length < 10) r.errors.push(body);
      }
      const arrived = now();
      if (body === expected) {
        if (run === 0) runStart = arrived;
        run += 1;
        if (run >= consecutive) {
          r.firstOfRun = runStart;
          break;
        }
      } else {
        if (run > 0) r.earlyNew += run;
        run = 0;
        if (body !== previous && !body.startsWith('error: ')) r.other += 1;
      }
      const wait = pollMs - (now() - sent);
      if (wait > 0) await sleep(wait);
    }
    r.retried = stats.retried;
    return r;
  })();
  return {
    result,
    stop: () => {
      stopped = true;
    },
  };
}
