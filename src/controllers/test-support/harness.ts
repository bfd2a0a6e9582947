/**
 * A controller wired to a fake clock, a recording logger and a metrics sink, for tests.
 *
 * @module
 */
import { Controller, type ControllerDeps, type ControllerSpec } from '../controller.js';
import type { ReconcileSample } from '../reconcile.js';
import { FakeClock } from './fake-clock.js';
import { recordingLogger } from './recording-logger.js';

/** Builds a controller named `deploys` (one worker, 10 min resync, no keys listed, jitter source 0.5) with `spec` and `deps` on top. */
export function harness(spec: Partial<ControllerSpec<string>>, deps: Partial<ControllerDeps> = {}) {
  const clock = new FakeClock();
  const logger = recordingLogger();
  const samples: ReconcileSample[] = [];
  const controller = new Controller<string>(
    { name: 'deploys', reconcile: async () => undefined, list: async () => [], resyncMs: 600_000, workers: 1, ...spec },
    { logger, clock, random: () => 0.5, onReconcile: (s) => samples.push(s), ...deps },
  );
  /** Resolves after `ms` of fake time. */
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));
  return { clock, logger, samples, controller, sleep };
}

/** A small deterministic PRNG (mulberry32), so randomised tests are the same on every run. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
